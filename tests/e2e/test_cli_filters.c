/* End-to-end: metadata filters (--after/--before on the EXIF date, else
 * the mtime; --camera; --type; --min-size), inside the vector search, with
 * any query and with classify; JSONL carries the date and the camera. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/e2e/e2e_util.h"
#include "tests/e2e/exif_jpeg.h"

static e2e_ws ws;
static char dir[700];

/* a.jpg Canon 2019-07-01 (EXIF), b.jpg Nikon 2021-03-15 (EXIF), c.jpg no
 * EXIF, mtime 2022-01-10, d.png mtime 2018-05-05, e.jpg 4000x3000 mtime
 * 2020-02-02. */
static void setup(void)
{
    e2e_ws_init(&ws, "clip-tiny-quickgelu-f32");
    snprintf(dir, sizeof dir, "%s/f", ws.root);
    cr_assert_eq(e2e_sh("mkdir '%s'", dir), 0);
    char src[900], dst[900];
    snprintf(src, sizeof src, "%s/cat.jpg", ws.photos);
    snprintf(dst, sizeof dst, "%s/a.jpg", dir);
    exif_jpeg_write(src, dst, "Canon", "Canon EOS 5D", "2019:07:01 10:00:00");
    snprintf(src, sizeof src, "%s/bee.jpg", ws.photos);
    snprintf(dst, sizeof dst, "%s/b.jpg", dir);
    exif_jpeg_write(src, dst, "NIKON CORPORATION", "NIKON D750",
                    "2021:03:15 08:30:00");
    cr_assert_eq(e2e_sh("set -e; cd '%s'; cp '%s/cake.jpg' c.jpg; "
                        "cp '%s/coffee.png' d.png; "
                        "cp '%s/images/edge/large-4000x3000.jpg' e.jpg; "
                        "touch -d '2022-01-10 09:00' c.jpg; "
                        "touch -d '2018-05-05 12:00' d.png; "
                        "touch -d '2020-02-02 20:00' e.jpg; "
                        "touch -d '2030-01-01' a.jpg b.jpg", /* EXIF wins */
                        dir, ws.photos, ws.photos, ws.fixtures),
                 0);
    const char *add[] = {"add", "-qC", ws.coll, "-M", ws.model, dir, NULL};
    e2e_run r = e2e_exec("vlmindex", add);
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_run_free(&r);
}

static void teardown(void) { e2e_ws_cleanup(&ws); }

TestSuite(cli_filters, .init = setup, .fini = teardown, .timeout = 120);

/* Which of a..e the tsv output lists, as a string like "ad". */
static void found(const char *out, char *names)
{
    int k = 0;
    for (char c = 'a'; c <= 'e'; c++) {
        char pat[8];
        snprintf(pat, sizeof pat, "/%c.", c);
        if (strstr(out, pat)) names[k++] = c;
    }
    names[k] = 0;
}

static void expect(const char *want, const char *o1, const char *v1,
                   const char *o2, const char *v2)
{
    const char *args[16] = {"-C", ws.coll, "-n", "10"};
    int n = 4;
    if (o1) args[n++] = o1, args[n++] = v1;
    if (o2) args[n++] = o2, args[n++] = v2;
    args[n++] = "a photo";
    args[n] = NULL;
    e2e_run r = e2e_exec("vlmsearch", args);
    char names[8];
    found(r.out, names);
    cr_assert_str_eq(names, want, "%s %s %s %s: %s%s", o1, v1, o2 ? o2 : "",
                     v2 ? v2 : "", r.out, r.err);
    cr_assert_eq(r.status, *want ? 0 : 1, "%s", r.err);
    e2e_run_free(&r);
}

Test(cli_filters, dates_cameras_types_sizes)
{
    expect("abcde", NULL, NULL, NULL, NULL);
    expect("a", "--camera", "canon", NULL, NULL);
    expect("b", "--camera", "D750", NULL, NULL);
    expect("", "--camera", "leica", NULL, NULL);
    expect("bc", "--after", "2021", NULL, NULL);
    expect("ad", "--before", "2020", NULL, NULL);
    expect("a", "--after", "2019-07-01", "--before", "2019-07-02");
    expect("a", "--after", "2019-07-01 10:00", "--before", "2019-07-01T10:01");
    expect("", "--after", "2019-07-01 10:00:01", "--before", "2019-07-02");
    expect("e", "--after", "2020-02", "--before", "2020-03");
    expect("d", "--type", "png", NULL, NULL);
    expect("abce", "--type", "jpg", NULL, NULL);
    expect("abcde", "--type", "jpeg", "--type", "png");
    expect("e", "--min-size", "1000x1000", NULL, NULL);
    expect("e", "--min-size", "1000x1000", "--type", "jpeg");
}

/* The filter is a subset inside the search: -n 1 gets the best image that
 * passes, not the best image if it happens to pass. */
Test(cli_filters, applied_inside_the_search)
{
    const char *all[] = {"-C", ws.coll, "-n", "5", "a cup of coffee", NULL};
    e2e_run r = e2e_exec("vlmsearch", all);
    cr_assert_eq(r.status, 0, "%s", r.err);
    char last = strrchr(r.out, '.')[-1]; /* the worst of the five */
    e2e_run_free(&r);
    char type[8];
    snprintf(type, sizeof type, "%s", last == 'd' ? "png" : "jpeg");
    const char *one[] = {
        "-C",   ws.coll,           "-n", "1", "--type", type, "--before",
        "2100", "a cup of coffee", NULL};
    r = e2e_exec("vlmsearch", one);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(e2e_count_lines(r.out), 1, "%s", r.out);
    e2e_run_free(&r);
    /* With an image query too (which leaves itself out). */
    char img[800];
    snprintf(img, sizeof img, "%s/a.jpg", dir);
    const char *q[] = {"-C", ws.coll, "--type", "png", img, NULL};
    r = e2e_exec("vlmsearch", q);
    char names[8];
    found(r.out, names);
    cr_assert_str_eq(names, "d", "%s", r.out);
    e2e_run_free(&r);
}

Test(cli_filters, classify_takes_the_filters)
{
    const char *cl[] = {"classify", "-C",    ws.coll,      "-l",       "cat",
                        "-l",       "bee",   "--no-store", "--camera", "nikon",
                        "-f",       "jsonl", NULL};
    e2e_run r = e2e_exec("vlmindex", cl);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(e2e_count_lines(r.out), 1, "%s", r.out);
    cr_assert(strstr(r.out, "/b.jpg\""), "%s", r.out);
    cr_assert(strstr(r.out, "\"camera\":\"NIKON CORPORATION NIKON D750\""),
              "%s", r.out);
    e2e_run_free(&r);
}

Test(cli_filters, jsonl_carries_date_and_camera)
{
    const char *q[] = {"-C", ws.coll, "-n", "10", "-f", "jsonl", "x", NULL};
    e2e_run r = e2e_exec("vlmsearch", q);
    cr_assert_eq(r.status, 0, "%s", r.err);
    for (const char *l = r.out; *l; l = strchr(l, '\n') + 1) {
        char line[2048];
        snprintf(line, sizeof line, "%.*s", (int)(strchr(l, '\n') - l), l);
        if (strstr(line, "/a.jpg\""))
            cr_assert(strstr(line, "\"date\":\"2019-07-01T10:00:00\","
                                   "\"date_source\":\"exif\",\"camera\":"
                                   "\"Canon Canon EOS 5D\""),
                      "%s", line);
        if (strstr(line, "/c.jpg\""))
            cr_assert(strstr(line, "\"date\":\"2022-01-10T09:00:00\","
                                   "\"date_source\":\"mtime\",\"camera\":null"),
                      "%s", line);
    }
    e2e_run_free(&r);
}

Test(cli_filters, bad_filter_values_are_refused)
{
    const char *cases[][2] = {
        {"--after", "2023-13"},   {"--before", "2023-02-30"},
        {"--after", "yesterday"}, {"--min-size", "100"},
        {"--min-size", "0x10"},   {"--type", "heic"}};
    for (int i = 0; i < 6; i++) {
        const char *q[] = {"-C", ws.coll, cases[i][0], cases[i][1], "x", NULL};
        e2e_run r = e2e_exec("vlmsearch", q);
        cr_assert_eq(r.status, 2, "%s %s", cases[i][0], cases[i][1]);
        cr_assert(strstr(r.err, cases[i][0]), "%s", r.err);
        e2e_run_free(&r);
    }
}
