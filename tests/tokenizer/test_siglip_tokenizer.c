/*
 * test_siglip_tokenizer.c — SiglipTokenizer's rules over spiece.model
 * against siglip-tiny/tokenizer_cases.jsonl: ids (with the end token) and
 * ids_max64 exact, pieces equal wherever the reference's piece is not an
 * unknown character.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "model/tokenizer/siglip_tokenizer.h"
#include "tests/tokenizer/jsonl_cases.h"

#define FX "siglip-tiny"

static siglip_tokenizer *load(void)
{
    char path[4096], err[VLM_ERR_MAX] = "";
    case_file(FX, "spiece.model", path, sizeof path);
    *strrchr(path, '/') = 0;
    siglip_tokenizer *t = NULL;
    cr_assert_eq(siglip_tokenizer_create(path, &t, err), VLM_OK, "%s", err);
    return t;
}

static void check_case(json_object *c, void *ctx)
{
    const siglip_tokenizer *t = ctx;
    const char *text = json_object_get_string(case_get(c, "text"));
    char err[VLM_ERR_MAX] = "";
    int32_t ids[1024], c64[64];
    int n = siglip_tokenizer_encode(t, text, ids, 1024, err);
    cr_assert(n > 0 && n <= 1024, "\"%s\": %d (%s)", text, n, err);
    expect_ids("ids", text, ids, n, case_get(c, "ids"));
    json_object *toks = case_get(c, "tokens");
    for (int i = 0; i < n && i < (int)json_object_array_length(toks); i++)
        if (ids[i] != 2) /* unknown characters: the reference shows them */
            cr_expect_str_eq(
                siglip_tokenizer_piece(t, ids[i]),
                json_object_get_string(json_object_array_get_idx(toks, i)),
                "piece %d of \"%s\"", i, text);
    int real = siglip_tokenizer_encode_context(t, text, c64, 64, err);
    cr_expect_eq(real, n < 64 ? n : 64, "\"%s\": %d real ids", text, real);
    expect_ids("ids_max64", text, c64, 64, case_get(c, "ids_max64"));
}

Test(siglip_tokenizer, reference_cases)
{
    char path[4096];
    siglip_tokenizer *t = load();
    case_file(FX, "tokenizer_cases.jsonl", path, sizeof path);
    int n = for_each_case(path, check_case, t);
    cr_expect_eq(n, 57, "tokenizer_cases.jsonl has %d cases", n);
    siglip_tokenizer_destroy(t);
}

Test(siglip_tokenizer, missing_model_and_bad_arguments)
{
    char err[VLM_ERR_MAX] = "";
    siglip_tokenizer *t = NULL;
    cr_expect_neq(siglip_tokenizer_create("/nonexistent", &t, err), VLM_OK);
    cr_expect(strstr(err, "/nonexistent/spiece.model") != NULL, "%s", err);
    cr_expect_null(t);
    t = load();
    int32_t ids[4];
    cr_expect_eq(siglip_tokenizer_encode(t, NULL, ids, 4, err), VLM_EINVAL);
    cr_expect_eq(siglip_tokenizer_encode_context(t, "a", ids, 0, err),
                 VLM_EINVAL);
    /* a short buffer still reports the full count */
    int n = siglip_tokenizer_encode(t, "a photo of a cat", ids, 2, err);
    cr_expect_eq(n, 10);
    cr_expect_eq(ids[0], 59);
    siglip_tokenizer_destroy(t);
}
