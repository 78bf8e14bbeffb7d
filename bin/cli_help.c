/* cli_help.c — a command's --help, printed from its option tables. */
#include <string.h>

#include "bin/cli_args.h"
#include "bin/cli_common.h"

#define HELP_COLUMN 26

/* Prints text with every line after the first indented to HELP_COLUMN. */
static void print_lines(FILE *out, const char *text)
{
    for (const char *s = text; *s; s++) {
        fputc(*s, out);
        if (*s == '\n' && s[1]) fprintf(out, "%*s", HELP_COLUMN, "");
    }
    fputc('\n', out);
}

static void print_opt(FILE *out, const cli_opt *o)
{
    char left[96];
    int n;
    if (o->short_name && o->long_name)
        n = snprintf(left, sizeof left, "  -%c, --%s", o->short_name,
                     o->long_name);
    else if (o->long_name)
        n = snprintf(left, sizeof left, "      --%s", o->long_name);
    else
        n = snprintf(left, sizeof left, "  -%c", o->short_name);
    if (o->type != CLI_FLAG && o->metavar)
        n += snprintf(left + n, sizeof left - (size_t)n, " %s", o->metavar);
    fputs(left, out);
    if (n >= HELP_COLUMN - 1)
        fprintf(out, "\n%*s", HELP_COLUMN, "");
    else
        fprintf(out, "%*s", HELP_COLUMN - n, "");
    print_lines(out, o->help ? o->help : "");
}

static void print_table(FILE *out, const cli_opt *t)
{
    for (; t->short_name || t->long_name || t->help; t++) {
        if (t->type == CLI_SECTION)
            fprintf(out, "\n%s\n", t->help);
        else
            print_opt(out, t);
    }
}

static void print_synopsis(FILE *out, const cli_command *cmd)
{
    const char *s = cmd->synopsis ? cmd->synopsis : "[options]";
    fprintf(out, "usage: %s ", cmd->name);
    for (; *s; s++) {
        fputc(*s, out);
        if (*s == '\n') fprintf(out, "       %s ", cmd->name);
    }
    fputc('\n', out);
}

void cli_print_help(const cli_command *cmd, FILE *out)
{
    print_synopsis(out, cmd);
    if (cmd->about) fprintf(out, "\n%s\n", cmd->about);
    if (cmd->tables && cmd->tables[0]) {
        const cli_opt *first = cmd->tables[0];
        if (first->type != CLI_SECTION) fputs("\nOptions:\n", out);
        for (int t = 0; cmd->tables[t]; t++) print_table(out, cmd->tables[t]);
    }
    fputs("\nGlobal options:\n", out);
    print_table(out, cli_common_opts);
    fprintf(out, "\n%s", cli_exit_status_help);
}
