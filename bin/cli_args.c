#include "bin/cli_args.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bin/cli_common.h"
#include "model/core/vlm_error.h"

/* An option row and the struct its field lives in. */
typedef struct found {
    const cli_opt *opt;
    char *base;
} found;

#define MAX_ROWS 256

/* Every option of the command, then the global ones, flattened. */
typedef struct parser {
    const cli_command *cmd;
    int argc;
    found rows[MAX_ROWS];
    int n_rows;
} parser;

static int is_end(const cli_opt *o)
{
    return !o->short_name && !o->long_name && !o->help;
}

static void add_rows(parser *p, const cli_opt *t, char *base)
{
    for (; !is_end(t) && p->n_rows < MAX_ROWS; t++)
        if (t->type != CLI_SECTION) p->rows[p->n_rows++] = (found){t, base};
}

static found find_long(const parser *p, const char *name, size_t len)
{
    for (int i = 0; i < p->n_rows; i++) {
        const char *l = p->rows[i].opt->long_name;
        if (l && strlen(l) == len && !strncmp(l, name, len)) return p->rows[i];
    }
    return (found){0};
}

static found find_short(const parser *p, char c)
{
    for (int i = 0; i < p->n_rows; i++)
        if (p->rows[i].opt->short_name == c) return p->rows[i];
    return (found){0};
}

/* "-n/--top", "--in" or "-0": how errors name an option. */
static const char *flag_name(const cli_opt *o, char *buf, size_t n)
{
    if (o->short_name && o->long_name)
        snprintf(buf, n, "-%c/--%s", o->short_name, o->long_name);
    else if (o->long_name)
        snprintf(buf, n, "--%s", o->long_name);
    else
        snprintf(buf, n, "-%c", o->short_name);
    return buf;
}

int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* The message quotes what was typed, which may hold escapes. */
    fprintf(stderr, "%s: ", cmd->name);
    text_write(stderr, msg, TEXT_DISPLAY);
    fprintf(stderr, "\nTry '%s --help'.\n", cmd->name);
    return EXIT_ERROR;
}

/* Optimal string alignment distance (edits + adjacent swaps), capped. */
static int edit_distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > 40 || m > 40) return 99;
    int d[41][41];
    for (size_t i = 0; i <= n; i++) d[i][0] = (int)i;
    for (size_t j = 0; j <= m; j++) d[0][j] = (int)j;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++) {
            int cost = tolower((unsigned char)a[i - 1]) !=
                       tolower((unsigned char)b[j - 1]);
            int v = d[i - 1][j - 1] + cost;
            if (d[i - 1][j] + 1 < v) v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v) v = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
                a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[n][m];
}

const char *cli_suggest(const char *word, const char *const *candidates, int n)
{
    const char *best = NULL, *prefixed = NULL;
    int best_d = 99, n_prefixed = 0;
    size_t len = strlen(word);
    for (int i = 0; i < n; i++) {
        if (!candidates[i]) continue;
        int d = edit_distance(word, candidates[i]);
        if (d < best_d) best_d = d, best = candidates[i];
        if (len >= 2 && !strncmp(candidates[i], word, len))
            prefixed = candidates[i], n_prefixed++;
    }
    /* Close: one edit for short words, two for longer ones. */
    int limit = len <= 4 ? 1 : 2;
    if (best && best_d <= limit) return best;
    return n_prefixed == 1 ? prefixed : NULL;
}

static int unknown_long(const parser *p, const char *name, size_t len)
{
    const char *cands[MAX_ROWS];
    int n = 0;
    for (int i = 0; i < p->n_rows; i++)
        if (p->rows[i].opt->long_name) cands[n++] = p->rows[i].opt->long_name;
    char word[64];
    snprintf(word, sizeof word, "%.*s", (int)(len < 63 ? len : 63), name);
    const char *s = cli_suggest(word, cands, n);
    if (s)
        return cli_usage_error(
            p->cmd, "unknown option --%s (did you mean --%s?)", word, s);
    return cli_usage_error(p->cmd, "unknown option --%s", word);
}

/* Whole number: digits only (a sign allowed), nothing left over. */
static int parse_whole(const char *s, long long *v)
{
    if (!*s || isspace((unsigned char)*s)) return -1;
    char *end;
    errno = 0;
    *v = strtoll(s, &end, 10);
    if (*end) return -1;
    return errno == ERANGE ? 1 : 0;
}

static int set_int(const parser *p, const cli_opt *o, const char *text,
                   char *field)
{
    char name[64];
    long long v;
    int rc = parse_whole(text, &v);
    if (rc < 0)
        return cli_usage_error(p->cmd, "%s: '%s' is not a whole number",
                               flag_name(o, name, sizeof name), text);
    if (rc > 0 || (double)v < o->min || (double)v > o->max)
        return -2; /* range error: the caller reports it */
    *(int *)field = (int)v;
    return 0;
}

static int set_u64(const parser *p, const cli_opt *o, const char *text,
                   char *field)
{
    char name[64], *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (!*text || !isdigit((unsigned char)*text) || *end || errno)
        return cli_usage_error(p->cmd,
                               "%s: '%s' is not a whole number from 0 to "
                               "18446744073709551615",
                               flag_name(o, name, sizeof name), text);
    *(uint64_t *)field = (uint64_t)v;
    return 0;
}

static int set_float(const parser *p, const cli_opt *o, const char *text,
                     char *field)
{
    char name[64], *end;
    errno = 0;
    double v =
        *text && !isspace((unsigned char)*text) ? strtod(text, &end) : NAN;
    if (isnan(v) || *end)
        return cli_usage_error(p->cmd, "%s: '%s' is not a number",
                               flag_name(o, name, sizeof name), text);
    if (!isfinite(v) || v < o->min || v > o->max) return -2;
    *(float *)field = (float)v;
    return 0;
}

static int range_error(const parser *p, const cli_opt *o, const char *text)
{
    char name[64], safe[128];
    flag_name(o, name, sizeof name);
    text_escape(safe, sizeof safe, text, TEXT_ESCAPED);
    fprintf(stderr, "%s: %s must be %s %.15g and %.15g (got %s)\n",
            p->cmd->name, name,
            o->type == CLI_INT ? "a whole number between" : "between", o->min,
            o->max, safe);
    if (o->hint) {
        fputs("hint: ", stderr);
        for (const char *h = o->hint; *h; h++) {
            if (h[0] == '{' && h[1] == '}')
                fputs(safe, stderr), h++;
            else
                fputc(*h, stderr);
        }
        fputc('\n', stderr);
    }
    fprintf(stderr, "Try '%s --help'.\n", p->cmd->name);
    return EXIT_ERROR;
}

static int set_choice(const parser *p, const cli_opt *o, const char *text,
                      char *field)
{
    int n = 0;
    for (; o->choices[n]; n++)
        if (!strcmp(o->choices[n], text)) {
            *(int *)field = n;
            return 0;
        }
    char name[64], list[256] = "";
    for (int i = 0; i < n; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                 i ? ", " : "", o->choices[i]);
    const char *s = cli_suggest(text, o->choices, n);
    flag_name(o, name, sizeof name);
    if (s)
        return cli_usage_error(p->cmd,
                               "%s: '%s' is not one of %s (did you mean %s?)",
                               name, text, list, s);
    return cli_usage_error(p->cmd, "%s: '%s' is not one of %s", name, text,
                           list);
}

static int push_list(const parser *p, cli_list *l, const char *text)
{
    if (!l->v && !(l->v = calloc((size_t)p->argc + 1, sizeof *l->v))) {
        fprintf(stderr, "%s: out of memory\n", p->cmd->name);
        return EXIT_ERROR;
    }
    l->v[l->n++] = text;
    return 0;
}

static int set_parsed(const parser *p, const cli_opt *o, const char *text,
                      char *field)
{
    char err[VLM_ERR_MAX] = "", name[64];
    if (o->parse(text, field, err) == VLM_OK) return 0;
    return cli_usage_error(p->cmd, "%s: %s", flag_name(o, name, sizeof name),
                           err);
}

/* Stores text (NULL for a flag) into the option's field; 0 or exit code. */
static int apply(const parser *p, found f, const char *text)
{
    const cli_opt *o = f.opt;
    char *field = f.base + o->offset;
    int rc = 0;
    switch (o->type) {
    case CLI_FLAG: *(int *)field = 1; break;
    case CLI_TEXT: *(const char **)field = text; break;
    case CLI_LIST: rc = push_list(p, (cli_list *)field, text); break;
    case CLI_INT: rc = set_int(p, o, text, field); break;
    case CLI_U64: rc = set_u64(p, o, text, field); break;
    case CLI_FLOAT: rc = set_float(p, o, text, field); break;
    case CLI_CHOICE: rc = set_choice(p, o, text, field); break;
    case CLI_PARSE: rc = set_parsed(p, o, text, field); break;
    case CLI_SECTION: break;
    }
    return rc == -2 ? range_error(p, o, text) : rc;
}

/* "--name", "--name=value" or "--name value"; *i advances past a value. */
static int take_long(const parser *p, char **argv, int *i)
{
    const char *name = argv[*i] + 2, *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    found f = find_long(p, name, len);
    char fn[64];
    if (!f.opt) return unknown_long(p, name, len);
    if (!strcmp(f.opt->long_name, "help")) return -1;
    if (f.opt->type == CLI_FLAG) {
        if (!eq) return apply(p, f, NULL);
        return cli_usage_error(p->cmd, "--%s takes no value", f.opt->long_name);
    }
    if (eq) return apply(p, f, eq + 1);
    if (*i + 1 >= p->argc)
        return cli_usage_error(p->cmd, "%s needs a value (%s)",
                               flag_name(f.opt, fn, sizeof fn),
                               f.opt->metavar ? f.opt->metavar : "VALUE");
    return apply(p, f, argv[++*i]);
}

/* "-x", "-xVALUE", "-x VALUE" or bundled flags "-qE". */
static int take_short(const parser *p, char **argv, int *i)
{
    char fn[64];
    for (const char *c = argv[*i] + 1; *c; c++) {
        found f = find_short(p, *c);
        if (!f.opt)
            return cli_usage_error(p->cmd, "unknown option -%c%s", *c,
                                   c[1] ? " (long options start with --)" : "");
        if (f.opt->long_name && !strcmp(f.opt->long_name, "help")) return -1;
        if (f.opt->type == CLI_FLAG) {
            int rc = apply(p, f, NULL);
            if (rc) return rc;
            continue;
        }
        if (c[1]) return apply(p, f, c + 1);
        if (*i + 1 >= p->argc)
            return cli_usage_error(p->cmd, "%s needs a value (%s)",
                                   flag_name(f.opt, fn, sizeof fn),
                                   f.opt->metavar ? f.opt->metavar : "VALUE");
        return apply(p, f, argv[++*i]);
    }
    return 0;
}

static int check_positional(const cli_command *cmd, const cli_positional *pos)
{
    const char *what = cmd->args_name ? cmd->args_name : "argument";
    if (pos->n < cmd->min_args)
        return cli_usage_error(cmd,
                               cmd->min_args == 1 ? "give at least one %s"
                                                  : "too few arguments (%s)",
                               what);
    if (cmd->max_args >= 0 && pos->n > cmd->max_args) {
        if (cmd->max_args == 0)
            return cli_usage_error(cmd, "takes no arguments (got '%s')",
                                   pos->v[0]);
        return cli_usage_error(cmd, "too many arguments (from '%s' on)",
                               pos->v[cmd->max_args]);
    }
    return 0;
}

int cli_parse(const cli_command *cmd, int argc, char **argv, void *args,
              cli_common *common, cli_positional *pos, int *exit_code)
{
    parser p = {.cmd = cmd, .argc = argc};
    for (int t = 0; cmd->tables && cmd->tables[t]; t++)
        add_rows(&p, cmd->tables[t], args);
    add_rows(&p, cli_common_opts, (char *)common);
    pos->n = 0;
    pos->v = calloc((size_t)argc + 1, sizeof *pos->v);
    int rc = pos->v ? 0 : EXIT_ERROR, only_args = 0;
    for (int i = 1; !rc && i < argc; i++) {
        const char *a = argv[i];
        if (only_args || a[0] != '-' || !a[1])
            pos->v[pos->n++] = argv[i];
        else if (!strcmp(a, "--"))
            only_args = 1;
        else
            rc = a[1] == '-' ? take_long(&p, argv, &i)
                             : take_short(&p, argv, &i);
    }
    if (rc == -1) { /* --help */
        cli_print_help(cmd, stdout);
        *exit_code = 0;
        return CLI_EXIT;
    }
    if (!rc) rc = check_positional(cmd, pos);
    *exit_code = rc;
    return rc ? CLI_EXIT : CLI_PARSED;
}

void cli_args_free(const cli_command *cmd, void *args, cli_positional *pos)
{
    for (int t = 0; cmd->tables && cmd->tables[t]; t++)
        for (const cli_opt *o = cmd->tables[t]; !is_end(o); o++)
            if (o->type == CLI_LIST) {
                cli_list *l = (cli_list *)((char *)args + o->offset);
                free(l->v);
                l->v = NULL;
                l->n = 0;
            }
    if (pos) {
        free(pos->v);
        pos->v = NULL;
        pos->n = 0;
    }
}
