/*
 * vlmindex — build and query a local text-to-image index.
 *
 *   vlmindex add ~/Pictures          index (incrementally) a folder
 *   vlmsearch "red flowers"          search it (see vlmsearch --help)
 */
#include <stdio.h>
#include <string.h>

#include "bin/cli_common.h"
#include "bin/commands.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} command;

static const command commands[] = {
    {"add", cmd_add, "index folders or files (incremental)"},
    {"update", cmd_update, "re-scan every known folder, drop vanished files"},
    {"rm", cmd_rm, "forget files or folders (disk untouched)"},
    {"status", cmd_status,
     "what the collection holds; --failed lists failures"},
    {"repair", cmd_repair, "rebuild the vector index from SQLite"},
    {"reset", cmd_reset, "empty the collection (e.g. to switch models)"},
    {"classify", cmd_classify,
     "zero-shot labels over the collection (CSV/JSONL)"},
    {"embed", cmd_embed, "print embeddings of texts/images as JSON lines"},
    {"caption", cmd_caption,
     "LLaVA captions: one --image, or the collection (stored, FTS)"},
    {"score", cmd_score, "LLaVA log-probability of --phrase given --image"},
    {"model", cmd_model, "model pull NAME | model list"},
};

static void usage(FILE *f)
{
    fputs("usage: vlmindex COMMAND [options]   (vlmindex COMMAND --help)\n\n",
          f);
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].help);
    fputs("\n  --version prints the version.\n", f);
    fputs("\nCollection: --collection DIR, $VLMINDEX_COLLECTION, or "
          "$XDG_DATA_HOME/vlmindex/collection.\n",
          f);
}

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "--version")) {
        cli_print_version("vlmindex");
        return 0;
    }
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_ERROR : 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "vlmindex: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return EXIT_ERROR;
}
