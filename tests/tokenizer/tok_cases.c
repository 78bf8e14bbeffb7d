/* tok_cases.c — see tok_cases.h. */
#include "tests/tokenizer/tok_cases.h"

#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/tokenizer/jsonl_cases.h"
#include "tests/tokenizer/tok_fixture.h"

static void check_case(const clip_tokenizer *tok, json_object *c)
{
    json_object *jtext, *jids, *jctx, *jdec;
    cr_assert(json_object_object_get_ex(c, "text", &jtext) &&
                  json_object_object_get_ex(c, "ids", &jids) &&
                  json_object_object_get_ex(c, "context77", &jctx) &&
                  json_object_object_get_ex(c, "decoded", &jdec),
              "case without text/ids/context77/decoded");
    const char *text = json_object_get_string(jtext);
    int n;
    int32_t *ids = tok_encode_all(tok, text, &n);
    expect_ids("ids", text, ids, n, jids);

    int32_t ctx[CLIP_CONTEXT_LEN];
    char err[VLM_ERR_MAX] = "";
    int real =
        clip_tokenizer_encode_context(tok, text, ctx, CLIP_CONTEXT_LEN, 0, err);
    cr_expect_eq(real, n + 2 < CLIP_CONTEXT_LEN ? n + 2 : CLIP_CONTEXT_LEN,
                 "real token count of \"%s\": %d (%s)", text, real, err);
    expect_ids("context77", text, ctx, CLIP_CONTEXT_LEN, jctx);

    char *dec = clip_tokenizer_decode(tok, ids, n);
    cr_assert_not_null(dec);
    cr_expect_str_eq(dec, json_object_get_string(jdec), "decode of \"%s\"",
                     text);
    free(dec);
    free(ids);
}

static void check_one(json_object *c, void *tok) { check_case(tok, c); }

int tok_check_all_cases(const clip_tokenizer *tok)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/cases.jsonl", tok_fixture_dir());
    return for_each_case(path, check_one, (void *)tok);
}
