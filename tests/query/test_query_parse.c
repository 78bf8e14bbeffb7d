/* The query language: words, weights, +/-, image paths. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "query/label_input.h"
#include "query/query_parse.h"
#include "query/result_format.h"

static query parse_ok(int argc, const char *const *argv)
{
    query q;
    char err[VLM_ERR_MAX] = "";
    cr_assert_eq(query_parse(argc, argv, &q, err), 0, "%s", err);
    return q;
}

Test(query_parse, plain_words_join_into_one_text_term)
{
    const char *argv[] = {"red", "flowers", "and", "blue", "butterfly"};
    query q = parse_ok(5, argv);
    cr_assert_eq(q.n_terms, 1);
    cr_assert_str_eq(q.terms[0].value, "red flowers and blue butterfly");
    cr_assert_eq(q.terms[0].kind, QUERY_TEXT);
    cr_assert_float_eq(q.terms[0].weight, 1.0f, 1e-6);
    query_free(&q);
}

Test(query_parse, weights_signs_and_images)
{
    char path[] = "/tmp/vlm-qp-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    const char *argv[] = {"2:golden retriever", "+", path, "-", "fruit"};
    query q = parse_ok(5, argv);
    cr_assert_eq(q.n_terms, 3);
    cr_assert_str_eq(q.terms[0].value, "golden retriever");
    cr_assert_float_eq(q.terms[0].weight, 2.0f, 1e-6);
    cr_assert_eq(q.terms[1].kind, QUERY_IMAGE);
    cr_assert_str_eq(q.terms[1].value, path);
    cr_assert_eq(q.terms[2].kind, QUERY_TEXT);
    cr_assert_float_eq(q.terms[2].weight, -1.0f, 1e-6);
    cr_assert(query_has_image(&q));
    query_free(&q);
    unlink(path);
}

Test(query_parse, operators_inside_one_argument)
{
    const char *argv[] = {"horse + stripes - 0.5:grass"};
    query q = parse_ok(1, argv);
    cr_assert_eq(q.n_terms, 3);
    cr_assert_str_eq(q.terms[1].value, "stripes");
    cr_assert_float_eq(q.terms[2].weight, -0.5f, 1e-6);
    cr_assert_str_eq(q.terms[2].value, "grass");
    query_free(&q);
}

Test(query_parse, hyphenated_words_stay_text)
{
    const char *argv[] = {"e-commerce floral-print dress"};
    query q = parse_ok(1, argv);
    cr_assert_eq(q.n_terms, 1);
    cr_assert_str_eq(q.terms[0].value, "e-commerce floral-print dress");
    query_free(&q);
}

Test(query_parse, missing_image_path_and_empty_query_are_errors)
{
    query q;
    char err[VLM_ERR_MAX] = "";
    const char *argv[] = {"./definitely-missing.jpg"};
    cr_assert_eq(query_parse(1, argv, &q, err), VLM_EINVAL);
    cr_assert(strstr(err, "definitely-missing.jpg"), "%s", err);
    const char *empty[] = {"  ", "+"};
    cr_assert_eq(query_parse(2, empty, &q, err), VLM_EINVAL);
}

Test(result_format, csv_and_json_escaping)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    csv_write_field(f, "a,\"b\"");
    fputc(' ', f);
    json_write_string(f, "q\"\\\n\x01");
    fclose(f);
    cr_assert_str_eq(buf, "\"a,\"\"b\"\"\" \"q\\\"\\\\\\n\\u0001\"");
    free(buf);
    cr_assert_eq(result_format_parse("jsonl"), RESULT_JSONL);
    cr_assert_eq(result_format_parse("xml"), -1);
}

Test(query_parse, text_and_phrase_for_worklists_and_reranking)
{
    const char *argv[] = {"red flowers", "-", "leaves", "+", "2:bees"};
    query q = parse_ok(5, argv);
    char text[64], phrase[64], tiny[8];
    query_text(&q, text, sizeof text);
    cr_assert_str_eq(text, "red flowers + leaves + bees");
    query_phrase(&q, phrase, sizeof phrase);
    cr_assert_str_eq(phrase, "red flowers bees", "positive text terms only");
    query_text(&q, tiny, sizeof tiny);
    cr_assert_str_eq(tiny, "red flo", "truncated, still terminated");
    query_free(&q);
}

static char *rows(result_format f, int null_sep)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    result_writer w;
    result_writer_init(&w, out, f, null_sep);
    result_row a = {.id = 7,
                    .score = 0.5f,
                    .path = "/p/a b.jpg",
                    .width = 640,
                    .height = 480,
                    .taken = "2023:06:15 12:34:56",
                    .taken_exif = 1,
                    .camera = "Canon EOS 5D"};
    result_row b = {.id = 9,
                    .score = 0.25f,
                    .path = "/p/c,d.jpg",
                    .extra_json = "{\"fused\":1}",
                    .offline = 1,
                    .has_prob = 1,
                    .prob = 0.75f};
    result_writer_row(&w, &a);
    result_writer_row(&w, &b);
    fclose(out);
    cr_assert_eq(w.rank, 2);
    return buf;
}

Test(result_format, every_format_row_by_row)
{
    char *s = rows(RESULT_TSV, 0);
    cr_assert_str_eq(s, "0.5000\t/p/a b.jpg\n0.2500\t/p/c,d.jpg\n");
    free(s);
    s = rows(RESULT_PATHS, 0);
    cr_assert_str_eq(s, "/p/a b.jpg\n/p/c,d.jpg\n");
    free(s);
    s = rows(RESULT_CSV, 0);
    cr_assert_str_eq(s, "rank,score,path,id,width,height\n"
                        "1,0.500000,/p/a b.jpg,7,640,480\n"
                        "2,0.250000,\"/p/c,d.jpg\",9,0,0\n");
    free(s);
    s = rows(RESULT_JSONL, 0);
    cr_assert_str_eq(s, "{\"rank\":1,\"score\":0.500000,\"path\":\"/p/a "
                        "b.jpg\",\"id\":7,\"width\":640,\"height\":480,"
                        "\"date\":\"2023-06-15T12:34:56\",\"date_source\":"
                        "\"exif\",\"camera\":\"Canon EOS 5D\"}\n"
                        "{\"rank\":2,\"score\":0.250000,\"prob\":0.750000,"
                        "\"path\":\"/p/c,d.jpg\","
                        "\"id\":9,\"date\":null,\"date_source\":null,"
                        "\"camera\":null,\"offline\":true,"
                        "\"explain\":{\"fused\":1}}\n");
    free(s);
    s = rows(RESULT_PATHS, 1);
    cr_assert_eq(memcmp(s, "/p/a b.jpg\0/p/c,d.jpg\0", 22), 0, "-0");
    free(s);
}

static void parse_fails(int argc, const char *const *argv, const char *says)
{
    query q;
    char err[VLM_ERR_MAX] = "";
    cr_assert_eq(query_parse(argc, argv, &q, err), VLM_EINVAL, "%s", argv[0]);
    cr_assert(strstr(err, says), "'%s' says '%s', want '%s'", argv[0], err,
              says);
}

Test(query_parse, weights_must_be_finite_and_not_all_zero)
{
    const char *inf[] = {"1e309:cat"};
    parse_fails(1, inf, "not a finite number");
    const char *zero[] = {"0:cat"};
    parse_fails(1, zero, "the query vector is zero");
    const char *zeros[] = {"0:cat", "-", "0.0:dog"};
    parse_fails(3, zeros, "the query vector is zero");
    const char *some[] = {"0:cat", "+", "dog"};
    query q = parse_ok(3, some);
    cr_assert_eq(q.n_terms, 2);
    query_free(&q);
}

/* Found by fuzz_query_parse: a weight with nothing after it used to make
 * an empty text term (embedded as "", scoring arbitrary images). */
Test(query_parse, weight_without_a_term_is_an_error)
{
    const char *alone[] = {"cat + 2:"};
    parse_fails(1, alone, "'2:': a weight without a term");
    const char *spaced[] = {"cat", "-", "0.5:  "};
    parse_fails(3, spaced, "a weight without a term");
    const char *padded[] = {"2:  cat"};
    query q = parse_ok(1, padded);
    cr_assert_str_eq(q.terms[0].value, "cat");
    cr_assert_float_eq(q.terms[0].weight, 2.0f, 1e-6);
    query_free(&q);
}

/* Labels files are read with bounds; labels and templates are checked. */
Test(label_input, bounds_and_checks)
{
    char **labels;
    int n;
    char err[VLM_ERR_MAX] = "";
    cr_assert_eq(classify_read_labels("/dev/zero", &labels, &n, err),
                 VLM_EINVAL);
    cr_assert(strstr(err, "larger than 4 MiB"), "%s", err);
    char path[] = "/tmp/vlm-labels-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs("# animals\ncat \r\n\ndog\n", f);
    fclose(f);
    cr_assert_eq(classify_read_labels(path, &labels, &n, err), 0, "%s", err);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(labels[0], "cat");
    cr_assert_str_eq(labels[1], "dog");
    const char *tpl_ok[] = {"a photo of {}"}, *tpl_bad[] = {"no braces"};
    const char *const *l = (const char *const *)labels;
    cr_assert_eq(label_input_check(l, 2, tpl_ok, 1, err), 0, "%s", err);
    cr_assert_eq(label_input_check(l, 2, tpl_bad, 1, err), VLM_EINVAL);
    const char *dup[] = {"cat", "dog", "cat"};
    cr_assert_eq(label_input_check(dup, 3, NULL, 0, err), VLM_EINVAL);
    cr_assert(strstr(err, "'cat' is given more than once"), "%s", err);
    for (int i = 0; i < n; i++) free(labels[i]);
    free(labels);
    unlink(path);
}

/* ---- query_parse_ids: one string, id:N terms, never a file ------------ */

static query parse_ids_ok(const char *text)
{
    query q;
    char err[VLM_ERR_MAX] = "";
    cr_assert_eq(query_parse_ids(text, &q, err), 0, "%s: %s", text, err);
    return q;
}

Test(query_parse_ids, ids_weights_and_signs)
{
    query q = parse_ids_ok("  2:golden retriever + id:17 - 0.5:id:4  fruit ");
    cr_assert_eq(q.n_terms, 4);
    cr_assert_str_eq(q.terms[0].value, "golden retriever");
    cr_assert_float_eq(q.terms[0].weight, 2.0f, 1e-6);
    cr_assert_eq(q.terms[1].kind, QUERY_IMAGE_ID);
    cr_assert_str_eq(q.terms[1].value, "17");
    cr_assert_eq(q.terms[2].kind, QUERY_IMAGE_ID);
    cr_assert_float_eq(q.terms[2].weight, -0.5f, 1e-6);
    /* an id word ends a term: "fruit" is a term of its own, positive */
    cr_assert_eq(q.terms[3].kind, QUERY_TEXT);
    cr_assert_str_eq(q.terms[3].value, "fruit");
    cr_assert_float_eq(q.terms[3].weight, 1.0f, 1e-6);
    char text[256];
    query_text(&q, text, sizeof text);
    cr_assert_str_eq(text, "golden retriever + id:17 + id:4 + fruit");
    query_free(&q);
}

Test(query_parse_ids, paths_are_text_never_files)
{
    /* /etc/hostname exists, ./x looks like a path: both stay text */
    query q = parse_ids_ok("/etc/hostname - ./x");
    cr_assert_eq(q.n_terms, 2);
    cr_assert_eq(q.terms[0].kind, QUERY_TEXT);
    cr_assert_str_eq(q.terms[0].value, "/etc/hostname");
    cr_assert_eq(q.terms[1].kind, QUERY_TEXT);
    cr_assert_float_eq(q.terms[1].weight, -1.0f, 1e-6);
    cr_assert_eq(query_has_image(&q), 0);
    query_free(&q);
}

Test(query_parse_ids, url_terms_are_refused)
{
    /* a server fetches no URL (nor file://) for its clients */
    const char *texts[] = {"cat + https://example.com/a.jpg",
                           "file:///etc/hostname"};
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        query q;
        char err[VLM_ERR_MAX] = "";
        cr_assert_eq(query_parse_ids(texts[i], &q, err), VLM_EINVAL, "%s",
                     texts[i]);
        cr_assert(strstr(err, "id:N"), "%s", err);
    }
}

Test(query_parse_ids, not_quite_ids_are_text)
{
    const char *texts[] = {"id:", "id:12a", "id:-3", "ID:5",
                           "id:1234567890123456789"};
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        query q = parse_ids_ok(texts[i]);
        cr_assert_eq(q.n_terms, 1);
        cr_assert_eq(q.terms[0].kind, QUERY_TEXT, "%s", texts[i]);
        query_free(&q);
    }
}

Test(query_parse_ids, empty_and_zero_queries_fail)
{
    query q;
    char err[VLM_ERR_MAX] = "";
    cr_assert_eq(query_parse_ids("   ", &q, err), VLM_EINVAL);
    cr_assert(strstr(err, "id:N"), "%s", err);
    cr_assert_eq(query_parse_ids("0:id:3", &q, err), VLM_EINVAL);
    cr_assert(strstr(err, "zero"), "%s", err);
}

Test(query_parse_ids, format_round_trips)
{
    const char *texts[] = {"2:golden retriever + id:17 - 0.5:id:4 + fruit",
                           "- id:3 + cat", "red car"};
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        query q = parse_ids_ok(texts[i]);
        char out[256];
        query_format(&q, out, sizeof out);
        cr_assert_str_eq(out, texts[i]);
        query_free(&q);
    }
}
Test(query_parse, probe_terms)
{
    query q;
    char err[VLM_ERR_MAX];
    const char *argv[] = {"red dress + 2:probe:floral - probe:colour:green"};
    cr_assert_eq(query_parse(1, argv, &q, err), VLM_OK, "%s", err);
    cr_assert_eq(q.n_terms, 3);
    cr_assert_eq(q.terms[0].kind, QUERY_TEXT);
    cr_assert_eq(q.terms[1].kind, QUERY_PROBE);
    cr_assert_str_eq(q.terms[1].value, "floral");
    cr_assert_float_eq(q.terms[1].weight, 2.0f, 1e-6);
    cr_assert_eq(q.terms[2].kind, QUERY_PROBE);
    cr_assert_str_eq(q.terms[2].value, "colour:green");
    cr_assert_float_eq(q.terms[2].weight, -1.0f, 1e-6);
    cr_assert(query_has_probe(&q) && !query_has_image(&q));
    char text[256], phrase[256];
    query_text(&q, text, sizeof text);
    cr_assert_str_eq(text, "red dress + probe:floral + probe:colour:green");
    query_phrase(&q, phrase, sizeof phrase);
    cr_assert_str_eq(phrase, "red dress", "probes are not words");
    query_free(&q);
    const char *empty[] = {"cat", "+", "probe:"};
    cr_assert_eq(query_parse(3, empty, &q, err), VLM_EINVAL);
    cr_assert(strstr(err, "name the probe"), "%s", err);
    /* With a URL term: each keeps its kind; only the URL needs the vision
     * tower. */
    const char *mixed[] = {"https://example.org/a.jpg", "+", "probe:floral"};
    cr_assert_eq(query_parse(3, mixed, &q, err), VLM_OK, "%s", err);
    cr_assert_eq(q.terms[0].kind, QUERY_URL);
    cr_assert_eq(q.terms[1].kind, QUERY_PROBE);
    cr_assert(query_has_image(&q));
    query_free(&q);
    const char *alone[] = {"probe:floral"};
    cr_assert_eq(query_parse(1, alone, &q, err), VLM_OK, "%s", err);
    cr_assert(!query_has_image(&q), "a probe term needs no vision tower");
    query_free(&q);
    /* Words that merely contain "probe:" stay text. */
    const char *words[] = {"space", "probe:", "voyager"};
    cr_assert_eq(query_parse(3, words, &q, err), VLM_OK);
    cr_assert_eq(q.terms[0].kind, QUERY_TEXT);
    query_free(&q);
}
