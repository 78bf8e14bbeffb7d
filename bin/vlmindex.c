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
    {"merge", cmd_merge, "one collection from shards (add --shard K/N)"},
    {"exclude", cmd_exclude,
     "exclude add|rm GLOB, exclude list: what add skips"},
    {"status", cmd_status,
     "what the collection holds; --failed lists failures"},
    {"repair", cmd_repair, "rebuild the vector index from SQLite"},
    {"reset", cmd_reset, "empty the collection (e.g. to switch models)"},
    {"dupes", cmd_dupes, "near-duplicate groups (prints; never deletes)"},
    {"export", cmd_export,
     "embeddings + metadata: .npy + JSONL, or safetensors"},
    {"classify", cmd_classify,
     "zero-shot labels over the collection (CSV/JSONL)"},
    {"probe", cmd_probe,
     "train a classifier from your own examples (train/eval/list/show/rm)"},
    {"embed", cmd_embed, "print embeddings of texts/images as JSON lines"},
    {"caption", cmd_caption,
     "LLaVA captions: one --image, or the collection (stored, FTS)"},
    {"score", cmd_score, "LLaVA log-probability of --phrase given --image"},
    {"model", cmd_model, "model pull NAME | model list"},
    {"render", cmd_render, "write what the model sees for a file as PNG"},
    {"watch", cmd_watch, "keep the roots in step as files change (inotify)"},
    {"serve", cmd_serve, "web page + JSON API on 127.0.0.1 (--watch too)"},
};

#define N_COMMANDS (sizeof commands / sizeof *commands)

static void usage(FILE *f)
{
    fputs("usage: vlmindex COMMAND [options]   (vlmindex COMMAND --help, or\n"
          "       vlmindex help COMMAND, tells each command's options)\n\n",
          f);
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].help);
    fputs(
        "\nSearching is vlmsearch QUERY... (vlmsearch --help).\n"
        "Collection: --collection DIR, $VLMINDEX_COLLECTION, or\n"
        "$XDG_DATA_HOME/vlmindex/collection.  vlmindex --version: the version,\n"
        "the build options and the CPU paths in use.\n\n",
        f);
    fputs(cli_exit_status_help, f);
}

static const command *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!strcmp(name, commands[i].name)) return &commands[i];
    return NULL;
}

static int unknown_command(const char *typed)
{
    char name[128];
    text_escape(name, sizeof name, typed, TEXT_ESCAPED);
    const char *names[N_COMMANDS];
    for (size_t i = 0; i < N_COMMANDS; i++) names[i] = commands[i].name;
    const char *s = cli_suggest(typed, names, (int)N_COMMANDS);
    if (!strcmp(typed, "search") || !strcmp(typed, "query"))
        fprintf(stderr, "vlmindex: searching is its own program: vlmsearch "
                        "QUERY... (vlmsearch --help)\n");
    else if (s)
        fprintf(stderr, "vlmindex: unknown command '%s' (did you mean %s?)\n",
                name, s);
    else
        fprintf(stderr, "vlmindex: unknown command '%s'\n", name);
    fputs("Try 'vlmindex --help'.\n", stderr);
    return EXIT_ERROR;
}

/* vlmindex help [COMMAND]: the command's own --help. */
static int help(int argc, char **argv)
{
    if (argc < 3) {
        usage(stdout);
        return 0;
    }
    const command *c = find_command(argv[2]);
    if (!c) return unknown_command(argv[2]);
    char *args[] = {argv[2], "--help", NULL};
    return c->run(2, args);
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
    if (!strcmp(argv[1], "help")) return help(argc, argv);
    const command *c = find_command(argv[1]);
    if (c) return c->run(argc - 1, argv + 1);
    if (argv[1][0] == '-') {
        char opt[128];
        fprintf(stderr,
                "vlmindex: options come after the command: vlmindex "
                "COMMAND %s ...\nTry 'vlmindex --help'.\n",
                text_escape(opt, sizeof opt, argv[1], TEXT_ESCAPED));
        return EXIT_ERROR;
    }
    return unknown_command(argv[1]);
}
