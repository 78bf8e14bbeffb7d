/* End-to-end: `vlmindex dupes` groups near-duplicates (a range search over
 * the vectors), keeps the largest or the oldest, prints tsv / jsonl / -0,
 * honours --in and the filters, and never deletes anything. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/e2e/e2e_util.h"

static e2e_ws ws;
static char dir[700];

/* d/cat.jpg, d/sub/cat.jpg (same bytes), d/cat-big.jpg (same pixels, more
 * bytes: decoded and embedded on its own), and two other photos. */
static void setup(void)
{
    e2e_ws_init(&ws, "clip-tiny-quickgelu-f32");
    snprintf(dir, sizeof dir, "%s/d", ws.root);
    cr_assert_eq(
        e2e_sh("set -e; mkdir -p '%s/sub'; cd '%s'; p='%s'; "
               "cp \"$p/cat.jpg\" cat.jpg; cp \"$p/cat.jpg\" sub/cat.jpg; "
               "{ cat \"$p/cat.jpg\"; head -c 5000 /dev/zero; } > cat-big.jpg; "
               "cp \"$p/astronaut.png\" astronaut.png; "
               "cp \"$p/coffee.png\" coffee.png; "
               "touch -d 2001-01-01 sub/cat.jpg; touch -d 2005-01-01 cat.jpg; "
               "touch -d 2010-01-01 cat-big.jpg",
               dir, dir, ws.photos),
        0);
    const char *add[] = {"add", "-qC", ws.coll, "-M", ws.model, dir, NULL};
    e2e_run r = e2e_exec("vlmindex", add);
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_run_free(&r);
}

static void teardown(void) { e2e_ws_cleanup(&ws); }

TestSuite(cli_dupes, .init = setup, .fini = teardown, .timeout = 120);

static e2e_run dupes(const char *a, const char *b, const char *c, const char *d)
{
    const char *args[12] = {"dupes", "-C", ws.coll, "-t", "0.999"};
    int n = 5;
    if (a) args[n++] = a;
    if (b) args[n++] = b;
    if (c) args[n++] = c;
    if (d) args[n++] = d;
    args[n] = NULL;
    return e2e_exec("vlmindex", args);
}

Test(cli_dupes, groups_keep_largest_by_default)
{
    e2e_run r = dupes(NULL, NULL, NULL, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(e2e_count_lines(r.out), 3, "one group of three: %s", r.out);
    char want[900];
    snprintf(want, sizeof want, "1\tkeep\t1.0000\t%s/cat-big.jpg\n", dir);
    cr_assert(!strncmp(r.out, want, strlen(want)), "%s", r.out);
    cr_assert(strstr(r.out, "\tdupe\t"), "%s", r.out);
    cr_assert_null(strstr(r.out, "coffee"), "%s", r.out);
    e2e_run_free(&r);
    /* Nothing was deleted. */
    struct stat st;
    char p[900];
    snprintf(p, sizeof p, "%s/sub/cat.jpg", dir);
    cr_assert_eq(stat(p, &st), 0);
    cr_assert_eq(e2e_counts(ws.coll).ok, 5);
}

Test(cli_dupes, keep_oldest_and_nul_paths)
{
    e2e_run r = dupes("--keep", "oldest", "-0", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    /* The two not kept, raw, each ending in NUL: the oldest stays out. */
    int n = 0;
    for (size_t off = 0; off < r.out_len; off += strlen(r.out + off) + 1) {
        cr_assert_null(strstr(r.out + off, "/sub/cat.jpg"), "kept one listed");
        n++;
    }
    cr_assert_eq(n, 2);
    e2e_run_free(&r);
}

Test(cli_dupes, jsonl_in_and_filters)
{
    e2e_run r = dupes("-f", "jsonl", "--keep", "newest");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(e2e_count_lines(r.out), 1, "%s", r.out);
    cr_assert(strstr(r.out, "{\"group\":1,\"keep\":{\"path\":"), "%s", r.out);
    cr_assert(strstr(r.out, "/cat-big.jpg\""), "%s", r.out);
    char file[800];
    snprintf(file, sizeof file, "%s/g.jsonl", ws.root);
    FILE *f = fopen(file, "w");
    fwrite(r.out, 1, r.out_len, f);
    fclose(f);
    cr_assert_eq(
        e2e_sh("jq -e '.duplicates | length == 2' '%s' > /dev/null", file), 0,
        "%s", r.out);
    e2e_run_free(&r);
    char sub[800];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    r = dupes("--in", sub, NULL, NULL); /* one file: no pair */
    cr_assert_eq(r.status, 1, "%s", r.out);
    e2e_run_free(&r);
    r = dupes("--before", "2008", NULL, NULL); /* the two older cats */
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(e2e_count_lines(r.out), 2, "%s", r.out);
    e2e_run_free(&r);
    r = dupes("-t", "1.5", NULL, NULL);
    cr_assert_eq(r.status, 2);
    e2e_run_free(&r);
}
