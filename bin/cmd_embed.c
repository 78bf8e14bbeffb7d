/* vlmindex embed: print embeddings of texts and images as JSON lines. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bin/cli_common.h"
#include "bin/commands.h"
#include "query/result_format.h"
#include "query/search.h"

typedef struct embed_input {
    int is_image;
    const char *value;
} embed_input;

static void print_embedding(const embed_input *in, const float *e, int dims)
{
    printf("{\"kind\":\"%s\",", in->is_image ? "image" : "text");
    json_write_path(stdout, "input", in->value);
    fputs(",\"embedding\":[", stdout);
    for (int i = 0; i < dims; i++) printf(i ? ",%.7g" : "%.7g", e[i]);
    fputs("]}\n", stdout);
}

static int embed_all(clip_model *m, const embed_input *in, int n, int raw)
{
    int dims = clip_embed_dim(m), failed = 0;
    float *e = malloc((size_t)dims * sizeof *e);
    char err[VLM_ERR_MAX];
    for (int i = 0; e && i < n; i++) {
        int rc = in[i].is_image
                     ? search_embed_image_file(m, in[i].value, e, err)
                     : clip_encode_text(m, in[i].value, e, err);
        if (rc) {
            cli_error(err);
            failed++;
            continue;
        }
        if (!raw) clip_l2_normalize(e, dims);
        print_embedding(&in[i], e, dims);
    }
    free(e);
    return !e ? EXIT_ERROR : failed ? EXIT_ERROR : 0;
}

typedef struct embed_args {
    cli_common common;
    cli_list texts, images;
    int raw;
} embed_args;

#define EA(field) offsetof(embed_args, field)

static const cli_opt embed_opts[] = {
    CLI_OPT_LIST(0, "text", EA(texts), "TEXT", "a text to embed (repeatable)"),
    CLI_OPT_LIST(0, "image", EA(images), "PATH",
                 "an image to embed (repeatable)"),
    CLI_OPT_FLAG(0, "raw", EA(raw),
                 "embeddings as the model gives them (default:\n"
                 "L2-normalised)"),
    CLI_OPT_END};

static const cli_opt *const embed_tables[] = {embed_opts, NULL};

static const cli_command embed_cmd = {
    .name = "vlmindex embed",
    .synopsis = "[--model DIR] [--text TEXT]... [--image PATH]... [--raw]",
    .about = "Prints one JSON object per input:\n"
             "{\"kind\":\"text\"|\"image\",\"input\":...,\"embedding\":[...]}",
    .tables = embed_tables,
    .max_args = 0,
};

/* Texts first, then images (the order they are printed in). */
static embed_input *gather_inputs(const embed_args *a, int *n, int *parts)
{
    embed_input *in =
        calloc((size_t)(a->texts.n + a->images.n + 1), sizeof *in);
    *n = 0;
    *parts = 0;
    for (int i = 0; in && i < a->texts.n; i++)
        in[(*n)++] = (embed_input){0, a->texts.v[i]}, *parts |= CLIP_PART_TEXT;
    for (int i = 0; in && i < a->images.n; i++)
        in[(*n)++] = (embed_input){1, a->images.v[i]},
        *parts |= CLIP_PART_VISION;
    return in;
}

int cmd_embed(int argc, char **argv)
{
    embed_args a = {0};
    cli_positional pos;
    int code, n = 0, parts = 0;
    cli_common_init(&a.common);
    if (cli_parse(&embed_cmd, argc, argv, &a, &a.common, &pos, &code)) {
        cli_args_free(&embed_cmd, &a, &pos);
        return code;
    }
    embed_input *in = gather_inputs(&a, &n, &parts);
    char err[VLM_ERR_MAX] = "";
    session *s = NULL;
    int rc = !in ? VLM_ENOMEM : VLM_OK;
    if (!rc && !n)
        code = cli_usage_error(&embed_cmd, "give --text TEXT or --image PATH");
    else if (!rc)
        rc = cli_open_session(&a.common, SESSION_NO_COLLECTION,
                              SESSION_NO_INDEX, parts, &s, err);
    if (rc)
        cli_error(err), code = EXIT_ERROR;
    else if (n)
        code = embed_all(session_model(s), in, n, a.raw);
    session_close(s);
    free(in);
    cli_args_free(&embed_cmd, &a, &pos);
    return code;
}
