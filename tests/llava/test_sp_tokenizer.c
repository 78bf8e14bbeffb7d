/* SentencePiece tokenizer against tokenizer_cases.jsonl (exact ids and
 * round-trip text), piece <-> id, and a clear error for a bad model file. */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/tokenizer/sp_tokenizer.h"
#include "tests/llava/llava_fixture.h"

static sp_tokenizer *load(void)
{
    char err[VLM_ERR_MAX];
    sp_tokenizer *t = NULL;
    cr_assert_eq(
        sp_tokenizer_load(llava_fixture_path("tokenizer.model"), &t, err),
        VLM_OK, "%s", err);
    return t;
}

static void check_case(const sp_tokenizer *t, json_object *c, int line)
{
    const char *text =
        json_object_get_string(json_object_object_get(c, "text"));
    json_object *ids = json_object_object_get(c, "ids");
    const char *decoded =
        json_object_get_string(json_object_object_get(c, "decoded"));
    const int want_n = (int)json_object_array_length(ids);
    int32_t got[512];
    char err[VLM_ERR_MAX];
    int n = sp_tokenizer_encode(t, text, got, 512, err);
    cr_assert_eq(n, want_n, "line %d \"%s\": %d ids, expected %d", line, text,
                 n, want_n);
    for (int i = 0; i < n; i++)
        cr_assert_eq(got[i],
                     json_object_get_int(json_object_array_get_idx(ids, i)),
                     "line %d \"%s\": id %d differs", line, text, i);
    char *back = sp_tokenizer_decode(t, got, n, err);
    cr_assert_not_null(back, "%s", err);
    cr_assert_str_eq(back, decoded, "line %d: decode", line);
    free(back);
}

Test(sp_tokenizer, matches_every_case)
{
    sp_tokenizer *t = load();
    FILE *f = fopen(llava_fixture_path("tokenizer_cases.jsonl"), "r");
    cr_assert_not_null(f);
    char line[16384];
    int lines = 0;
    while (fgets(line, sizeof line, f)) {
        json_object *c = json_tokener_parse(line);
        cr_assert_not_null(c, "line %d is not JSON", lines + 1);
        check_case(t, c, ++lines);
        json_object_put(c);
    }
    fclose(f);
    cr_assert_geq(lines, 30, "only %d cases read", lines);
    sp_tokenizer_destroy(t);
}

Test(sp_tokenizer, short_buffer_reports_needed_length)
{
    sp_tokenizer *t = load();
    int32_t ids[2];
    char err[VLM_ERR_MAX];
    /* "floral dress" is [1652, 11251, 10714] */
    cr_assert_eq(sp_tokenizer_encode(t, "floral dress", ids, 2, err), 3);
    cr_assert_eq(ids[0], 1652);
    cr_assert_eq(ids[1], 11251);
    sp_tokenizer_destroy(t);
}

Test(sp_tokenizer, pieces_and_special_ids)
{
    sp_tokenizer *t = load();
    cr_assert_eq(sp_tokenizer_vocab_size(t), 32000);
    cr_assert_eq(sp_tokenizer_bos_id(t), 1);
    cr_assert_eq(sp_tokenizer_eos_id(t), 2);
    cr_assert_str_eq(sp_tokenizer_id_to_piece(t, 2), "</s>");
    cr_assert_str_eq(sp_tokenizer_id_to_piece(t, 6635), "\xe2\x96\x81"
                                                        "cat");
    cr_assert_eq(sp_tokenizer_piece_to_id(t, "\xe2\x96\x81"
                                             "cat"),
                 6635);
    cr_assert_eq(sp_tokenizer_piece_to_id(t, "<unk>"), 0);
    cr_assert_eq(sp_tokenizer_piece_to_id(t, "no-such-piece-xyz"), -1);
    cr_assert_null(sp_tokenizer_id_to_piece(t, 32000));
    char err[VLM_ERR_MAX];
    const int32_t bad[] = {5, 40000};
    cr_assert_null(sp_tokenizer_decode(t, bad, 2, err));
    cr_assert(strstr(err, "40000"), "message: %s", err);
    /* control ids decode to nothing */
    const int32_t ctl[] = {1, 6635, 2};
    char *s = sp_tokenizer_decode(t, ctl, 3, err);
    cr_assert_str_eq(s, "cat");
    free(s);
    sp_tokenizer_destroy(t);
}

Test(sp_tokenizer, bad_model_file_is_a_clear_error)
{
    char err[VLM_ERR_MAX] = "";
    sp_tokenizer *t = (sp_tokenizer *)1;
    const char *path = llava_fixture_path("config.json");
    cr_assert_neq(sp_tokenizer_load(path, &t, err), VLM_OK);
    cr_assert_null(t);
    cr_assert(strstr(err, "config.json"), "message: %s", err);
    cr_assert_neq(sp_tokenizer_load("/nonexistent/tokenizer.model", &t, err),
                  VLM_OK);
    cr_assert(strstr(err, "/nonexistent/tokenizer.model"), "message: %s", err);
}
