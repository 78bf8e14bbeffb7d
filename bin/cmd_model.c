/* vlmindex model pull NAME | model list */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bin/cli_common.h"
#include "bin/commands.h"

static const char model_usage[] =
    "usage: vlmindex model pull NAME [--revision REV]   download a hub "
    "checkpoint\n"
    "       vlmindex model list                          installed models\n"
    "  NAME is a Hugging Face repo id, e.g. " SESSION_DEFAULT_MODEL "\n"
    "  $HF_ENDPOINT and $HF_TOKEN are honoured; --offline forbids network.\n";

static void print_model(void *ud, const char *name, const char *dir)
{
    (void)ud;
    printf("%s\t%s\n", name, dir);
}

static int model_list(void)
{
    return session_list_models(print_model, NULL) ? EXIT_RESULTS
                                                  : EXIT_NO_RESULTS;
}

int cmd_model(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"revision", required_argument, 0, 'r'},
        {"help", no_argument, 0, 'h'},
        CLI_COMMON_LONGOPTS,
        {0, 0, 0, 0}};
    cli_common co;
    cli_common_init(&co);
    const char *revision = NULL;
    int opt;
    while ((opt = getopt_long(argc, argv, "r:h" CLI_COMMON_SHORTOPTS, longopts,
                              NULL)) != -1) {
        if (cli_common_option(&co, opt, optarg)) continue;
        if (opt == 'r') {
            revision = optarg;
        } else {
            fputs(model_usage, opt == 'h' ? stdout : stderr);
            return opt == 'h' ? 0 : EXIT_ERROR;
        }
    }
    const char *verb = optind < argc ? argv[optind] : "";
    if (!strcmp(verb, "list")) return model_list();
    if (strcmp(verb, "pull") || optind + 1 >= argc) {
        fputs(model_usage, stderr);
        return EXIT_ERROR;
    }
    char dir[SESSION_PATH_MAX], err[VLM_ERR_MAX] = "";
    session_fetch_hooks hooks = {.progress = cli_fetch_progress, .user = &co};
    cli_install_signal_handlers();
    int rc = session_pull_model(argv[optind + 1], revision, co.offline, &hooks,
                                dir, sizeof dir, err);
    cli_progress_done(co.quiet);
    if (rc) {
        cli_error(err);
        return EXIT_ERROR;
    }
    printf("%s\n", dir);
    return 0;
}
