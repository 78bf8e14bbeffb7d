/*
 * cli_args.h — the command-line grammar of every vlmindex / vlmsearch
 * command: one table of options per command, parsed strictly, and the
 * --help text printed from the same table.
 *
 * A command is a cli_command: its name, synopsis, a few lines about it and
 * NULL-terminated list of option tables whose fields live in the command's
 * own argument struct (offsetof).  The global options (cli_common.h) are
 * appended to every command, so each one's --help shows them too.
 *
 *   static const cli_opt opts[] = {
 *       CLI_OPT_INT('n', "top", offsetof(search_args, top_k), "K", 1, 1000000,
 *                   "how many results (default 10)"),
 *       CLI_OPT_FLAG(0, "explain", offsetof(search_args, explain),
 *                    "show each ranking component"),
 *       CLI_OPT_END};
 *
 * Adding an option is a row here and a field there; adding a command is a
 * cli_command and a line in the binary's command list.
 *
 * The rules: numbers must parse completely and lie in the row's range
 * (NaN and infinities are refused); choices must be one of their words;
 * unknown options and commands are refused with a "did you mean" when one
 * is close; the error names the flag and the reason.  "--name=value",
 * "--name value", "-xVALUE", "-x VALUE", bundled short flags ("-qE") and
 * "--" (end of options) work as in getopt_long; abbreviations do not (an
 * option added later must never change what an old command line means).
 */
#ifndef VLM_CLI_ARGS_H
#define VLM_CLI_ARGS_H

#include <stddef.h>
#include <stdio.h>

typedef enum cli_type {
    CLI_SECTION, /* not an option: a heading in --help (help is the title) */
    CLI_FLAG,    /* int field set to 1 */
    CLI_TEXT,    /* const char * field (the last one given wins) */
    CLI_LIST,    /* cli_list field: every occurrence, in order */
    CLI_INT,     /* int field: a whole number in [min, max] */
    CLI_U64,     /* uint64_t field: any whole number >= 0 (64 bits) */
    CLI_FLOAT,   /* float field: a finite number in [min, max] */
    CLI_CHOICE,  /* int field: the index of the word in choices */
    CLI_PARSE,   /* parse(text, field, err) converts and validates */
} cli_type;

/* Repeated values (CLI_LIST): pointers into argv. */
typedef struct cli_list {
    const char **v;
    int n;
} cli_list;

typedef struct cli_opt {
    char short_name;       /* 0: long form only */
    const char *long_name; /* without "--"; NULL: short form only */
    cli_type type;
    size_t offset;              /* offsetof(args struct, field) */
    const char *metavar;        /* the value's name in --help and errors */
    const char *help;           /* --help text; '\n' starts an indented line */
    double min, max;            /* CLI_INT, CLI_FLOAT: the accepted range */
    const char *const *choices; /* CLI_CHOICE: NULL-terminated words */
    /* CLI_PARSE: converts text into *field; VLM_OK or a status with err
     * saying why (the caller adds the flag's name). */
    int (*parse)(const char *text, void *field, char *err);
    /* Said after an out-of-range error; "{}" becomes the value given. */
    const char *hint;
} cli_opt;

/* One row per option: S the short name (0: none), L the long name (NULL:
 * none), F offsetof(args struct, field), M the value's name, H the help;
 * [LO, HI] the accepted range.  A row with a hint is written out in full. */
/* clang-format off */
#define CLI_OPT_FLAG(S, L, F, H) \
    {.short_name = S, .long_name = L, .type = CLI_FLAG, .offset = F, \
     .help = H}
#define CLI_OPT_TEXT(S, L, F, M, H) \
    {.short_name = S, .long_name = L, .type = CLI_TEXT, .offset = F, \
     .metavar = M, .help = H}
#define CLI_OPT_LIST(S, L, F, M, H) \
    {.short_name = S, .long_name = L, .type = CLI_LIST, .offset = F, \
     .metavar = M, .help = H}
#define CLI_OPT_U64(S, L, F, M, H) \
    {.short_name = S, .long_name = L, .type = CLI_U64, .offset = F, \
     .metavar = M, .help = H}
#define CLI_OPT_INT(S, L, F, M, LO, HI, H) \
    {.short_name = S, .long_name = L, .type = CLI_INT, .offset = F, \
     .metavar = M, .min = LO, .max = HI, .help = H}
#define CLI_OPT_FLOAT(S, L, F, M, LO, HI, H) \
    {.short_name = S, .long_name = L, .type = CLI_FLOAT, .offset = F, \
     .metavar = M, .min = LO, .max = HI, .help = H}
#define CLI_OPT_CHOICE(S, L, F, M, WORDS, H) \
    {.short_name = S, .long_name = L, .type = CLI_CHOICE, .offset = F, \
     .metavar = M, .choices = WORDS, .help = H}
#define CLI_OPT_PARSE(S, L, F, M, FN, H) \
    {.short_name = S, .long_name = L, .type = CLI_PARSE, .offset = F, \
     .metavar = M, .parse = FN, .help = H}
#define CLI_OPT_SECTION(TITLE) {.type = CLI_SECTION, .help = TITLE}
#define CLI_OPT_END {0}
/* clang-format on */

typedef struct cli_command {
    const char *name;     /* as the user types it: "vlmindex add" */
    const char *synopsis; /* after the name; '\n' separates other forms */
    const char *about;    /* a few lines for --help */
    const cli_opt *const *tables; /* NULL-terminated; fields in the args */
    int min_args, max_args;       /* positional arguments; max < 0: any */
    const char *args_name;        /* their name in errors ("PATH") */
} cli_command;

/* Positional arguments in the order given (pointers into argv). */
typedef struct cli_positional {
    char **v;
    int n;
} cli_positional;

struct cli_common;

enum {
    CLI_PARSED = 0, /* go on */
    CLI_EXIT = 1,   /* --help printed or an error reported: exit with
                       the code in *exit_code */
};

/* Parses argv[1..argc-1] (argv[0] is the command word) into `args` (the
 * command's struct, fields zeroed or defaulted by the caller) and
 * `common`.  On CLI_EXIT, --help went to stdout (code 0) or an error to
 * stderr (code 2).  Free with cli_args_free either way. */
int cli_parse(const cli_command *cmd, int argc, char **argv, void *args,
              struct cli_common *common, cli_positional *pos, int *exit_code);

/* Frees the lists cli_parse allocated inside `args` and `pos`. */
void cli_args_free(const cli_command *cmd, void *args, cli_positional *pos);

/* The full --help of cmd (synopsis, about, options, global options, exit
 * status). */
void cli_print_help(const cli_command *cmd, FILE *out);

/* "<name>: <message>" and a pointer to --help, on stderr; returns 2. */
int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The candidate closest to word (edit distance, or a unique prefix), or
 * NULL when none is close enough to suggest. */
const char *cli_suggest(const char *word, const char *const *candidates, int n);

#endif
