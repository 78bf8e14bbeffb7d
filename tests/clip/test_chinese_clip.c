/*
 * test_chinese_clip.c — the Chinese-CLIP family on
 * ../shared/fixtures/chinese-clip-tiny: vision (the CLIP tower), text (BERT,
 * [CLS] pooling), the WordPiece tokenizer through the model, the square
 * resize, and loading the same weights as F16 and BF16.  Within 1e-3, and
 * also 1e-4.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "model/clip/clip.h"
#include "tests/clip/clip_fixture.h"
#include "tests/common/ckpt_convert.h"

#define FX  "chinese-clip-tiny"
#define CTX 52
#define E   24
#define TW  40

static clip_model *load(const char *dir, int parts, vlm_precision prec)
{
    clip_options o = clip_options_default();
    o.parts = parts;
    o.threads = 2;
    o.precision = prec;
    clip_model *m = NULL;
    char err[VLM_ERR_MAX] = "";
    cr_assert_eq(clip_model_load(dir, &o, &m, err), VLM_OK, "%s", err);
    return m;
}

static void close2(const char *what, const float *got, const float *want,
                   size_t n)
{
    expect_close(FX, what, got, want, n, 1e-3);
    expect_close(FX " (1e-4)", what, got, want, n, 1e-4);
}

Test(chinese_clip, facts)
{
    char dir[4096];
    fixture_dir(FX, dir, sizeof dir);
    clip_model *m = load(dir, CLIP_PART_ALL, VLM_PREC_F32);
    cr_expect_str_eq(clip_model_family(m), "chinese_clip");
    cr_expect_eq(clip_model_scoring(m), CLIP_SCORE_SOFTMAX);
    cr_expect_eq(clip_text_context(m), CTX);
    cr_expect_eq(clip_embed_dim(m), E);
    cr_expect_eq(clip_model_text_width(m), TW);
    cr_expect_eq(clip_model_vision_tokens(m), 10);
    cr_expect_float_eq(clip_logit_bias(m), 0.0f, 0);
    const img_prep_params *p = clip_prep_params(m);
    cr_expect_eq(p->do_center_crop, 0); /* squashed to 48 x 48 */
    cr_expect_eq(p->crop_w, 48);
    cr_expect_eq(p->crop_h, 48);
    cr_expect_eq(p->convert_rgb_first, 0);
    cr_expect_float_eq(p->mean[0], 0.48145466f, 1e-7);
    clip_model_destroy(m);
}

static void vision_parity(const char *dir, vlm_precision prec, double tol)
{
    char err[VLM_ERR_MAX] = "";
    st_file *ex = fixture_expected(dir);
    clip_model *m = load(dir, CLIP_PART_VISION, prec);
    size_t npix, nemb, npool, nhid;
    float *pix = fixture_floats(ex, "pixel_values", &npix);
    float *emb = fixture_floats(ex, "image_embeds", &nemb);
    float *pool = fixture_floats(ex, "image_pooled", &npool);
    float *last = fixture_floats(ex, "vision_hidden_last", &nhid);
    float *pen = fixture_floats(ex, "vision_hidden_penultimate", NULL);
    int n = (int)(npix / (3 * 48 * 48));
    float *g_emb = malloc(nemb * 4), *g_pool = malloc(npool * 4),
          *g_last = malloc(nhid * 4), *g_pen = malloc(nhid * 4);
    cr_assert_eq(
        clip_encode_images(m, pix, n, g_emb, g_pool, g_last, g_pen, err),
        VLM_OK, "%s", err);
    if (tol > 0) {
        expect_close(FX, "image_embeds", g_emb, emb, nemb, tol);
    } else {
        close2("image_embeds", g_emb, emb, nemb);
        close2("image_pooled", g_pool, pool, npool);
        close2("vision_hidden_last", g_last, last, nhid);
        close2("vision_hidden_penultimate", g_pen, pen, nhid);
    }
    free(pix);
    free(emb);
    free(pool);
    free(last);
    free(pen);
    free(g_emb);
    free(g_pool);
    free(g_last);
    free(g_pen);
    clip_model_destroy(m);
    st_file_close(ex);
}

Test(chinese_clip, vision_parity)
{
    char dir[4096];
    fixture_dir(FX, dir, sizeof dir);
    vision_parity(dir, VLM_PREC_F32, 0);
}

/* Zeroes the rows of hidden [n, CTX, TW] where mask is 0. */
static void mask_rows(float *hidden, const int32_t *mask, int n)
{
    for (int r = 0; r < n * CTX; r++)
        if (!mask[r]) memset(hidden + (size_t)r * TW, 0, TW * sizeof(float));
}

static void text_parity(const char *dir, vlm_precision prec, double tol)
{
    char err[VLM_ERR_MAX] = "";
    st_file *ex = fixture_expected(dir);
    clip_model *m = load(dir, CLIP_PART_TEXT, prec);
    size_t nids, nemb, npool, nhid;
    int32_t *ids = fixture_ints(ex, "input_ids", &nids);
    int32_t *mask = fixture_ints(ex, "attention_mask", NULL);
    float *emb = fixture_floats(ex, "text_embeds", &nemb);
    float *pool = fixture_floats(ex, "text_pooled", &npool);
    float *hid = fixture_floats(ex, "text_hidden_last", &nhid);
    int n = (int)(nids / CTX);
    float *g_emb = malloc(nemb * 4), *g_pool = malloc(npool * 4),
          *g_hid = malloc(nhid * 4);
    cr_assert_eq(
        clip_encode_text_ids_hidden(m, ids, n, g_emb, g_pool, g_hid, err),
        VLM_OK, "%s", err);
    if (tol > 0) {
        expect_close(FX, "text_embeds", g_emb, emb, nemb, tol);
    } else {
        mask_rows(hid, mask, n); /* compare real positions only */
        mask_rows(g_hid, mask, n);
        close2("text_embeds", g_emb, emb, nemb);
        close2("text_pooled", g_pool, pool, npool);
        close2("text_hidden_last (mask = 1)", g_hid, hid, nhid);
        for (int i = 0; i < n; i += 3) {
            cr_assert_eq(clip_encode_text_ids(m, ids + (size_t)i * CTX, 1,
                                              g_emb, NULL, err),
                         VLM_OK, "%s", err);
            expect_close(FX, "text_embeds (one row)", g_emb,
                         emb + (size_t)i * E, E, 1e-4);
        }
    }
    free(ids);
    free(mask);
    free(emb);
    free(pool);
    free(hid);
    free(g_emb);
    free(g_pool);
    free(g_hid);
    clip_model_destroy(m);
    st_file_close(ex);
}

Test(chinese_clip, text_parity)
{
    char dir[4096];
    fixture_dir(FX, dir, sizeof dir);
    text_parity(dir, VLM_PREC_F32, 0);
}

/* Padding inside the text would be masked by the reference: refused. */
Test(chinese_clip, padding_inside_text_refused)
{
    char dir[4096], err[VLM_ERR_MAX] = "";
    fixture_dir(FX, dir, sizeof dir);
    clip_model *m = load(dir, CLIP_PART_TEXT, VLM_PREC_F32);
    int32_t ids[CTX] = {101, 4810, 0, 5709, 102};
    float e[E];
    cr_expect_eq(clip_encode_text_ids(m, ids, 1, e, NULL, err), VLM_EINVAL);
    cr_expect(strstr(err, "position 2") != NULL, "%s", err);
    ids[2] = 30000; /* outside the 21128 ids */
    cr_expect_eq(clip_encode_text_ids(m, ids, 1, e, NULL, err), VLM_EINVAL);
    cr_expect(strstr(err, "30000") != NULL, "%s", err);
    clip_model_destroy(m);
}

Test(chinese_clip, tokenize_and_encode_strings)
{
    char dir[4096], err[VLM_ERR_MAX] = "";
    fixture_dir(FX, dir, sizeof dir);
    st_file *ex = fixture_expected(dir);
    struct json_object *texts =
        json_tokener_parse(st_file_metadata(ex, "texts"));
    cr_assert(json_object_is_type(texts, json_type_array));
    clip_model *m = load(dir, CLIP_PART_TEXT, VLM_PREC_F32);
    size_t nids;
    int32_t *ref = fixture_ints(ex, "input_ids", &nids);
    float *emb = fixture_floats(ex, "text_embeds", NULL);
    int n = (int)json_object_array_length(texts);
    cr_assert_eq((size_t)n * CTX, nids);
    for (int i = 0; i < n; i++) {
        const char *s =
            json_object_get_string(json_object_array_get_idx(texts, i));
        int32_t ids[CTX];
        float e[E];
        cr_assert_gt(clip_tokenize(m, s, ids, err), 0, "%s", err);
        for (int k = 0; k < CTX; k++)
            cr_expect_eq(ids[k], ref[i * CTX + k],
                         "text %d \"%s\" id %d: %d, reference %d", i, s, k,
                         ids[k], ref[i * CTX + k]);
        cr_assert_eq(clip_encode_text(m, s, e, err), VLM_OK, "%s", err);
        cr_expect(max_abs_diff(e, emb + i * E, E) <= 1e-4, "text %d", i);
    }
    free(ref);
    free(emb);
    json_object_put(texts);
    clip_model_destroy(m);
    st_file_close(ex);
}

/* The photos squashed to 48 x 48 (photos_u8) and normalised
 * (pixel_values 2 and 3). */
Test(chinese_clip, preprocessing)
{
    char dir[4096], path[4096], err[VLM_ERR_MAX] = "";
    fixture_dir(FX, dir, sizeof dir);
    st_file *ex = fixture_expected(dir);
    clip_model *m = load(dir, CLIP_PART_TEXT, VLM_PREC_F32);
    const img_prep_params *p = clip_prep_params(m);
    int32_t *u8 = fixture_ints(ex, "photos_u8", NULL);
    float *px = fixture_floats(ex, "pixel_values", NULL);
    const char *photos[2] = {"cat.jpg", "coffee.png"};
    size_t plane = 48 * 48;
    for (int k = 0; k < 2; k++) {
        snprintf(path, sizeof path, "%s/images/photos/%s",
                 getenv("VLM_FIXTURES"), photos[k]);
        img_rgb im;
        cr_assert_eq(img_decode_file(path, NULL, &im, NULL, err), VLM_OK, "%s",
                     err);
        uint8_t got[48 * 48 * 3], want[48 * 48 * 3];
        float f[48 * 48 * 3], norm[3 * 48 * 48];
        cr_assert_eq(img_resize_crop_u8(&im, p, got, err), VLM_OK, "%s", err);
        for (size_t i = 0; i < 3 * plane; i++) {
            f[i] = got[i];
            want[i] = (uint8_t)u8[(size_t)k * 3 * plane + i];
        }
        double frac = within_two_levels(f, want, 3 * plane);
        fprintf(stderr, "%s %s: %.4f of values within +-2\n", FX, photos[k],
                frac);
        cr_expect(frac >= 0.995, "%s: only %.4f within +-2", photos[k], frac);
        cr_assert_eq(img_preprocess(&im, p, norm, err), VLM_OK, "%s", err);
        expect_close(FX, "pixel_values (photo)", norm,
                     px + (size_t)(2 + k) * 3 * plane, 3 * plane,
                     2.5 / 255 / 0.26);
        img_rgb_free(&im);
    }
    free(u8);
    free(px);
    clip_model_destroy(m);
    st_file_close(ex);
}

static void dtype_copy(st_dtype dt, double tol)
{
    char dir[4096], tmp[4096];
    fixture_dir(FX, dir, sizeof dir);
    ckpt_convert(dir, dt, tmp, sizeof tmp);
    vision_parity(tmp, VLM_PREC_F32, tol);
    text_parity(tmp, VLM_PREC_F32, tol);
    ckpt_convert_remove(tmp);
}

Test(chinese_clip, f16_checkpoint) { dtype_copy(ST_F16, 0.01); }
Test(chinese_clip, bf16_checkpoint) { dtype_copy(ST_BF16, 0.05); }

/* The packed oneDNN fp32 path (fused q|k|v with BERT's names) keeps 1e-3. */
Test(chinese_clip, packed_f32)
{
    if (strcmp(vlm_gemm_backend(VLM_PREC_F32_PACKED), "onednn"))
        cr_skip_test("built without oneDNN");
    char dir[4096];
    fixture_dir(FX, dir, sizeof dir);
    vision_parity(dir, VLM_PREC_F32_PACKED, 1e-3);
    text_parity(dir, VLM_PREC_F32_PACKED, 1e-3);
}

/* bf16 weights (oneDNN): embeddings within cosine 0.999 of the reference. */
Test(chinese_clip, bf16_precision)
{
    if (strcmp(vlm_gemm_backend(VLM_PREC_BF16), "onednn"))
        cr_skip_test("built without oneDNN");
    char dir[4096], err[VLM_ERR_MAX] = "";
    fixture_dir(FX, dir, sizeof dir);
    st_file *ex = fixture_expected(dir);
    clip_model *m = load(dir, CLIP_PART_ALL, VLM_PREC_BF16);
    size_t npix, nids;
    float *pix = fixture_floats(ex, "pixel_values", &npix);
    int32_t *ids = fixture_ints(ex, "input_ids", &nids);
    float *iref = fixture_floats(ex, "image_embeds", NULL);
    float *tref = fixture_floats(ex, "text_embeds", NULL);
    int ni = (int)(npix / (3 * 48 * 48)), nt = (int)(nids / CTX);
    float *ie = malloc((size_t)ni * E * 4), *te = malloc((size_t)nt * E * 4);
    cr_assert_eq(clip_encode_images(m, pix, ni, ie, NULL, NULL, NULL, err),
                 VLM_OK, "%s", err);
    cr_assert_eq(clip_encode_text_ids(m, ids, nt, te, NULL, err), VLM_OK, "%s",
                 err);
    double ci = min_row_cosine(ie, iref, ni, E),
           ct = min_row_cosine(te, tref, nt, E);
    fprintf(stderr, "%s bf16: image cos >= %.6f, text cos >= %.6f\n", FX, ci,
            ct);
    cr_expect(ci >= 0.999 && ct >= 0.999, "cosine %g / %g", ci, ct);
    free(pix);
    free(ids);
    free(iref);
    free(tref);
    free(ie);
    free(te);
    clip_model_destroy(m);
    st_file_close(ex);
}
