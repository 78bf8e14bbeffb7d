/* The query language: words, weights, +/-, image paths. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

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
