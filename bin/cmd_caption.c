/* vlmindex caption | score: the LLaVA decoder as a user feature. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bin/cli_common.h"
#include "bin/commands.h"
#include "model/llava/llava.h"
#include "query/captions.h"
#include "query/decoder_select.h"
#include "query/result_format.h"

typedef struct caption_args {
    cli_common common;
    const char *image, *prompt, *phrase, *in_dir;
    int redo;
    llava_gen_opts gen;
} caption_args;

#define CP(field) offsetof(caption_args, field)

/* How the decoder generates and what it is shown (caption and score). */
static const cli_opt decoder_opts[] = {
    CLI_OPT_TEXT('i', "image", CP(image), "PATH", "the image"),
    CLI_OPT_TEXT('p', "prompt", CP(prompt), "TEXT",
                 "prompt with one <image> marker (default: describe\n"
                 "the image in one sentence)"),
    CLI_OPT_END};

static const cli_opt generation_opts[] = {
    CLI_OPT_INT('m', "max-tokens", CP(gen.max_tokens), "N", 1, 4096,
                "caption length limit in tokens (default 64)"),
    CLI_OPT_FLOAT(0, "temperature", CP(gen.temperature), "T", 0, 100,
                  "sample instead of greedy decoding (0 = greedy)"),
    CLI_OPT_FLOAT(0, "top-p", CP(gen.top_p), "P", 1e-6, 1,
                  "nucleus sampling mass, (0, 1] (default 1: off)"),
    CLI_OPT_U64(0, "seed", CP(gen.seed), "S",
                "sampling seed (same seed, same caption)"),
    CLI_OPT_PARSE(0, "in", CP(in_dir), "DIR", cli_parse_existing_path,
                  "the collection: only images under DIR"),
    CLI_OPT_FLAG(0, "redo", CP(redo),
                 "the collection: re-caption images that have one"),
    CLI_OPT_END};

static const cli_opt score_opts[] = {
    CLI_OPT_TEXT(0, "phrase", CP(phrase), "TEXT",
                 "the phrase to score (required)"),
    CLI_OPT_END};

static const cli_opt *const caption_tables[] = {decoder_opts, generation_opts,
                                                cli_writer_opts, NULL};
static const cli_opt *const score_tables[] = {decoder_opts, score_opts, NULL};

static const cli_command caption_cmd = {
    .name = "vlmindex caption",
    .synopsis = "--model LLAVA_DIR --image PATH [options]\n"
                "[--model LLAVA_DIR] [--in DIR] [--redo] [options]",
    .about = "LLaVA captions: of one --image (printed), or of the collection\n"
             "(stored with full-text search, resumable; path<TAB>caption).",
    .tables = caption_tables,
    .max_args = 0,
};

static const cli_command score_cmd = {
    .name = "vlmindex score",
    .synopsis = "--model LLAVA_DIR --image PATH --phrase TEXT [options]",
    .about = "The LLaVA log-probability of --phrase given --image: total,\n"
             "length-normalised and per token, as JSON.",
    .tables = score_tables,
    .max_args = 0,
};

static int parse_caption(const cli_command *cmd, int argc, char **argv,
                         caption_args *a, int *code)
{
    cli_positional pos;
    memset(a, 0, sizeof *a);
    cli_common_init(&a->common);
    a->common.command = cmd->name;
    a->gen = llava_gen_opts_default();
    int rc = cli_parse(cmd, argc, argv, a, &a->common, &pos, code);
    cli_args_free(cmd, a, &pos);
    return rc;
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
    if (!rc) text_write(stdout, text, TEXT_DISPLAY), putchar('\n');
    free(text);
    return rc;
}

static void on_caption(void *user, int64_t done, int64_t total,
                       const char *path, const char *caption)
{
    (void)user;
    cli_progress_hold();
    text_write(stdout, path, TEXT_ESCAPED);
    putchar('\t');
    text_write(stdout, caption, TEXT_ESCAPED);
    putchar('\n');
    cli_progress_release();
    cli_status st = {.unit = "images",
                     .done = done,
                     .total = total,
                     .phase = "captioning",
                     .name = path};
    cli_progress_update(&st);
}

static void on_failure(void *user, const char *path, const char *reason)
{
    (void)user, (void)path;
    cli_progress_note("failed: ", reason);
}

static int caption_collection(const caption_args *a, char *err)
{
    session *s = NULL;
    query_decoder d;
    /* Stored captions change the collection: the writer lock. */
    int rc = open_captioner(a, SESSION_MODIFY, &s, &d, err);
    captions_summary sum = {0};
    if (!rc) {
        cli_install_signal_handlers();
        cli_progress_setup(&a->common);
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
        cli_progress_end();
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
    int code;
    if (parse_caption(&caption_cmd, argc, argv, &a, &code)) return code;
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
    int code;
    if (parse_caption(&score_cmd, argc, argv, &a, &code)) return code;
    if (!a.image || !a.phrase)
        return cli_usage_error(&score_cmd,
                               "--image PATH and --phrase TEXT are required");
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
