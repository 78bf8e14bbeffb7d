/* clip_parity_util.c — see clip_parity_util.h. */
#include "tests/clip/clip_parity_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "tests/clip/clip_fixture.h"
#include "tests/common/ckpt_convert.h"

clip_model *fixture_model(const char *dir, int parts, vlm_precision prec)
{
    clip_options o = clip_options_default();
    o.parts = parts;
    o.threads = 2;
    o.precision = prec;
    clip_model *m = NULL;
    char err[VLM_ERR_MAX] = "";
    cr_assert_eq(clip_model_load(dir, &o, &m, err), VLM_OK, "%s: %s", dir, err);
    return m;
}

/* A fixture tensor, our output of the same size, the name. */
typedef struct pair {
    const char *name;
    float *want, *got;
    size_t n;
} pair;

static void pair_read(pair *p, const st_file *ex, const char *name)
{
    p->name = name;
    p->want = fixture_floats(ex, name, &p->n);
    p->got = calloc(p->n, sizeof(float));
    cr_assert_not_null(p->got);
}

static void pair_check(const char *fx, pair *p, double tol)
{
    expect_close(fx, p->name, p->got, p->want, p->n, tol);
    free(p->want);
    free(p->got);
}

static void vision_parity(const char *fx, const char *dir, vlm_precision prec,
                          const char *pooled, double tol)
{
    char err[VLM_ERR_MAX] = "";
    st_file *ex = fixture_expected(dir);
    clip_model *m = fixture_model(dir, CLIP_PART_VISION, prec);
    size_t npix;
    float *pix = fixture_floats(ex, "pixel_values", &npix);
    int S = clip_image_size(m), n = (int)(npix / (3 * (size_t)S * S));
    pair e, p, last, pen;
    pair_read(&e, ex, "image_embeds");
    pair_read(&p, ex, pooled);
    pair_read(&last, ex, "vision_hidden_last");
    pair_read(&pen, ex, "vision_hidden_penultimate");
    cr_assert_eq(e.n, (size_t)n * clip_embed_dim(m));
    cr_assert_eq(last.n, (size_t)n * clip_model_vision_tokens(m) *
                             clip_model_vision_width(m));
    cr_assert_eq(
        clip_encode_images(m, pix, n, e.got, p.got, last.got, pen.got, err),
        VLM_OK, "%s", err);
    pair_check(fx, &e, tol);
    pair_check(fx, &p, tol);
    pair_check(fx, &last, tol);
    pair_check(fx, &pen, tol);
    free(pix);
    clip_model_destroy(m);
    st_file_close(ex);
}

/* Zeroes the rows (width W) of h whose mask entry is 0. */
static void mask_rows(float *h, const int32_t *mask, size_t rows, int W)
{
    for (size_t r = 0; r < rows; r++)
        if (!mask[r]) memset(h + r * W, 0, (size_t)W * sizeof(float));
}

static void hidden_parity(const char *fx, clip_model *m, const st_file *ex,
                          const int32_t *ids, int n, const char *hidden,
                          const char *mask, double tol)
{
    char err[VLM_ERR_MAX] = "";
    pair h;
    pair_read(&h, ex, hidden);
    size_t rows = (size_t)n * clip_text_context(m);
    int W = clip_model_text_width(m);
    cr_assert_eq(h.n, rows * W);
    cr_assert_eq(clip_encode_text_ids_hidden(m, ids, n, NULL, NULL, h.got, err),
                 VLM_OK, "%s", err);
    if (mask) { /* compare real positions only */
        int32_t *mk = fixture_ints(ex, mask, NULL);
        mask_rows(h.want, mk, rows, W);
        mask_rows(h.got, mk, rows, W);
        free(mk);
    }
    pair_check(fx, &h, tol);
}

static void text_parity(const char *fx, const char *dir, vlm_precision prec,
                        const char *hidden, const char *mask, double tol)
{
    char err[VLM_ERR_MAX] = "";
    st_file *ex = fixture_expected(dir);
    clip_model *m = fixture_model(dir, CLIP_PART_TEXT, prec);
    size_t nids;
    int32_t *ids = fixture_ints(ex, "input_ids", &nids);
    int ctx = clip_text_context(m), E = clip_embed_dim(m);
    int n = (int)(nids / ctx);
    pair e, p;
    pair_read(&e, ex, "text_embeds");
    pair_read(&p, ex, "text_pooled");
    cr_assert_eq(e.n, (size_t)n * E);
    cr_assert_eq(clip_encode_text_ids(m, ids, n, e.got, p.got, err), VLM_OK,
                 "%s", err);
    for (int i = 0; i < n; i += 3) { /* alone = in the packed batch */
        float *one = malloc((size_t)E * sizeof(float));
        cr_assert_eq(
            clip_encode_text_ids(m, ids + (size_t)i * ctx, 1, one, NULL, err),
            VLM_OK, "%s", err);
        double d = max_abs_diff(one, e.want + (size_t)i * E, (size_t)E);
        cr_expect(d <= tol, "%s text %d alone: max abs diff %g", fx, i, d);
        free(one);
    }
    pair_check(fx, &e, tol);
    pair_check(fx, &p, tol);
    if (hidden) hidden_parity(fx, m, ex, ids, n, hidden, mask, tol);
    free(ids);
    clip_model_destroy(m);
    st_file_close(ex);
}

void expect_vision_parity(const char *fx, vlm_precision prec,
                          const char *pooled, double tol)
{
    char dir[4096];
    fixture_dir(fx, dir, sizeof dir);
    vision_parity(fx, dir, prec, pooled, tol);
}

void expect_text_parity(const char *fx, vlm_precision prec, const char *hidden,
                        const char *mask, double tol)
{
    char dir[4096];
    fixture_dir(fx, dir, sizeof dir);
    text_parity(fx, dir, prec, hidden, mask, tol);
}

void expect_converted_parity(const char *fx, st_dtype dtype, const char *pooled,
                             const char *hidden, const char *mask, double tol)
{
    char dir[4096], tmp[4096];
    fixture_dir(fx, dir, sizeof dir);
    ckpt_convert(dir, dtype, tmp, sizeof tmp);
    vision_parity(fx, tmp, VLM_PREC_F32, pooled, tol);
    text_parity(fx, tmp, VLM_PREC_F32, hidden, mask, tol);
    ckpt_convert_remove(tmp);
}

void expect_precision_agreement(const char *fx, vlm_precision prec,
                                double min_cos, double max_abs)
{
    char dir[4096], err[VLM_ERR_MAX] = "";
    fixture_dir(fx, dir, sizeof dir);
    st_file *ex = fixture_expected(dir);
    clip_model *m = fixture_model(dir, CLIP_PART_ALL, prec);
    int E = clip_embed_dim(m), S = clip_image_size(m);
    size_t npix, nids;
    float *pix = fixture_floats(ex, "pixel_values", &npix);
    int32_t *ids = fixture_ints(ex, "input_ids", &nids);
    pair i, t;
    pair_read(&i, ex, "image_embeds");
    pair_read(&t, ex, "text_embeds");
    int ni = (int)(npix / (3 * (size_t)S * S)),
        nt = (int)(nids / clip_text_context(m));
    cr_assert_eq(clip_encode_images(m, pix, ni, i.got, NULL, NULL, NULL, err),
                 VLM_OK, "%s", err);
    cr_assert_eq(clip_encode_text_ids(m, ids, nt, t.got, NULL, err), VLM_OK,
                 "%s", err);
    double ci = min_row_cosine(i.got, i.want, ni, E),
           ct = min_row_cosine(t.got, t.want, nt, E);
    fprintf(stderr, "%s %s (%s): image cos >= %.6f, text cos >= %.6f\n", fx,
            prec == VLM_PREC_BF16   ? "bf16"
            : prec == VLM_PREC_INT8 ? "int8"
                                    : "f32-packed",
            vlm_gemm_backend(prec), ci, ct);
    cr_expect(ci >= min_cos && ct >= min_cos, "%s: cosine %g / %g < %g", fx, ci,
              ct, min_cos);
    pair_check(fx, &i, max_abs);
    pair_check(fx, &t, max_abs);
    free(pix);
    free(ids);
    clip_model_destroy(m);
    st_file_close(ex);
}

/* Text i of the fixture: its ids equal ref (ctx of them) exactly, its
 * embedding is within tol of emb (E floats). */
static void one_text(const char *fx, clip_model *m, int i, const char *s,
                     const int32_t *ref, const float *emb, double tol)
{
    char err[VLM_ERR_MAX] = "";
    int ctx = clip_text_context(m), E = clip_embed_dim(m);
    int32_t *ids = malloc((size_t)ctx * sizeof *ids);
    float *e = malloc((size_t)E * sizeof *e);
    cr_assert(ids && e);
    cr_assert_gt(clip_tokenize(m, s, ids, err), 0, "%s", err);
    for (int k = 0; k < ctx; k++)
        cr_expect_eq(ids[k], ref[k],
                     "%s text %d \"%s\" id %d: %d, reference %d", fx, i, s, k,
                     ids[k], ref[k]);
    cr_assert_eq(clip_encode_text(m, s, e, err), VLM_OK, "%s", err);
    cr_expect(max_abs_diff(e, emb, (size_t)E) <= tol, "%s text %d", fx, i);
    free(ids);
    free(e);
}

void expect_tokenizer_parity(const char *fx, double tol)
{
    char dir[4096];
    fixture_dir(fx, dir, sizeof dir);
    st_file *ex = fixture_expected(dir);
    struct json_object *texts =
        json_tokener_parse(st_file_metadata(ex, "texts"));
    cr_assert(json_object_is_type(texts, json_type_array));
    clip_model *m = fixture_model(dir, CLIP_PART_TEXT, VLM_PREC_F32);
    int ctx = clip_text_context(m), E = clip_embed_dim(m);
    size_t nids;
    int32_t *ref = fixture_ints(ex, "input_ids", &nids);
    float *emb = fixture_floats(ex, "text_embeds", NULL);
    int n = (int)json_object_array_length(texts);
    cr_assert_eq((size_t)n * ctx, nids);
    for (int i = 0; i < n; i++)
        one_text(fx, m, i,
                 json_object_get_string(json_object_array_get_idx(texts, i)),
                 ref + (size_t)i * ctx, emb + (size_t)i * E, tol);
    free(ref);
    free(emb);
    json_object_put(texts);
    clip_model_destroy(m);
    st_file_close(ex);
}
