/*
 * test_clip_text_query.c — clip_encode_text (tokenizer + tower) gives the
 * reference text_embeds for the fixture's texts, and equals
 * clip_encode_text_ids on the tokenizer's own ids.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "model/clip/clip.h"
#include "model/tokenizer/clip_tokenizer.h"
#include "tests/clip/clip_fixture.h"

Test(clip_text_query, strings_match_reference)
{
    char dir[4096], tokdir[4096], err[VLM_ERR_MAX] = "";
    fixture_dir("clip-tiny-quickgelu-f32", dir, sizeof dir);
    fixture_dir("tokenizer-clip", tokdir, sizeof tokdir);
    st_file *ex = fixture_expected(dir);
    const char *meta = st_file_metadata(ex, "texts");
    cr_assert_not_null(meta, "expected.safetensors has no texts metadata");
    struct json_object *texts = json_tokener_parse(meta);
    cr_assert(json_object_is_type(texts, json_type_array));
    clip_options o = clip_options_default();
    o.parts = CLIP_PART_TEXT;
    o.tokenizer_dir = tokdir;
    clip_model *m;
    cr_assert_eq(clip_model_load(dir, &o, &m, err), VLM_OK, "%s", err);
    int E = clip_embed_dim(m);
    size_t nref;
    float *ref = fixture_floats(ex, "text_embeds", &nref);
    int n = (int)json_object_array_length(texts);
    cr_assert_eq((size_t)n * E, nref);
    double worst = 0;
    for (int i = 0; i < n; i++) {
        const char *s =
            json_object_get_string(json_object_array_get_idx(texts, i));
        float got[512];
        cr_assert_eq(clip_encode_text(m, s, got, err), VLM_OK, "text %d: %s", i,
                     err);
        double d = max_abs_diff(got, ref + (size_t)i * E, (size_t)E);
        if (d > worst) worst = d;
        cr_expect(d <= 1e-3, "text %d \"%s\": max abs diff %g", i, s, d);
    }
    fprintf(stderr, "clip_encode_text on %d fixture texts: max abs diff %.3g\n",
            n, worst);
    free(ref);
    json_object_put(texts);
    clip_model_destroy(m);
    st_file_close(ex);
}

Test(clip_text_query, same_as_ids_path)
{
    char dir[4096], tokdir[4096], err[VLM_ERR_MAX] = "";
    fixture_dir("clip-tiny-gelu-f16", dir, sizeof dir);
    fixture_dir("tokenizer-clip", tokdir, sizeof tokdir);
    clip_options o = clip_options_default();
    o.parts = CLIP_PART_TEXT;
    o.tokenizer_dir = tokdir;
    clip_model *m;
    cr_assert_eq(clip_model_load(dir, &o, &m, err), VLM_OK, "%s", err);
    clip_tokenizer *tok;
    cr_assert_eq(clip_tokenizer_create(tokdir, &tok, err), VLM_OK, "%s", err);
    const char *s = "a black cat sleeping on a chair";
    int32_t ids[CLIP_TEXT_CONTEXT];
    cr_assert(clip_tokenizer_encode_context(tok, s, ids, CLIP_TEXT_CONTEXT, 0,
                                            err) > 0);
    float a[48], b[48];
    cr_assert_eq(clip_encode_text(m, s, a, err), VLM_OK, "%s", err);
    cr_assert_eq(clip_encode_text_ids(m, ids, 1, b, NULL, err), VLM_OK, "%s",
                 err);
    cr_expect_eq(memcmp(a, b, sizeof a), 0, "string and ids paths differ");
    clip_tokenizer_destroy(tok);
    clip_model_destroy(m);
}

Test(clip_text_query, missing_tokenizer_is_an_error)
{
    char dir[4096], err[VLM_ERR_MAX] = "";
    fixture_dir("clip-tiny-gelu-f16", dir, sizeof dir);
    clip_options o = clip_options_default();
    o.parts = CLIP_PART_TEXT; /* tokenizer_dir NULL: the checkpoint has none */
    clip_model *m;
    cr_assert_eq(clip_model_load(dir, &o, &m, err), VLM_OK, "%s", err);
    float e[48];
    cr_expect_neq(clip_encode_text(m, "hello", e, err), VLM_OK);
    cr_expect(strstr(err, "vocab.json") != NULL, "%s", err);
    clip_model_destroy(m);
}
