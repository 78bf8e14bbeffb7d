/*
 * test_clip_load.c — loading: wrong checkpoints are refused naming the
 * tensor, text-only loads cannot encode images, the model id is stable and
 * specific, the preprocessor config is read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "model/clip/clip.h"
#include "model/clip/clip_config.h"
#include "tests/clip/clip_fixture.h"

/* A temp checkpoint folder: fixture weights (symlinked) + an edited config
 * where the first occurrence of `from` becomes `to`. */
static void make_edited(const char *src, const char *from, const char *to,
                        char *tmp, size_t cap)
{
    snprintf(tmp, cap, "/tmp/clip-bad-XXXXXX");
    cr_assert_not_null(mkdtemp(tmp));
    char p[8192], q[8192];
    snprintf(p, sizeof p, "%s/model.safetensors", src);
    snprintf(q, sizeof q, "%s/model.safetensors", tmp);
    cr_assert_eq(symlink(p, q), 0);
    snprintf(p, sizeof p, "%s/config.json", src);
    FILE *f = fopen(p, "rb");
    cr_assert_not_null(f);
    char text[65536];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    char *hit = strstr(text, from);
    cr_assert_not_null(hit, "config has no %s", from);
    snprintf(q, sizeof q, "%s/config.json", tmp);
    f = fopen(q, "wb");
    fwrite(text, 1, (size_t)(hit - text), f);
    fputs(to, f);
    fputs(hit + strlen(from), f);
    fclose(f);
}

static void remove_edited(const char *tmp)
{
    char p[8192];
    snprintf(p, sizeof p, "%s/model.safetensors", tmp);
    unlink(p);
    snprintf(p, sizeof p, "%s/config.json", tmp);
    unlink(p);
    rmdir(tmp);
}

Test(clip_load, wrong_width_names_tensor)
{
    char dir[4096], tmp[4096], err[VLM_ERR_MAX] = "";
    fixture_dir("clip-tiny-quickgelu-f32", dir, sizeof dir);
    /* vision hidden_size 128 -> 96 (still divisible by the 2 heads) */
    make_edited(dir, "\"hidden_size\": 128", "\"hidden_size\": 96", tmp,
                sizeof tmp);
    clip_model *m = NULL;
    int rc = clip_model_load(tmp, NULL, &m, err);
    remove_edited(tmp);
    cr_expect_null(m);
    cr_expect_eq(rc, VLM_EMISMATCH, "rc %d: %s", rc, err);
    cr_expect(strstr(err, "vision_model.embeddings.patch_embedding.weight") !=
                  NULL,
              "message does not name the tensor: %s", err);
}

Test(clip_load, wrong_layer_count_names_tensor)
{
    char dir[4096], tmp[4096], err[VLM_ERR_MAX] = "";
    fixture_dir("clip-tiny-gelu-f16", dir, sizeof dir);
    make_edited(dir, "\"num_hidden_layers\": 3", "\"num_hidden_layers\": 4",
                tmp, sizeof tmp);
    clip_options o = clip_options_default();
    o.parts = CLIP_PART_TEXT;
    clip_model *m = NULL;
    int rc = clip_model_load(tmp, &o, &m, err);
    remove_edited(tmp);
    cr_expect_eq(rc, VLM_ENOTFOUND, "rc %d: %s", rc, err);
    cr_expect(strstr(err, "text_model.encoder.layers.3.") != NULL,
              "message does not name the tensor: %s", err);
}

Test(clip_load, bad_hidden_act_refused)
{
    char dir[4096], tmp[4096], err[VLM_ERR_MAX] = "";
    fixture_dir("clip-tiny-quickgelu-f32", dir, sizeof dir);
    make_edited(dir, "\"quick_gelu\"", "\"swishy\"", tmp, sizeof tmp);
    clip_model *m = NULL;
    int rc = clip_model_load(tmp, NULL, &m, err);
    remove_edited(tmp);
    cr_expect_eq(rc, VLM_EUNSUPPORTED, "rc %d: %s", rc, err);
    cr_expect(strstr(err, "swishy") != NULL, "%s", err);
}

Test(clip_load, text_only_cannot_encode_images)
{
    char dir[4096], err[VLM_ERR_MAX] = "";
    fixture_dir("clip-tiny-quickgelu-f32", dir, sizeof dir);
    clip_options o = clip_options_default();
    o.parts = CLIP_PART_TEXT;
    clip_model *m = NULL;
    cr_assert_eq(clip_model_load(dir, &o, &m, err), VLM_OK, "%s", err);
    cr_expect_eq(clip_model_parts(m), CLIP_PART_TEXT);
    float px[3 * 32 * 32] = {0}, emb[24];
    cr_expect_eq(clip_encode_images(m, px, 1, emb, NULL, NULL, NULL, err),
                 VLM_EINVAL);
    cr_expect(strstr(err, "vision") != NULL, "%s", err);
    clip_model_destroy(m);
}

Test(clip_load, facts_and_id)
{
    char a[4096], b[4096], err[VLM_ERR_MAX] = "";
    fixture_dir("clip-tiny-quickgelu-f32", a, sizeof a);
    fixture_dir("clip-tiny-gelu-f16", b, sizeof b);
    clip_options o = clip_options_default();
    o.parts = CLIP_PART_TEXT;
    clip_model *m1, *m2, *m3;
    cr_assert_eq(clip_model_load(a, &o, &m1, err), VLM_OK, "%s", err);
    o.parts = CLIP_PART_ALL;
    cr_assert_eq(clip_model_load(a, &o, &m2, err), VLM_OK, "%s", err);
    cr_assert_eq(clip_model_load(b, &o, &m3, err), VLM_OK, "%s", err);
    cr_expect_eq(strlen(clip_model_id(m1)), 16);
    cr_expect_str_eq(clip_model_id(m1),
                     clip_model_id(m2)); /* parts don't matter */
    cr_expect_str_neq(clip_model_id(m1), clip_model_id(m3));
    cr_expect_str_eq(clip_model_name(m1), "clip-tiny-quickgelu-f32");
    cr_expect_eq(clip_embed_dim(m1), 24);
    cr_expect_eq(clip_embed_dim(m3), 48);
    cr_expect_eq(clip_image_size(m3), 64);
    /* logit_scale is stored as log(1/0.07) in fresh CLIP checkpoints */
    cr_expect(clip_logit_scale(m1) > 1.0f);
    const img_prep_params *p = clip_prep_params(m1);
    cr_expect_eq(p->shortest_edge, 32);
    cr_expect_eq(p->crop_w, 32);
    cr_expect_eq(p->crop_h, 32);
    cr_expect_float_eq(p->mean[0], 0.48145466f, 1e-7);
    cr_expect_float_eq(p->std[2], 0.27577711f, 1e-7);
    cr_expect_float_eq(p->rescale, 1.0f / 255, 1e-9);
    clip_model_destroy(m1);
    clip_model_destroy(m2);
    clip_model_destroy(m3);
}

Test(clip_load, missing_folder)
{
    char err[VLM_ERR_MAX] = "";
    clip_model *m = NULL;
    int rc = clip_model_load("/nonexistent/clip", NULL, &m, err);
    cr_expect_eq(rc, VLM_ENOTFOUND, "rc %d: %s", rc, err);
    cr_expect(strstr(err, "/nonexistent/clip/config.json") != NULL, "%s", err);
}

Test(clip_load, bad_inputs_are_errors)
{
    char dir[4096], err[VLM_ERR_MAX] = "";
    fixture_dir("clip-tiny-quickgelu-f32", dir, sizeof dir);
    clip_model *m;
    cr_assert_eq(clip_model_load(dir, NULL, &m, err), VLM_OK, "%s", err);
    int32_t ids[CLIP_TEXT_CONTEXT] = {49406, 320, 99999, 49407};
    float e[24];
    cr_expect_eq(clip_encode_text_ids(m, ids, 1, e, NULL, err), VLM_EINVAL);
    cr_expect(strstr(err, "99999") != NULL, "%s", err);
    cr_expect_eq(clip_encode_text_ids(m, ids, 0, e, NULL, err), VLM_OK);
    cr_expect_eq(clip_encode_images(m, NULL, 0, e, NULL, NULL, NULL, err),
                 VLM_OK);
    cr_expect_eq(clip_encode_images(m, NULL, -1, e, NULL, NULL, NULL, err),
                 VLM_EINVAL);
    clip_model_destroy(m);
}

/* Threads are per model: a load changes nothing for the caller, and a
 * second model with another count leaves the first one's results alone. */
Test(clip_load, loading_does_not_rethread_the_process)
{
    char dir[4096], err[VLM_ERR_MAX] = "";
    fixture_dir("clip-tiny-quickgelu-f32", dir, sizeof dir);
    int before = vlm_threads_current();
    clip_options o = clip_options_default();
    o.threads = before + 3;
    clip_model *a, *b;
    cr_assert_eq(clip_model_load(dir, &o, &a, err), VLM_OK, "%s", err);
    cr_expect_eq(vlm_threads_current(), before);
    int32_t ids[CLIP_TEXT_CONTEXT] = {49406, 320, 1929, 49407};
    float e1[64], e2[64];
    cr_assert_leq(clip_embed_dim(a), 64);
    cr_assert_eq(clip_encode_text_ids(a, ids, 1, e1, NULL, err), VLM_OK);
    cr_expect_eq(vlm_threads_current(), before);
    o.threads = 1;
    cr_assert_eq(clip_model_load(dir, &o, &b, err), VLM_OK, "%s", err);
    cr_assert_eq(clip_encode_text_ids(a, ids, 1, e2, NULL, err), VLM_OK);
    cr_expect_arr_eq(e1, e2, sizeof(float) * (size_t)clip_embed_dim(a));
    clip_model_destroy(b);
    clip_model_destroy(a);
}

/* Absurd numbers in config.json are refused naming the field before any
 * buffer is sized from them (num_hidden_layers = 2147483647 used to try a
 * 300 GB calloc and print an empty error), in every family. */
Test(clip_load, config_numbers_out_of_range_name_the_field)
{
    static const struct {
        const char *fixture, *from, *to, *want;
    } cases[] = {
        {"clip-tiny-quickgelu-f32", "\"num_hidden_layers\": 2",
         "\"num_hidden_layers\": 2147483647",
         "text_config.num_hidden_layers = 2147483647 is outside 1..256"},
        {"clip-tiny-quickgelu-f32", "\"num_hidden_layers\": 3",
         "\"num_hidden_layers\": 1e300",
         "vision_config.num_hidden_layers = 2147483647 is outside 1..256"},
        {"clip-tiny-quickgelu-f32", "\"hidden_size\": 128",
         "\"hidden_size\": -5",
         "vision_config.hidden_size = -5 is outside 1..16384"},
        {"clip-tiny-quickgelu-f32", "\"intermediate_size\": 256",
         "\"intermediate_size\": 0",
         "text_config.intermediate_size = 0 is outside 1..65536"},
        {"clip-tiny-quickgelu-f32", "\"vocab_size\": 49408",
         "\"vocab_size\": 99999999",
         "text_config.vocab_size = 99999999 is outside 1..4194304"},
        {"clip-tiny-quickgelu-f32", "\"max_position_embeddings\": 77",
         "\"max_position_embeddings\": 1000000",
         "text_config.max_position_embeddings = 1000000 is outside 1..8192"},
        {"clip-tiny-quickgelu-f32", "\"image_size\": 32",
         "\"image_size\": 100000",
         "vision_config.image_size = 100000 is outside 1..4096"},
        {"clip-tiny-quickgelu-f32", "\"num_channels\": 3",
         "\"num_channels\": 1000",
         "vision_config.num_channels = 1000 is outside 1..4"},
        {"clip-tiny-quickgelu-f32", "\"layer_norm_eps\": 1e-05",
         "\"layer_norm_eps\": -1",
         "text_config.layer_norm_eps = -1 is not a finite number between 0 "
         "and 1"},
        {"clip-tiny-quickgelu-f32", "\"projection_dim\": 24",
         "\"projection_dim\": 70000",
         "projection_dim = 70000 is outside 1..16384"},
        {"siglip-tiny", "\"num_hidden_layers\": 2",
         "\"num_hidden_layers\": 100000",
         "text_config.num_hidden_layers = 100000 is outside 1..256"},
        {"siglip-tiny", "\"vocab_size\": 1000", "\"vocab_size\": 99999999",
         "text_config.vocab_size = 99999999 is outside 1..4194304"},
        {"chinese-clip-tiny", "\"type_vocab_size\": 2",
         "\"type_vocab_size\": 5000",
         "text_config.type_vocab_size = 5000 is outside 0..1024"},
        {"chinese-clip-tiny", "\"max_position_embeddings\": 512",
         "\"max_position_embeddings\": 100000",
         "text_config.max_position_embeddings = 100000 is outside 1..8192"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char dir[4096], tmp[4096], err[VLM_ERR_MAX] = "", want[4200];
        fixture_dir(cases[i].fixture, dir, sizeof dir);
        make_edited(dir, cases[i].from, cases[i].to, tmp, sizeof tmp);
        clip_model *m = NULL;
        int rc = clip_model_load(tmp, NULL, &m, err);
        snprintf(want, sizeof want, "%s/config.json: %s", tmp, cases[i].want);
        remove_edited(tmp);
        cr_expect_null(m);
        cr_expect_eq(rc, VLM_EFORMAT, "%s %s: rc %d: %s", cases[i].fixture,
                     cases[i].to, rc, err);
        cr_expect_str_eq(err, want);
    }
}

/* The preprocessor's numbers too: the resize target sizes a buffer, mean,
 * std and rescale reach every pixel. */
Test(clip_load, preprocessor_numbers_out_of_range_name_the_field)
{
    static const struct {
        const char *json, *want;
    } cases[] = {
        {"{\"size\": {\"shortest_edge\": 2147483647}, \"crop_size\": 32}",
         "size.shortest_edge = 2147483647 is outside 1..8192"},
        {"{\"rescale_factor\": 1e39}",
         "rescale_factor = inf is not a finite number between 0 and 1000"},
        {"{\"image_std\": [0.5, 1e39, 0.5]}",
         "image_std[1] = inf is not a finite number between -1000 and 1000"},
        {"{\"image_mean\": [0.5, 0.5, -1e30]}",
         "image_mean[2] = -1e+30 is not a finite number between -1000 and "
         "1000"},
    };
    char path[] = "/tmp/clip-prep-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        FILE *f = fopen(path, "w");
        fputs(cases[i].json, f);
        fclose(f);
        img_prep_params p;
        char err[VLM_ERR_MAX] = "", want[VLM_ERR_MAX];
        snprintf(want, sizeof want, "%s: %s", path, cases[i].want);
        cr_expect_eq(clip_prep_params_load(path, 32, &p, err), VLM_EFORMAT,
                     "%s: %s", cases[i].json, err);
        cr_expect_str_eq(err, want);
    }
    unlink(path);
}
