/* vlmindex exclude add | list | rm: what the folder walk skips, per root. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bin/cli_common.h"
#include "bin/commands.h"
#include "indexer/excludes.h"

typedef struct exclude_args {
    cli_common common;
    const char *root;
} exclude_args;

static const cli_opt exclude_opts[] = {
    CLI_OPT_TEXT(0, "root", offsetof(exclude_args, root), "DIR",
                 "only for this root folder (default: every root)"),
    CLI_OPT_END};

static const cli_opt *const exclude_tables[] = {exclude_opts, cli_writer_opts,
                                                NULL};

static const cli_command exclude_cmd = {
    .name = "vlmindex exclude",
    .synopsis = "add GLOB [--root DIR]\n"
                "rm GLOB [--root DIR]\n"
                "list",
    .about =
        "Globs the folder walk skips, kept in the collection.  A glob matches\n"
        "an entry's name or its full path (fnmatch): \"raw\", \"*.tmp\",\n"
        "\"/home/me/Pictures/old\".  add also forgets the files it now\n"
        "excludes; rm of a default (.*, @eaDir, #recycle, #snapshot,\n"
        ".Trash-*, node_modules, .git) turns it off; then `vlmindex update`.\n"
        "`vlmindex rm PATH` inside a root adds PATH here.",
    .tables = exclude_tables,
    .min_args = 1,
    .max_args = 2,
    .args_name = "verb (add GLOB, rm GLOB or list)",
};

/* --root DIR as the root it names (absolute), or NULL for every root. */
static int resolve_root(const exclude_args *a, collection *c, char **root,
                        char *err)
{
    *root = NULL;
    if (!a->root) return VLM_OK;
    char *abs = realpath(a->root, NULL), **roots = NULL;
    size_t n = 0;
    int rc = collection_list_roots(c, &roots, &n, err), found = 0;
    for (size_t i = 0; !rc && abs && i < n; i++)
        found |= !strcmp(roots[i], abs);
    collection_free_strings(roots, n);
    if (!rc && !found) {
        vlm_set_err(err,
                    "--root %s: not a root of the collection (vlmindex "
                    "status lists them)",
                    a->root);
        rc = VLM_ENOTFOUND;
    }
    if (rc)
        free(abs);
    else
        *root = abs;
    return rc;
}

/* scope<TAB>glob<TAB>origin, escaped like ls -b. */
static void print_row(const char *root, const char *glob, const char *origin)
{
    text_write(stdout, root && *root ? root : "*", TEXT_ESCAPED);
    putchar('\t');
    text_write(stdout, glob, TEXT_ESCAPED);
    printf("\t%s\n", origin);
}

static int list_excludes(collection *c, char *err)
{
    collection_exclude *ex = NULL;
    size_t n = 0;
    int rc = collection_list_excludes(c, &ex, &n, err);
    for (int i = 0; !rc && excludes_defaults[i]; i++) {
        int off = 0;
        for (size_t k = 0; k < n; k++)
            off |= ex[k].off && !ex[k].root[0] &&
                   !strcmp(ex[k].glob, excludes_defaults[i]);
        print_row(NULL, excludes_defaults[i], off ? "default, off" : "default");
    }
    for (size_t k = 0; !rc && k < n; k++)
        if (ex[k].off ? ex[k].root[0] != 0 : 1)
            print_row(ex[k].root, ex[k].glob,
                      ex[k].off ? "default, off" : "added");
    collection_free_excludes(ex, n);
    return rc;
}

static int run_verb(const exclude_args *a, session *s, const char *verb,
                    const char *glob, char *err)
{
    collection *c = session_collection(s);
    char *root = NULL;
    int64_t removed = 0;
    int rc = resolve_root(a, c, &root, err);
    if (!rc && !strcmp(verb, "add")) {
        rc = excludes_add(c, session_index(s), root, glob, &removed, err);
        if (!rc)
            printf("excluded; %lld indexed file(s) forgotten\n",
                   (long long)removed);
    } else if (!rc && !strcmp(verb, "rm")) {
        rc = excludes_remove(c, root, glob, err);
        if (!rc)
            puts("no longer excluded: `vlmindex update` indexes what it "
                 "skipped");
    } else if (!rc) {
        rc = list_excludes(c, err);
    }
    free(root);
    return rc;
}

static int check_verb(const cli_positional *pos)
{
    static const char *const verbs[] = {"add", "rm", "list"};
    const char *v = pos->v[0], *s = cli_suggest(v, verbs, 3);
    int takes_glob = !strcmp(v, "add") || !strcmp(v, "rm");
    if (takes_glob && pos->n != 2)
        return cli_usage_error(&exclude_cmd, "%s needs one GLOB", v);
    if (!strcmp(v, "list") && pos->n != 1)
        return cli_usage_error(&exclude_cmd, "list takes no GLOB");
    if (takes_glob || !strcmp(v, "list")) return 0;
    if (s)
        return cli_usage_error(&exclude_cmd,
                               "unknown verb '%s' (did you mean %s?)", v, s);
    return cli_usage_error(&exclude_cmd, "unknown verb '%s'", v);
}

int cmd_exclude(int argc, char **argv)
{
    exclude_args a = {0};
    cli_positional pos;
    char err[VLM_ERR_MAX] = "";
    int code;
    cli_common_init(&a.common);
    if (!cli_parse(&exclude_cmd, argc, argv, &a, &a.common, &pos, &code) &&
        !(code = check_verb(&pos))) {
        session *s = NULL;
        /* add and rm change the collection: one writer at a time. */
        a.common.command = "vlmindex exclude";
        int rc = cli_open_session(
            &a.common, strcmp(pos.v[0], "list") ? SESSION_MODIFY : SESSION_READ,
            SESSION_INDEX_IF_BOUND, 0, &s, err);
        if (!rc) rc = run_verb(&a, s, pos.v[0], pos.n > 1 ? pos.v[1] : "", err);
        session_close(s);
        code = cli_exit_code(rc, err);
    }
    cli_args_free(&exclude_cmd, &a, &pos);
    return code;
}
