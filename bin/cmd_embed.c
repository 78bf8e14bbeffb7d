/* vlmindex embed: print embeddings of texts and images as JSON lines. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bin/cli_common.h"
#include "bin/commands.h"
#include "query/result_format.h"
#include "query/search.h"

static const char embed_usage[] =
    "usage: vlmindex embed --model DIR [--text TEXT]... [--image PATH]... "
    "[--raw]\n"
    "  one JSON object per input: "
    "{\"kind\":...,\"input\":...,\"embedding\":[...]}\n"
    "  embeddings are L2-normalised unless --raw\n";

typedef struct embed_input {
    int is_image;
    const char *value;
} embed_input;

static void print_embedding(const embed_input *in, const float *e, int dims)
{
    printf("{\"kind\":\"%s\",\"input\":", in->is_image ? "image" : "text");
    json_write_string(stdout, in->value);
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

int cmd_embed(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"text", required_argument, 0, 't'},
        {"image", required_argument, 0, 'i'},
        {"raw", no_argument, 0, 'r'},
        {"help", no_argument, 0, 'h'},
        CLI_COMMON_LONGOPTS,
        {0, 0, 0, 0}};
    cli_common co;
    cli_common_init(&co);
    embed_input *in = calloc((size_t)argc, sizeof *in);
    int n = 0, raw = 0, parts = 0, opt;
    while (in && (opt = getopt_long(argc, argv, "t:i:h" CLI_COMMON_SHORTOPTS,
                                    longopts, NULL)) != -1) {
        if (cli_common_option(&co, opt, optarg)) continue;
        switch (opt) {
        case 't':
            in[n++] = (embed_input){0, optarg};
            parts |= CLIP_PART_TEXT;
            break;
        case 'i':
            in[n++] = (embed_input){1, optarg};
            parts |= CLIP_PART_VISION;
            break;
        case 'r': raw = 1; break;
        case 'h':
            fputs(embed_usage, stdout);
            free(in);
            return 0;
        default:
            fputs(embed_usage, stderr);
            free(in);
            return EXIT_ERROR;
        }
    }
    if (!n) {
        fputs(embed_usage, stderr);
        free(in);
        return EXIT_ERROR;
    }
    char err[VLM_ERR_MAX] = "";
    session *s = NULL;
    int rc = cli_open_session(&co, SESSION_NO_COLLECTION, SESSION_NO_INDEX,
                              parts, &s, err);
    int code = rc ? EXIT_ERROR : embed_all(session_model(s), in, n, raw);
    if (rc) cli_error(err);
    session_close(s);
    free(in);
    return code;
}
