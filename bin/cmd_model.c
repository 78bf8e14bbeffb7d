/* vlmindex model pull NAME | model list */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bin/cli_common.h"
#include "bin/commands.h"
#include "model/clip/clip.h"

typedef struct model_args {
    cli_common common;
    const char *revision;
    int chinese, siglip;
} model_args;

static const cli_opt model_opts[] = {
    CLI_OPT_TEXT(0, "revision", offsetof(model_args, revision), "REV",
                 "pull: a branch, tag or commit (default main, or\n"
                 "the recommended one for a recommended model)"),
    CLI_OPT_FLAG(0, "chinese", offsetof(model_args, chinese),
                 "pull: Chinese-CLIP, for Chinese queries and labels"),
    CLI_OPT_FLAG(0, "siglip", offsetof(model_args, siglip),
                 "pull: SigLIP, for thresholded filtering (its\n"
                 "scores are per-label probabilities)"),
    CLI_OPT_END};

static const cli_opt *const model_tables[] = {model_opts, NULL};

static const cli_command model_cmd = {
    .name = "vlmindex model",
    .synopsis = "pull [NAME | --chinese | --siglip] [--revision REV]\n"
                "list",
    .about = "pull: downloads a Hugging Face checkpoint (resumable, SHA-256\n"
             "checked; safetensors only); $HF_ENDPOINT and $HF_TOKEN are\n"
             "honoured.  Recommended (NAME may also be english, chinese or\n"
             "siglip):\n"
             "  (default)  " SESSION_DEFAULT_MODEL "\n"
             "  --chinese  " SESSION_CHINESE_MODEL "\n"
             "             (revision refs/pr/1: main has no safetensors)\n"
             "  --siglip   " SESSION_SIGLIP_MODEL "\n"
             "list: installed models (name, family, folder).",
    .tables = model_tables,
    .min_args = 1,
    .max_args = 2,
    .args_name = "verb (pull NAME or list)",
};

static void print_model(void *ud, const char *name, const char *dir)
{
    (void)ud;
    const char *family = NULL;
    char err[VLM_ERR_MAX];
    clip_folder_family(dir, &family, err);
    text_write(stdout, name, TEXT_ESCAPED);
    printf("\t%s\t", family ? family : "unknown");
    text_write(stdout, dir, TEXT_ESCAPED);
    putchar('\n');
}

static int model_list(void)
{
    if (session_list_models(print_model, NULL)) return EXIT_RESULTS;
    char dir[SESSION_PATH_MAX];
    session_models_dir(dir, sizeof dir);
    fputs("no models installed in ", stderr);
    text_write(stderr, dir, TEXT_DISPLAY);
    fputs(": `vlmindex model pull " SESSION_DEFAULT_MODEL "` installs the "
          "default (the first `vlmindex add` does too), or pass --model DIR "
          "with a checkpoint folder\n",
          stderr);
    return EXIT_NO_RESULTS;
}

/* NAME, --chinese, --siglip or nothing (the default); a recommended model
 * comes with its revision unless --revision says otherwise. */
static int model_pull(const model_args *a, const char *name)
{
    char dir[SESSION_PATH_MAX], err[VLM_ERR_MAX] = "";
    if ((name != NULL) + a->chinese + a->siglip > 1)
        return cli_usage_error(&model_cmd,
                               "pull takes one of NAME, --chinese, --siglip");
    const char *key = a->chinese  ? "chinese"
                      : a->siglip ? "siglip"
                      : name      ? name
                                  : "english";
    const session_recommended *rec = session_find_recommended(key);
    const char *repo = rec ? rec->repo : name,
               *rev = a->revision || !rec ? a->revision : rec->revision;
    session_fetch_hooks hooks = {.progress = cli_fetch_progress,
                                 .user = (void *)&a->common};
    cli_install_signal_handlers();
    cli_progress_setup(&a->common);
    int rc = session_pull_model(repo, rev, a->common.offline, &hooks, dir,
                                sizeof dir, err);
    cli_progress_end();
    if (rc) return cli_exit_code(rc, err);
    text_write(stdout, dir, TEXT_ESCAPED);
    putchar('\n');
    return 0;
}

int cmd_model(int argc, char **argv)
{
    static const char *const verbs[] = {"pull", "list"};
    model_args a = {0};
    cli_positional pos;
    int code;
    cli_common_init(&a.common);
    if (!cli_parse(&model_cmd, argc, argv, &a, &a.common, &pos, &code)) {
        const char *verb = pos.v[0], *s = cli_suggest(verb, verbs, 2);
        if (!strcmp(verb, "list") && pos.n == 1)
            code = model_list();
        else if (!strcmp(verb, "pull")) /* max_args: at most one NAME */
            code = model_pull(&a, pos.n == 2 ? pos.v[1] : NULL);
        else if (!strcmp(verb, "list"))
            code = cli_usage_error(&model_cmd, "list takes no NAME");
        else if (s)
            code = cli_usage_error(
                &model_cmd, "unknown verb '%s' (did you mean %s?)", verb, s);
        else
            code = cli_usage_error(&model_cmd, "unknown verb '%s'", verb);
    }
    cli_args_free(&model_cmd, &a, &pos);
    return code;
}
