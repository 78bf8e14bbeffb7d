/* End-to-end: excludes that stick.  Default excludes (NAS thumbnails,
 * recycle bins, node_modules, .git, hidden entries), `rm` inside a root and
 * `exclude add` survive `update`; `exclude rm` turns a default off; `-x` is
 * remembered for its folder; a file given alone is indexed without becoming
 * a root. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/e2e/e2e_util.h"

static e2e_ws ws;
static char ex[700];

/* ex/: a.jpg sub/b.jpg raw/g.jpg, and c.jpg in each default-excluded
 * folder. */
static void setup(void)
{
    e2e_ws_init(&ws, "clip-tiny-quickgelu-f32");
    snprintf(ex, sizeof ex, "%s/ex", ws.root);
    const char *p = ws.photos;
    cr_assert_eq(
        e2e_sh("set -e; cd '%s' && mkdir -p ex/sub ex/raw ex/@eaDir "
               "ex/node_modules/pkg ex/.hidden ex/#recycle ex/#snapshot "
               "ex/.Trash-1000 ex/.git && cp '%s/cat.jpg' ex/a.jpg && "
               "cp '%s/bee.jpg' ex/sub/b.jpg && cp '%s/cake.jpg' ex/raw/g.jpg "
               "&& for d in @eaDir node_modules/pkg .hidden '#recycle' "
               "'#snapshot' .Trash-1000 .git; do cp '%s/books.jpg' \"ex/$d/"
               "c.jpg\"; done",
               ws.root, p, p, p, p),
        0);
}

static void teardown(void) { e2e_ws_cleanup(&ws); }

TestSuite(cli_exclude, .init = setup, .fini = teardown, .timeout = 120);

static e2e_run vlmindex(const char *a, const char *b, const char *c,
                        const char *d)
{
    const char *args[10] = {a, "-C", ws.coll, "-M", ws.model};
    int n = 5;
    if (b) args[n++] = b;
    if (c) args[n++] = c;
    if (d) args[n++] = d;
    args[n] = NULL;
    return e2e_exec("vlmindex", args);
}

static void ok(const char *a, const char *b, const char *c, const char *d)
{
    e2e_run r = vlmindex(a, b, c, d);
    cr_assert_eq(r.status, 0, "%s %s: %s", a, b ? b : "", r.err);
    e2e_run_free(&r);
}

static int64_t indexed(void) { return e2e_counts(ws.coll).ok; }

Test(cli_exclude, defaults_rm_and_exclude_add_survive_update)
{
    char path[800];
    ok("add", ex, NULL, NULL);
    cr_assert_eq(indexed(), 3, "defaults skip NAS, VCS, hidden folders");
    /* rm inside a root sticks. */
    snprintf(path, sizeof path, "%s/raw", ex);
    ok("rm", path, NULL, NULL);
    cr_assert_eq(indexed(), 2);
    ok("update", NULL, NULL, NULL);
    cr_assert_eq(indexed(), 2, "update brought back a removed folder");
    e2e_run r = vlmindex("exclude", "list", NULL, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "*\t@eaDir\tdefault\n"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "/ex/raw\tadded\n"), "%s", r.out);
    e2e_run_free(&r);
    /* exclude add forgets what it matches, and update keeps it out. */
    r = vlmindex("exclude", "add", "sub", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "1 indexed file(s) forgotten"), "%s",
                       r.out);
    e2e_run_free(&r);
    cr_assert_eq(indexed(), 1);
    ok("update", NULL, NULL, NULL);
    cr_assert_eq(indexed(), 1);
    /* A default turned off: node_modules is indexed by the next update. */
    ok("exclude", "rm", "node_modules", NULL);
    ok("update", NULL, NULL, NULL);
    cr_assert_eq(indexed(), 2);
    r = vlmindex("exclude", "list", NULL, NULL);
    cr_assert_not_null(strstr(r.out, "*\tnode_modules\tdefault, off\n"), "%s",
                       r.out);
    e2e_run_free(&r);
    /* ...and back on: the row goes again. */
    ok("exclude", "add", "node_modules", NULL);
    cr_assert_eq(indexed(), 1);
    /* Adding the removed folder again lifts its exclusion. */
    ok("add", path, NULL, NULL);
    ok("update", NULL, NULL, NULL);
    cr_assert_eq(indexed(), 2);
}

Test(cli_exclude, exclude_errors_and_root_scope)
{
    ok("add", ex, NULL, NULL);
    e2e_run r = vlmindex("exclude", "rm", "nothing-like-this", NULL);
    cr_assert_eq(r.status, 2);
    cr_assert_not_null(strstr(r.err, "no exclude 'nothing-like-this'"), "%s",
                       r.err);
    e2e_run_free(&r);
    r = vlmindex("exclude", "add", "x", "--root=/nonexistent");
    cr_assert_eq(r.status, 2);
    cr_assert_not_null(strstr(r.err, "not a root"), "%s", r.err);
    e2e_run_free(&r);
    char root[800];
    snprintf(root, sizeof root, "--root=%s", ex);
    ok("exclude", "add", "a.jpg", root);
    cr_assert_eq(indexed(), 2);
    r = vlmindex("exclude", "list", NULL, NULL);
    char want[900];
    snprintf(want, sizeof want, "%s\ta.jpg\tadded\n", ex);
    cr_assert_not_null(strstr(r.out, want), "%s", r.out);
    e2e_run_free(&r);
}

Test(cli_exclude, dash_x_is_remembered_for_its_folder)
{
    ok("add", "-x", "b.jpg", ex);
    cr_assert_eq(indexed(), 2);
    ok("update", NULL, NULL, NULL);
    cr_assert_eq(indexed(), 2, "-x was forgotten by update");
}

Test(cli_exclude, a_file_given_alone_is_not_a_root)
{
    char file[800];
    snprintf(file, sizeof file, "%s/alone.jpg", ws.root);
    cr_assert_eq(e2e_sh("cp '%s/cat.jpg' '%s'", ws.photos, file), 0);
    ok("add", file, NULL, NULL);
    cr_assert_eq(indexed(), 1);
    e2e_run r = vlmindex("status", NULL, NULL, NULL);
    cr_assert_null(strstr(r.out, "root:"), "a file became a root: %s", r.out);
    e2e_run_free(&r);
    ok("update", NULL, NULL, NULL);
    cr_assert_eq(indexed(), 1, "update lost the file");
    cr_assert_eq(e2e_sh("rm '%s'", file), 0);
    ok("update", NULL, NULL, NULL);
    cr_assert_eq(indexed(), 0, "update kept a vanished file");
    /* A file inside a root, given alone, belongs to that root. */
    ok("add", ex, NULL, NULL);
    snprintf(file, sizeof file, "%s/a.jpg", ex);
    ok("add", file, NULL, NULL);
    r = vlmindex("status", NULL, NULL, NULL);
    cr_assert_eq(e2e_count_lines(strstr(r.out, "root:")), 1, "%s", r.out);
    e2e_run_free(&r);
}
