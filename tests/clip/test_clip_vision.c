/*
 * test_clip_vision.c — the low-level vision tower API (clip_vision.h):
 * a truncated tower gives the penultimate hidden state, and the LLaVA
 * checkpoint's tower (prefix vision_tower.vision_model.) reproduces its
 * reference image_features (penultimate block, CLS dropped).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "model/clip/clip_config.h"
#include "model/clip/clip_vision.h"
#include "tests/clip/clip_fixture.h"

static struct json_object *vision_json(const char *dir,
                                       struct json_object **root)
{
    char path[8192], *text;
    char err[VLM_ERR_MAX];
    snprintf(path, sizeof path, "%s/config.json", dir);
    cr_assert_eq(clip_read_file(path, &text, NULL, err), VLM_OK, "%s", err);
    *root = json_tokener_parse(text);
    free(text);
    struct json_object *v = NULL;
    cr_assert(json_object_object_get_ex(*root, "vision_config", &v));
    return v;
}

/* Runs `layers` blocks of the tower under prefix; returns hidden_last. */
static float *run_tower(const char *dir, const char *prefix, int drop_last,
                        const float *pix, int n, int *T, int *W)
{
    char err[VLM_ERR_MAX] = "";
    struct json_object *root;
    clip_tower_config vc;
    cr_assert_eq(
        clip_vision_config_from_json(vision_json(dir, &root), &vc, err), VLM_OK,
        "%s", err);
    json_object_put(root);
    st_checkpoint *ck;
    cr_assert_eq(st_checkpoint_open(dir, &ck, err), VLM_OK, "%s", err);
    clip_vision_opts o = {.layers = vc.num_layers - drop_last,
                          .post_layernorm = 0,
                          .precision = VLM_PREC_F32};
    clip_vision *v;
    cr_assert_eq(clip_vision_create(ck, prefix, &vc, &o, &v, err), VLM_OK, "%s",
                 err);
    cr_expect_eq(clip_vision_layers(v), vc.num_layers - drop_last);
    *T = clip_vision_tokens(v);
    *W = clip_vision_width(v);
    float *h = malloc((size_t)n * *T * *W * sizeof(float));
    float pooled[1];
    /* pooled needs post_layernorm, which this tower did not load */
    cr_expect_eq(clip_vision_forward(v, pix, n, h, NULL, pooled, err),
                 VLM_EINVAL);
    cr_assert_eq(clip_vision_forward(v, pix, n, h, NULL, NULL, err), VLM_OK,
                 "%s", err);
    clip_vision_destroy(v);
    st_checkpoint_close(ck);
    return h;
}

Test(clip_vision, truncated_tower_is_penultimate)
{
    char dir[4096];
    fixture_dir("clip-tiny-quickgelu-f32", dir, sizeof dir);
    st_file *ex = fixture_expected(dir);
    size_t npix, nh;
    float *pix = fixture_floats(ex, "pixel_values", &npix);
    float *pen = fixture_floats(ex, "vision_hidden_penultimate", &nh);
    int T, W, n = (int)(npix / (3 * 32 * 32));
    float *h = run_tower(dir, "vision_model.", 1, pix, n, &T, &W);
    cr_assert_eq((size_t)n * T * W, nh);
    double d = max_abs_diff(h, pen, nh);
    fprintf(stderr, "truncated tower vs vision_hidden_penultimate: %.3g\n", d);
    cr_expect(d <= 1e-3, "max abs diff %g", d);
    free(pix);
    free(pen);
    free(h);
    st_file_close(ex);
}

Test(clip_vision, llava_prefix_image_features)
{
    char dir[4096];
    fixture_dir("llava-tiny-llama", dir, sizeof dir);
    st_file *ex = fixture_expected(dir);
    size_t npix, nf;
    float *pix = fixture_floats(ex, "pixel_values", &npix);
    float *feat = fixture_floats(ex, "image_features", &nf);
    int T, W, n = (int)(npix / (3 * 32 * 32));
    float *h = run_tower(dir, "vision_tower.vision_model.", 1, pix, n, &T, &W);
    cr_assert_eq(nf, (size_t)n * (T - 1) * W, "image_features has %zu values",
                 nf);
    double worst = 0;
    for (int i = 0; i < n; i++) { /* drop CLS: tokens 1..T-1 */
        double d =
            max_abs_diff(h + ((size_t)i * T + 1) * W,
                         feat + (size_t)i * (T - 1) * W, (size_t)(T - 1) * W);
        if (d > worst) worst = d;
    }
    fprintf(stderr, "llava image_features: max abs diff %.3g\n", worst);
    cr_expect(worst <= 1e-3, "max abs diff %g", worst);
    free(pix);
    free(feat);
    free(h);
    st_file_close(ex);
}

Test(clip_vision, wrong_prefix_names_tensor)
{
    char dir[4096], err[VLM_ERR_MAX] = "";
    fixture_dir("llava-tiny-llama", dir, sizeof dir);
    struct json_object *root;
    clip_tower_config vc;
    cr_assert_eq(
        clip_vision_config_from_json(vision_json(dir, &root), &vc, err),
        VLM_OK);
    json_object_put(root);
    st_checkpoint *ck;
    cr_assert_eq(st_checkpoint_open(dir, &ck, err), VLM_OK, "%s", err);
    clip_vision_opts o = {
        .layers = 0, .post_layernorm = 1, .precision = VLM_PREC_F32};
    clip_vision *v = NULL;
    cr_expect_eq(clip_vision_create(ck, "vision_model.", &vc, &o, &v, err),
                 VLM_ENOTFOUND);
    cr_expect_null(v);
    cr_expect(strstr(err, "vision_model.embeddings.patch_embedding.weight") !=
                  NULL,
              "%s", err);
    o.layers = vc.num_layers + 1;
    cr_expect_eq(
        clip_vision_create(ck, "vision_tower.vision_model.", &vc, &o, &v, err),
        VLM_EINVAL);
    st_checkpoint_close(ck);
}
