/*
 * test_clip_parity.c — both clip-tiny fixtures, fp32: every vision and text
 * output within 1e-3 (max abs) of the reference.
 */
#include <stdio.h>
#include <stdlib.h>

#include <criterion/criterion.h>

#include "model/clip/clip.h"
#include "tests/clip/clip_fixture.h"

#define TOL 1e-3

static void check(const char *what, const char *fx, const float *got,
                  const float *want, size_t n)
{
    double d = max_abs_diff(got, want, n);
    fprintf(stderr, "%s %-26s max abs diff %.3g\n", fx, what, d);
    cr_expect(d <= TOL, "%s %s: max abs diff %g > %g", fx, what, d, TOL);
}

static clip_model *load(const char *dir, int parts)
{
    clip_options o = clip_options_default();
    o.parts = parts;
    o.threads = 2;
    clip_model *m = NULL;
    char err[VLM_ERR_MAX] = "";
    cr_assert_eq(clip_model_load(dir, &o, &m, err), VLM_OK, "%s", err);
    return m;
}

static void vision_parity(const char *fx)
{
    char dir[4096], err[VLM_ERR_MAX] = "";
    fixture_dir(fx, dir, sizeof dir);
    st_file *ex = fixture_expected(dir);
    clip_model *m = load(dir, CLIP_PART_VISION);
    size_t npix, nemb, npool, nhid;
    float *pix = fixture_floats(ex, "pixel_values", &npix);
    float *emb = fixture_floats(ex, "image_embeds", &nemb);
    float *pool = fixture_floats(ex, "image_pooled", &npool);
    float *last = fixture_floats(ex, "vision_hidden_last", &nhid);
    float *pen = fixture_floats(ex, "vision_hidden_penultimate", NULL);
    int S = clip_image_size(m), n = (int)(npix / (3 * (size_t)S * S));
    cr_assert_eq(nemb, (size_t)n * clip_embed_dim(m));
    cr_assert_eq(nhid, (size_t)n * clip_model_vision_tokens(m) *
                           clip_model_vision_width(m));
    float *g_emb = malloc(nemb * 4), *g_pool = malloc(npool * 4),
          *g_last = malloc(nhid * 4), *g_pen = malloc(nhid * 4);
    cr_assert_eq(
        clip_encode_images(m, pix, n, g_emb, g_pool, g_last, g_pen, err),
        VLM_OK, "%s", err);
    check("image_embeds", fx, g_emb, emb, nemb);
    check("image_pooled", fx, g_pool, pool, npool);
    check("vision_hidden_last", fx, g_last, last, nhid);
    check("vision_hidden_penultimate", fx, g_pen, pen, nhid);
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

static void text_parity(const char *fx)
{
    char dir[4096], err[VLM_ERR_MAX] = "";
    fixture_dir(fx, dir, sizeof dir);
    st_file *ex = fixture_expected(dir);
    clip_model *m = load(dir, CLIP_PART_TEXT);
    size_t nids, nemb, npool;
    int32_t *ids = fixture_ints(ex, "input_ids", &nids);
    float *emb = fixture_floats(ex, "text_embeds", &nemb);
    float *pool = fixture_floats(ex, "text_pooled", &npool);
    int n = (int)(nids / CLIP_TEXT_CONTEXT);
    cr_assert_eq(nemb, (size_t)n * clip_embed_dim(m));
    float *g_emb = malloc(nemb * 4), *g_pool = malloc(npool * 4);
    cr_assert_eq(clip_encode_text_ids(m, ids, n, g_emb, g_pool, err), VLM_OK,
                 "%s", err);
    check("text_embeds", fx, g_emb, emb, nemb);
    check("text_pooled", fx, g_pool, pool, npool);
    /* One at a time must give the same as the packed batch. */
    float one[512];
    cr_assert(clip_embed_dim(m) <= 512);
    for (int i = 0; i < n; i += 7) {
        cr_assert_eq(clip_encode_text_ids(m,
                                          ids + (size_t)i * CLIP_TEXT_CONTEXT,
                                          1, one, NULL, err),
                     VLM_OK, "%s", err);
        check("text_embeds (single)", fx, one,
              emb + (size_t)i * clip_embed_dim(m), clip_embed_dim(m));
    }
    free(ids);
    free(emb);
    free(pool);
    free(g_emb);
    free(g_pool);
    clip_model_destroy(m);
    st_file_close(ex);
}

Test(clip_parity, vision_quickgelu_f32)
{
    vision_parity("clip-tiny-quickgelu-f32");
}
Test(clip_parity, vision_gelu_f16) { vision_parity("clip-tiny-gelu-f16"); }
Test(clip_parity, text_quickgelu_f32)
{
    text_parity("clip-tiny-quickgelu-f32");
}
Test(clip_parity, text_gelu_f16) { text_parity("clip-tiny-gelu-f16"); }
