/* vlmindex model pull NAME | model list */
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bin/cli_common.h"
#include "bin/commands.h"

static const char model_usage[] =
    "usage: vlmindex model pull NAME [--revision REV]   download a hub "
    "checkpoint\n"
    "       vlmindex model list                          installed models\n"
    "  NAME is a Hugging Face repo id, e.g. " DEFAULT_MODEL_REPO "\n"
    "  $HF_ENDPOINT and $HF_TOKEN are honoured; --offline forbids network.\n";

static int model_list(void)
{
    char models[4096];
    cli_models_dir(models, sizeof models);
    DIR *d = opendir(models);
    if (!d) return EXIT_NO_RESULTS;
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d))) {
        char cfg[8192];
        struct stat st;
        snprintf(cfg, sizeof cfg, "%s/%s/config.json", models, e->d_name);
        if (e->d_name[0] == '.' || stat(cfg, &st) != 0) continue;
        char *sep = strstr(e->d_name, "--");
        if (sep) /* org--name -> org/name */
            printf("%.*s/%s\t%s/%s\n", (int)(sep - e->d_name), e->d_name,
                   sep + 2, models, e->d_name);
        else
            printf("%s\t%s/%s\n", e->d_name, models, e->d_name);
        n++;
    }
    closedir(d);
    return n ? EXIT_RESULTS : EXIT_NO_RESULTS;
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
    char dir[4096], err[VLM_ERR_MAX] = "";
    if (cli_pull_model(&co, argv[optind + 1], revision, dir, sizeof dir, err)) {
        cli_error(err);
        return EXIT_ERROR;
    }
    printf("%s\n", dir);
    return 0;
}
