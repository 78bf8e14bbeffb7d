/* vlmindex model pull NAME | model list */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bin/cli_common.h"
#include "bin/commands.h"

typedef struct model_args {
    cli_common common;
    const char *revision;
} model_args;

static const cli_opt model_opts[] = {
    CLI_OPT_TEXT(0, "revision", offsetof(model_args, revision), "REV",
                 "pull: a branch, tag or commit (default main)"),
    CLI_OPT_END};

static const cli_opt *const model_tables[] = {model_opts, NULL};

static const cli_command model_cmd = {
    .name = "vlmindex model",
    .synopsis = "pull NAME [--revision REV]\n"
                "list",
    .about =
        "pull: downloads a Hugging Face checkpoint (resumable, SHA-256\n"
        "checked), e.g. " SESSION_DEFAULT_MODEL ";\n"
        "$HF_ENDPOINT and $HF_TOKEN are honoured.  list: installed models.",
    .tables = model_tables,
    .min_args = 1,
    .max_args = 2,
    .args_name = "verb (pull NAME or list)",
};

static void print_model(void *ud, const char *name, const char *dir)
{
    (void)ud;
    text_write(stdout, name, TEXT_ESCAPED);
    putchar('\t');
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

static int model_pull(const model_args *a, const char *name)
{
    char dir[SESSION_PATH_MAX], err[VLM_ERR_MAX] = "";
    session_fetch_hooks hooks = {.progress = cli_fetch_progress,
                                 .user = (void *)&a->common};
    cli_install_signal_handlers();
    cli_progress_setup(&a->common);
    int rc = session_pull_model(name, a->revision, a->common.offline, &hooks,
                                dir, sizeof dir, err);
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
        else if (!strcmp(verb, "pull") && pos.n == 2)
            code = model_pull(&a, pos.v[1]);
        else if (!strcmp(verb, "pull") || !strcmp(verb, "list"))
            code =
                cli_usage_error(&model_cmd, "%s",
                                !strcmp(verb, "pull") ? "pull needs a NAME"
                                                      : "list takes no NAME");
        else if (s)
            code = cli_usage_error(
                &model_cmd, "unknown verb '%s' (did you mean %s?)", verb, s);
        else
            code = cli_usage_error(&model_cmd, "unknown verb '%s'", verb);
    }
    cli_args_free(&model_cmd, &a, &pos);
    return code;
}
