/* End-to-end: output is always safe and parseable.  File names with escape
 * sequences, newlines, tabs, backslashes, C1 controls and bytes that are not
 * UTF-8 go through add, status --failed, vlmsearch (tsv, paths, -0, jsonl,
 * csv), classify and embed: nothing reaches a terminal as an escape
 * sequence, line records stay one per line and unescape to the real name,
 * -0 gives the raw bytes, JSONL parses strictly and gives the bytes back. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/e2e/e2e_util.h"

#define N_GOOD 5

static e2e_ws ws;
static char odd[700];
static char good[N_GOOD][800], bad[800];

static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    cr_assert(in && out, "cannot copy %s", from);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) fwrite(buf, 1, n, out);
    fclose(in);
    fclose(out);
}

static void setup(void)
{
    static const char *const names[N_GOOD] = {"new\nline.jpg", "lat\xe9.jpg",
                                              "tab\tback\\slash.jpg",
                                              "c1\xc2\x9b"
                                              "31m.jpg",
                                              "plain.jpg"};
    static const char *const sources[N_GOOD] = {
        "cat.jpg", "bee.jpg", "cake.jpg", "books.jpg", "camera.jpg"};
    e2e_ws_init(&ws, "clip-tiny-quickgelu-f32");
    snprintf(odd, sizeof odd, "%s/odd", ws.root);
    cr_assert_eq(e2e_sh("mkdir '%s'", odd), 0);
    char src[900];
    for (int i = 0; i < N_GOOD; i++) {
        snprintf(good[i], sizeof good[i], "%s/%s", odd, names[i]);
        snprintf(src, sizeof src, "%s/%s", ws.photos, sources[i]);
        copy_file(src, good[i]);
    }
    snprintf(bad, sizeof bad, "%s/x\033]0;PWNED\a\033[2J.jpg", odd);
    snprintf(src, sizeof src, "%s/images/bad/random-bytes.jpg", ws.fixtures);
    copy_file(src, bad);
    const char *add[] = {"add", "-C", ws.coll, "-M", ws.model, odd, NULL};
    e2e_run r = e2e_exec("vlmindex", add);
    cr_assert_eq(r.status, 0, "%s", r.err);
    /* The failure line names the file, escaped. */
    cr_assert_null(memchr(r.err, '\033', strlen(r.err)), "raw ESC: %s", r.err);
    cr_assert_null(memchr(r.err, '\a', strlen(r.err)), "raw BEL: %s", r.err);
    cr_assert_not_null(strstr(r.err, "failed: "), "%s", r.err);
    cr_assert_not_null(strstr(r.err, "x\\033]0;PWNED\\a\\033[2J.jpg"), "%s",
                       r.err);
    e2e_run_free(&r);
}

static void teardown(void) { e2e_ws_cleanup(&ws); }

TestSuite(cli_output, .init = setup, .fini = teardown, .timeout = 120);

/* Undoes the `ls -b` escapes of one field (up to a tab or the end). */
static void unescape(const char *s, size_t len, char *out)
{
    static const char letters[] = "abtnvfr", codes[] = "\a\b\t\n\v\f\r";
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '\\') {
            out[k++] = s[i];
            continue;
        }
        char c = s[++i];
        const char *l = strchr(letters, c);
        if (c == '\\')
            out[k++] = '\\';
        else if (l && c)
            out[k++] = codes[l - letters];
        else {
            out[k++] = (char)((c - '0') * 64 + (s[i + 1] - '0') * 8 +
                              (s[i + 2] - '0'));
            i += 2;
        }
    }
    out[k] = 0;
}

static int good_index(const char *path)
{
    for (int i = 0; i < N_GOOD; i++)
        if (!strcmp(path, good[i])) return i;
    return -1;
}

/* Line records: printable but for tabs; each path unescapes to a real
 * name; every good file once. */
static void check_lines(const e2e_run *r, int path_field)
{
    int seen[N_GOOD] = {0}, lines = 0;
    for (const char *l = r->out; *l; lines++) {
        const char *nl = strchr(l, '\n');
        cr_assert_not_null(nl);
        for (const char *p = l; p < nl; p++)
            cr_assert((unsigned char)*p >= 0x20 || *p == '\t',
                      "control byte %#x in output", *p);
        const char *f = l;
        for (int k = 0; k < path_field; k++) f = strchr(f, '\t') + 1;
        const char *end = memchr(f, '\t', (size_t)(nl - f));
        char path[1024];
        unescape(f, (size_t)((end ? end : nl) - f), path);
        int i = good_index(path);
        cr_assert_geq(i, 0, "'%.*s' unescapes to no file", (int)(nl - l), l);
        seen[i]++;
        l = nl + 1;
    }
    cr_assert_eq(lines, N_GOOD, "%d lines: %s", lines, r->out);
    for (int i = 0; i < N_GOOD; i++) cr_assert_eq(seen[i], 1);
}

/* vlmsearch -n 50 [a [b]] photo */
static e2e_run search(const char *a, const char *b)
{
    const char *args[8] = {"-C", ws.coll, "-n", "50"};
    int n = 4;
    if (a) args[n++] = a;
    if (b) args[n++] = b;
    args[n++] = "photo";
    args[n] = NULL;
    return e2e_exec("vlmsearch", args);
}

Test(cli_output, tsv_and_paths_escape_like_ls_b)
{
    e2e_run r = search(NULL, NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    check_lines(&r, 1);
    cr_assert_not_null(strstr(r.out, "new\\nline.jpg"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "tab\\tback\\\\slash.jpg"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "lat\\351.jpg"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "c1\\302\\23331m.jpg"), "%s", r.out);
    e2e_run_free(&r);
    r = search("-f", "paths");
    cr_assert_eq(r.status, 0, "%s", r.err);
    check_lines(&r, 0);
    e2e_run_free(&r);
}

/* Records ending in NUL: the exact bytes of each good file. */
static void check_nul_records(const e2e_run *r)
{
    int seen[N_GOOD] = {0}, n = 0;
    for (size_t off = 0; off < r->out_len; n++) {
        const char *p = r->out + off;
        int i = good_index(p);
        cr_assert_geq(i, 0, "record '%s' is no file", p);
        seen[i]++;
        off += strlen(p) + 1;
    }
    cr_assert_eq(n, N_GOOD);
    for (int i = 0; i < N_GOOD; i++) cr_assert_eq(seen[i], 1);
}

Test(cli_output, nul_separated_paths_are_raw)
{
    e2e_run r = search("-0", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    check_nul_records(&r);
    e2e_run_free(&r);
    const char *cl[] = {"classify", "-C",  ws.coll,      "-l", "cat",
                        "-l",       "bee", "--no-store", "-0", NULL};
    r = e2e_exec("vlmindex", cl);
    cr_assert_eq(r.status, 0, "%s", r.err);
    check_nul_records(&r);
    e2e_run_free(&r);
}

Test(cli_output, status_failed_escapes_and_nul)
{
    const char *st[] = {"status", "-C", ws.coll, "--failed", NULL};
    e2e_run r = e2e_exec("vlmindex", st);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(e2e_count_lines(r.out), 1, "%s", r.out);
    cr_assert_null(memchr(r.out, '\033', r.out_len), "raw ESC: %s", r.out);
    cr_assert_null(memchr(r.out, '\a', r.out_len), "raw BEL: %s", r.out);
    char path[1024];
    unescape(r.out, (size_t)(strchr(r.out, '\t') - r.out), path);
    cr_assert_str_eq(path, bad);
    e2e_run_free(&r);
    const char *st0[] = {"status", "-C", ws.coll, "--failed", "-0", NULL};
    r = e2e_exec("vlmindex", st0);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(r.out_len, strlen(bad) + 1);
    cr_assert_str_eq(r.out, bad);
    e2e_run_free(&r);
}

Test(cli_output, csv_keeps_bytes_quoted)
{
    e2e_run r = search("-f", "csv");
    cr_assert_eq(r.status, 0, "%s", r.err);
    /* RFC 4180: the name with a newline is quoted, bytes unchanged. */
    cr_assert_not_null(strstr(r.out, ",\"" /* quoted field */), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "new\nline.jpg\","), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "lat\xe9.jpg,"), "%s", r.out);
    e2e_run_free(&r);
}

/* JSONL through jq and Python's json (both strict), with the bytes back. */
static void check_jsonl(const e2e_run *r, const char *key, int want)
{
    char file[800];
    snprintf(file, sizeof file, "%s/out.jsonl", ws.root);
    FILE *f = fopen(file, "wb");
    fwrite(r->out, 1, r->out_len, f);
    fclose(f);
    cr_assert_eq(e2e_sh("jq -e . < '%s' > /dev/null", file), 0,
                 "jq refuses: %s", r->out);
    cr_assert_eq(e2e_sh("test \"$(python3 '%s/tests/e2e/check_jsonl.py' "
                        "'%s' %s)\" = %d",
                        getenv("VLM_SOURCE_DIR"), file, key, want),
                 0, "check_jsonl.py refuses: %s", r->out);
}

Test(cli_output, jsonl_is_strict_utf8_and_reversible)
{
    if (e2e_sh("command -v python3 > /dev/null && command -v jq > /dev/null"))
        cr_skip_test("python3 or jq not installed (scripts/debian-packages."
                     "txt lists both)");
    e2e_run r = search("-f", "jsonl");
    cr_assert_eq(r.status, 0, "%s", r.err);
    check_jsonl(&r, "path", N_GOOD);
    cr_assert_not_null(strstr(r.out, "/lat\\udce9.jpg\""), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "\"path_b64\":"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "c1\\u009b31m.jpg"), "%s", r.out);
    e2e_run_free(&r);
    const char *cl[] = {"classify", "-C",         ws.coll, "-l",    "cat", "-l",
                        "bee",      "--no-store", "-f",    "jsonl", NULL};
    r = e2e_exec("vlmindex", cl);
    cr_assert_eq(r.status, 0, "%s", r.err);
    check_jsonl(&r, "path", N_GOOD);
    e2e_run_free(&r);
    const char *em[] = {"embed", "-M", ws.model, "--image", good[1], NULL};
    r = e2e_exec("vlmindex", em);
    cr_assert_eq(r.status, 0, "%s", r.err);
    check_jsonl(&r, "input", 1);
    e2e_run_free(&r);
}

/* Errors quoting a hostile argument or file name stay inert. */
Test(cli_output, messages_escape_control_characters)
{
    const char *args[] = {"-C", ws.coll, "-n", "3\033[2J", "cat", NULL};
    e2e_run r = e2e_exec("vlmsearch", args);
    cr_assert_eq(r.status, 2);
    cr_assert_null(memchr(r.err, '\033', strlen(r.err)), "raw ESC: %s", r.err);
    cr_assert_not_null(strstr(r.err, "3\\033[2J"), "%s", r.err);
    e2e_run_free(&r);
    const char *q[] = {"-C", ws.coll, bad, NULL}; /* an image that fails */
    r = e2e_exec("vlmsearch", q);
    cr_assert_eq(r.status, 2);
    cr_assert_null(memchr(r.err, '\033', strlen(r.err)), "raw ESC: %s", r.err);
    cr_assert_null(memchr(r.err, '\a', strlen(r.err)), "raw BEL: %s", r.err);
    e2e_run_free(&r);
}
