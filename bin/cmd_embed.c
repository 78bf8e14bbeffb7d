/* vlmindex embed: embeddings of texts, images and folders as JSON lines. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bin/cli_common.h"
#include "bin/commands.h"
#include "indexer/embed_files.h"
#include "query/result_format.h"

typedef struct embed_args {
    cli_common common;
    cli_list texts, images;
    int raw, batch;
    int dims, failed_named, failed;
} embed_args;

#define EA(field) offsetof(embed_args, field)

static const cli_opt embed_opts[] = {
    CLI_OPT_LIST(0, "text", EA(texts), "TEXT", "a text to embed (repeatable)"),
    CLI_OPT_LIST(0, "image", EA(images), "PATH",
                 "an image, or a folder of them (walked like `add`;\n"
                 "repeatable)"),
    CLI_OPT_INT('b', "batch", EA(batch), "N", 1, 256,
                "images per forward pass (default 16)"),
    CLI_OPT_FLAG(0, "raw", EA(raw),
                 "embeddings as the model gives them (default:\n"
                 "L2-normalised)"),
    CLI_OPT_END};

static const cli_opt *const embed_tables[] = {embed_opts, NULL};

static const cli_command embed_cmd = {
    .name = "vlmindex embed",
    .synopsis = "[--text TEXT]... [--image PATH|DIR]... [options]",
    .about = "Prints one JSON object per input, images as they are done:\n"
             "{\"kind\":\"text\"|\"image\",\"input\":...,\"embedding\":[...]}\n"
             "Folders are decoded in parallel and embedded in batches.",
    .tables = embed_tables,
    .max_args = 0,
};

static void print_embedding(const char *kind, const char *input, float *e,
                            int dims, int raw)
{
    if (!raw) clip_l2_normalize(e, dims);
    printf("{\"kind\":\"%s\",", kind);
    json_write_path(stdout, "input", input);
    fputs(",\"embedding\":[", stdout);
    for (int i = 0; i < dims; i++) printf(i ? ",%.7g" : "%.7g", e[i]);
    fputs("]}\n", stdout);
}

static int on_vector(void *user, const char *path, const float *vec)
{
    embed_args *a = user;
    float *e = malloc((size_t)a->dims * sizeof *e);
    if (!e) return 1;
    memcpy(e, vec, (size_t)a->dims * sizeof *e);
    print_embedding("image", path, e, a->dims, a->raw);
    free(e);
    return 0;
}

static void on_failure(void *user, const char *path, const char *reason,
                       int named)
{
    embed_args *a = user;
    (void)path;
    a->failed++;
    a->failed_named += named;
    cli_progress_note("failed: ", reason);
}

static int embed_texts(embed_args *a, clip_model *m)
{
    float *e = malloc((size_t)a->dims * sizeof *e);
    char err[VLM_ERR_MAX];
    for (int i = 0; e && i < a->texts.n; i++) {
        if (clip_encode_text(m, a->texts.v[i], e, err)) {
            cli_error(err);
            a->failed_named++;
            continue;
        }
        print_embedding("text", a->texts.v[i], e, a->dims, a->raw);
    }
    free(e);
    return e ? VLM_OK : VLM_ENOMEM;
}

static int embed_all(embed_args *a, clip_model *m, char *err)
{
    a->dims = clip_embed_dim(m);
    int rc = embed_texts(a, m);
    int64_t done = 0;
    embed_files_options o = {.batch_size = a->batch,
                             .decode_threads = a->common.threads,
                             .cancel = &cli_cancel,
                             .on_vector = on_vector,
                             .on_failure = on_failure,
                             .user = a};
    if (!rc && a->images.n)
        rc = embed_files(m, a->images.v, a->images.n, &o, &done, err);
    if (!rc && a->failed && !a->common.quiet)
        fprintf(stderr, "embedded %lld image(s), %d failed\n", (long long)done,
                a->failed);
    return rc;
}

int cmd_embed(int argc, char **argv)
{
    embed_args a = {0};
    cli_positional pos;
    int code;
    cli_common_init(&a.common);
    if (cli_parse(&embed_cmd, argc, argv, &a, &a.common, &pos, &code)) {
        cli_args_free(&embed_cmd, &a, &pos);
        return code;
    }
    int parts =
        (a.texts.n ? CLIP_PART_TEXT : 0) | (a.images.n ? CLIP_PART_VISION : 0);
    char err[VLM_ERR_MAX] = "";
    session *s = NULL;
    int rc = VLM_OK;
    if (!parts)
        code = cli_usage_error(&embed_cmd, "give --text TEXT or --image PATH");
    if (parts) {
        cli_install_signal_handlers();
        rc = cli_open_session(&a.common, SESSION_NO_COLLECTION,
                              SESSION_NO_INDEX, parts, &s, err);
        if (!rc) rc = embed_all(&a, session_model(s), err);
        code = rc ? cli_exit_code(rc, err) : a.failed_named ? EXIT_ERROR : 0;
    }
    session_close(s);
    cli_args_free(&embed_cmd, &a, &pos);
    return code;
}
