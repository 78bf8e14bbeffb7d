/* vlmindex caption | score: the LLaVA decoder as a user feature. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bin/cli_common.h"
#include "bin/commands.h"
#include "model/llava/llava.h"
#include "query/captions.h"
#include "query/decoder_select.h"
#include "query/result_format.h"

static const char caption_usage[] =
    "usage: vlmindex caption --model LLAVA_DIR --image PATH [options]   one "
    "image\n"
    "       vlmindex caption [--model LLAVA_DIR] [--in DIR] [--redo]    the "
    "collection\n"
    "       vlmindex score --model LLAVA_DIR --image PATH --phrase TEXT "
    "[--prompt TEXT]\n"
    "  -p, --prompt TEXT     prompt with one <image> marker (default: describe "
    "in one sentence)\n"
    "  -m, --max-tokens N    caption length limit (default 64)\n"
    "      --temperature T   sample instead of greedy (with --top-p P, --seed "
    "S)\n"
    "      --in DIR          only images under DIR;  --redo  re-caption "
    "everything\n";

typedef struct caption_args {
    cli_common common;
    const char *image, *prompt, *phrase, *in_dir;
    int redo;
    llava_gen_opts gen;
} caption_args;

static int parse_caption(int argc, char **argv, caption_args *a)
{
    static const struct option longopts[] = {
        {"image", required_argument, 0, 'i'},
        {"prompt", required_argument, 0, 'p'},
        {"phrase", required_argument, 0, 'P'},
        {"max-tokens", required_argument, 0, 'm'},
        {"temperature", required_argument, 0, 'e'},
        {"top-p", required_argument, 0, 'u'},
        {"seed", required_argument, 0, 's'},
        {"in", required_argument, 0, 'I'},
        {"redo", no_argument, 0, 'R'},
        {"help", no_argument, 0, 'h'},
        CLI_COMMON_LONGOPTS,
        {0, 0, 0, 0}};
    memset(a, 0, sizeof *a);
    cli_common_init(&a->common);
    a->gen = llava_gen_opts_default();
    int opt;
    while ((opt = getopt_long(argc, argv, "i:p:m:h" CLI_COMMON_SHORTOPTS,
                              longopts, NULL)) != -1) {
        if (cli_common_option(&a->common, opt, optarg)) continue;
        switch (opt) {
        case 'i': a->image = optarg; break;
        case 'p': a->prompt = optarg; break;
        case 'P': a->phrase = optarg; break;
        case 'm': a->gen.max_tokens = atoi(optarg); break;
        case 'e': a->gen.temperature = strtof(optarg, NULL); break;
        case 'u': a->gen.top_p = strtof(optarg, NULL); break;
        case 's': a->gen.seed = strtoull(optarg, NULL, 10); break;
        case 'I': a->in_dir = optarg; break;
        case 'R': a->redo = 1; break;
        case 'h': fputs(caption_usage, stdout); exit(0);
        default: fputs(caption_usage, stderr); return -1;
        }
    }
    return 0;
}

/* A session (with the collection or without one) and its captioner. */
static int open_captioner(const caption_args *a, session_access access,
                          session **s, query_decoder *d, char *err)
{
    memset(d, 0, sizeof *d);
    int rc = cli_open_session(&a->common, access, SESSION_NO_INDEX, 0, s, err);
    return rc ? rc : decoder_for_captions(*s, d, err);
}

static int caption_image(const caption_args *a, llava_model *m, char *err)
{
    char *text = NULL;
    int rc = captions_image_file(m, a->image, a->prompt, &a->gen, &text, err);
    if (!rc) printf("%s\n", text);
    free(text);
    return rc;
}

static void on_caption(void *user, int64_t done, int64_t total,
                       const char *path, const char *caption)
{
    const caption_args *a = user;
    cli_progress_done(a->common.quiet);
    printf("%s\t%s\n", path, caption);
    cli_progress(a->common.quiet, done, total, 0, path);
}

static void on_failure(void *user, const char *path, const char *reason)
{
    (void)user;
    (void)path;
    fprintf(stderr, "skipped: %s\n", reason);
}

static int caption_collection(const caption_args *a, char *err)
{
    session *s = NULL;
    query_decoder d;
    int rc = open_captioner(a, SESSION_READ, &s, &d, err);
    captions_summary sum = {0};
    if (!rc) {
        cli_install_signal_handlers();
        captions_options o = {.in_dir = a->in_dir,
                              .redo = a->redo,
                              .prompt = a->prompt,
                              .gen = a->gen,
                              .cancel = &cli_cancel,
                              .on_caption = on_caption,
                              .on_failure = on_failure,
                              .user = (void *)a};
        rc =
            captions_run(session_collection(s), d.model, d.name, &o, &sum, err);
        cli_progress_done(a->common.quiet);
        fprintf(stderr, "captioned %lld, already had one %lld, failed %lld\n",
                (long long)sum.captioned, (long long)sum.skipped,
                (long long)sum.failed);
    }
    decoder_close(&d);
    session_close(s);
    return rc;
}

int cmd_caption(int argc, char **argv)
{
    caption_args a;
    char err[VLM_ERR_MAX] = "";
    if (parse_caption(argc, argv, &a)) return EXIT_ERROR;
    if (!a.image) return cli_exit_code(caption_collection(&a, err), err);
    session *s = NULL;
    query_decoder d;
    int rc = open_captioner(&a, SESSION_NO_COLLECTION, &s, &d, err);
    if (!rc) rc = caption_image(&a, d.model, err);
    decoder_close(&d);
    session_close(s);
    return cli_exit_code(rc, err);
}

static void print_score(const llava_model *m, const caption_args *a,
                        const llava_phrase_score *s)
{
    const sp_tokenizer *tok = llava_tokenizer(m);
    int32_t *ids = malloc((size_t)(s->n_tokens + 1) * sizeof *ids);
    int n =
        ids ? sp_tokenizer_encode(tok, a->phrase, ids, s->n_tokens + 1, NULL)
            : 0;
    fputs("{\"phrase\":", stdout);
    json_write_string(stdout, a->phrase);
    printf(",\"total\":%.6f,\"normalized\":%.6f,\"tokens\":[", s->total,
           s->normalized);
    for (int i = 0; i < s->n_tokens; i++) {
        printf(i ? ",{" : "{");
        if (i < n) {
            printf("\"id\":%d,\"piece\":", ids[i]);
            json_write_string(stdout, sp_tokenizer_id_to_piece(tok, ids[i]));
            fputc(',', stdout);
        }
        printf("\"logprob\":%.6f}", s->per_token[i]);
    }
    puts("]}");
    free(ids);
}

int cmd_score(int argc, char **argv)
{
    caption_args a;
    char err[VLM_ERR_MAX] = "";
    if (parse_caption(argc, argv, &a)) return EXIT_ERROR;
    if (!a.image || !a.phrase) {
        fputs("vlmindex score: --image PATH and --phrase TEXT are required\n",
              stderr);
        return EXIT_ERROR;
    }
    session *sess = NULL;
    query_decoder d;
    llava_phrase_score s = {0};
    int rc = open_captioner(&a, SESSION_NO_COLLECTION, &sess, &d, err);
    llava_model *m = d.model;
    if (!rc) rc = captions_score_file(m, a.image, a.prompt, a.phrase, &s, err);
    if (!rc) print_score(m, &a, &s);
    llava_phrase_score_free(&s);
    decoder_close(&d);
    session_close(sess);
    return cli_exit_code(rc, err);
}
