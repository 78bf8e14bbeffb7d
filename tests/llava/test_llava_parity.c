/* LLaVA against expected.safetensors: vision features, projector, prompt ids,
 * last / last-8 logits, greedy ids and phrase log-probs for both prompts and
 * both images.  Tolerance (fixture README): 1e-3 relative to the largest |x|;
 * greedy ids exact. */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/llava/llava.h"
#include "tests/llava/llava_fixture.h"

#define TOL 1e-3

static llava_model *model;
static st_file *expected;
static float *embeds; /* [2][N][text_dim] from our own tower + projector */

static void setup(void)
{
    const char *dir = llava_fixture_dir();
    char err[VLM_ERR_MAX];
    llava_options o = llava_options_default();
    o.threads = 2;
    cr_assert_eq(llava_load(dir, &o, &model, err), VLM_OK, "%s", err);
    cr_assert_eq(st_file_open(llava_fixture_path("expected.safetensors"),
                              &expected, err),
                 VLM_OK, "%s", err);
    float *px = llava_expected_f32(expected, "pixel_values", NULL);
    embeds = malloc(sizeof(float) * 2 * llava_image_tokens(model) *
                    llava_text_dim(model));
    cr_assert_eq(llava_encode_pixels(model, px, 2, embeds, err), VLM_OK, "%s",
                 err);
    free(px);
}

static void teardown(void)
{
    free(embeds);
    embeds = NULL;
    if (expected) st_file_close(expected);
    expected = NULL;
    llava_destroy(model);
    model = NULL;
}

static const float *image_embeds(int img)
{
    return embeds +
           (size_t)img * llava_image_tokens(model) * llava_text_dim(model);
}

/* Prompt P from the header metadata: before + "<image>" + after. */
static char *prompt_text(int p)
{
    json_object *all =
        json_tokener_parse(st_file_metadata(expected, "prompts"));
    json_object *pair = json_object_array_get_idx(all, p);
    const char *before =
        json_object_get_string(json_object_array_get_idx(pair, 0));
    const char *after =
        json_object_get_string(json_object_array_get_idx(pair, 1));
    char *s = malloc(strlen(before) + strlen(after) + 8);
    sprintf(s, "%s<image>%s", before, after);
    json_object_put(all);
    return s;
}

TestSuite(llava, .init = setup, .fini = teardown, .timeout = 60);

Test(llava, shapes_from_config)
{
    cr_assert_eq(llava_image_tokens(model), 16); /* (32/8)^2, CLS dropped */
    cr_assert_eq(llava_vision_dim(model), 128);
    cr_assert_eq(llava_text_dim(model), 64);
    cr_assert_eq(llava_vocab_size(model), 32064);
    cr_assert_eq(llava_image_size(model), 32);
    cr_assert_eq(llava_eos_id(model), 2);
}

Test(llava, image_and_projected_features)
{
    char err[VLM_ERR_MAX];
    int64_t nf, np;
    float *px = llava_expected_f32(expected, "pixel_values", NULL);
    float *want_f = llava_expected_f32(expected, "image_features", &nf);
    float *want_p = llava_expected_f32(expected, "projected_features", &np);
    float *f = malloc(sizeof(float) * nf);
    cr_assert_eq(llava_image_features(model, px, 2, f, err), VLM_OK, "%s", err);
    double d = llava_rel_diff(f, want_f, nf);
    cr_assert_leq(d, TOL, "image_features off by %g relative", d);
    cr_log_info("image_features: max rel diff %.2e", d);
    d = llava_rel_diff(embeds, want_p, np);
    cr_log_info("projected_features: max rel diff %.2e", d);
    cr_assert_leq(d, TOL, "projected_features off by %g relative", d);
    /* the projector alone, from the reference features */
    float *p = malloc(sizeof(float) * np);
    cr_assert_eq(llava_project(model, want_f, 2, p, err), VLM_OK, "%s", err);
    d = llava_rel_diff(p, want_p, np);
    cr_assert_leq(d, 1e-5, "projector off by %g relative", d);
    free(p);
    free(f);
    free(want_p);
    free(want_f);
    free(px);
}

Test(llava, prompt_ids)
{
    char err[VLM_ERR_MAX], name[64];
    for (int p = 0; p < 2; p++) {
        char *prompt = prompt_text(p);
        int32_t *ids;
        int n;
        int64_t wn;
        cr_assert_eq(llava_prompt_ids(model, prompt, &ids, &n, err), VLM_OK,
                     "%s", err);
        snprintf(name, sizeof name, "prompt%d_input_ids", p);
        int32_t *want = llava_expected_i32(expected, name, &wn);
        cr_assert_eq(n, wn, "prompt %d: %d ids, expected %ld", p, n, (long)wn);
        for (int i = 0; i < n; i++)
            cr_assert_eq(ids[i], want[i], "prompt %d id %d", p, i);
        free(want);
        free(ids);
        free(prompt);
    }
}

Test(llava, default_and_wrapped_prompts)
{
    char err[VLM_ERR_MAX];
    int32_t *a, *b, *c;
    int na, nb, nc;
    /* the default prompt is prompt 0 of the fixture */
    char *p0 = prompt_text(0);
    cr_assert_eq(llava_prompt_ids(model, NULL, &a, &na, err), VLM_OK, "%s",
                 err);
    cr_assert_eq(llava_prompt_ids(model, p0, &b, &nb, err), VLM_OK, "%s", err);
    cr_assert_eq(llava_prompt_ids(model, "Describe the image in one sentence.",
                                  &c, &nc, err),
                 VLM_OK, "%s", err);
    cr_assert_eq(na, nb);
    cr_assert_eq(nc, nb);
    cr_assert_arr_eq(a, b, sizeof(int32_t) * na);
    cr_assert_arr_eq(c, b, sizeof(int32_t) * nb);
    free(a);
    free(b);
    free(c);
    free(p0);
    cr_assert_eq(llava_prompt_ids(model, "<image><image>", &a, &na, err),
                 VLM_EINVAL);
    cr_assert(strstr(err, "<image>"), "message: %s", err);
}

Test(llava, logits_last_and_tail8)
{
    char err[VLM_ERR_MAX], name[64];
    const int V = llava_vocab_size(model);
    float *got = malloc(sizeof(float) * 8 * V);
    for (int p = 0; p < 2; p++) {
        char *prompt = prompt_text(p);
        for (int i = 0; i < 2; i++) {
            cr_assert_eq(llava_prompt_logits(model, image_embeds(i), prompt, 8,
                                             got, err),
                         VLM_OK, "%s", err);
            snprintf(name, sizeof name, "prompt%d_image%d_logits_tail8", p, i);
            float *tail = llava_expected_f32(expected, name, NULL);
            double d = llava_rel_diff(got, tail, 8 * (int64_t)V);
            cr_assert_leq(d, TOL, "%s off by %g relative", name, d);
            cr_log_info("%s: max rel diff %.2e", name, d);
            snprintf(name, sizeof name, "prompt%d_image%d_last_logits", p, i);
            float *last = llava_expected_f32(expected, name, NULL);
            d = llava_rel_diff(got + 7 * (size_t)V, last, V);
            cr_assert_leq(d, TOL, "%s off by %g relative", name, d);
            free(last);
            free(tail);
        }
        free(prompt);
    }
    free(got);
}

Test(llava, greedy_ids_exact)
{
    char err[VLM_ERR_MAX], name[64];
    llava_gen_opts g = llava_gen_opts_default();
    g.max_tokens = 12;
    for (int p = 0; p < 2; p++) {
        char *prompt = prompt_text(p);
        for (int i = 0; i < 2; i++) {
            int32_t ids[16];
            int n;
            int64_t wn;
            cr_assert_eq(llava_generate(model, image_embeds(i), prompt, &g, ids,
                                        16, &n, err),
                         VLM_OK, "%s", err);
            snprintf(name, sizeof name, "prompt%d_image%d_greedy_ids", p, i);
            int32_t *want = llava_expected_i32(expected, name, &wn);
            cr_assert_eq(n, wn, "%s: %d tokens, expected %ld", name, n,
                         (long)wn);
            for (int k = 0; k < n; k++)
                cr_assert_eq(ids[k], want[k], "%s: token %d", name, k);
            free(want);
        }
        free(prompt);
    }
}

Test(llava, caption_is_the_decoded_greedy_ids)
{
    char err[VLM_ERR_MAX];
    llava_gen_opts g = llava_gen_opts_default();
    g.max_tokens = 12;
    char *text;
    cr_assert_eq(
        llava_caption_embeds(model, image_embeds(0), NULL, &g, &text, err),
        VLM_OK, "%s", err);
    int32_t *want =
        llava_expected_i32(expected, "prompt0_image0_greedy_ids", NULL);
    char *ref = sp_tokenizer_decode(llava_tokenizer(model), want, 12, err);
    cr_assert_str_eq(text, ref);
    cr_assert_gt(strlen(text), 0);
    free(ref);
    free(want);
    free(text);
}

Test(llava, sampling_is_seeded_and_bounded)
{
    char err[VLM_ERR_MAX];
    llava_gen_opts g = {
        .max_tokens = 10, .temperature = 1.0f, .top_p = 0.9f, .seed = 42};
    int32_t a[10], b[10], c[10];
    int na, nb, nc;
    cr_assert_eq(
        llava_generate(model, image_embeds(0), NULL, &g, a, 10, &na, err),
        VLM_OK, "%s", err);
    cr_assert_eq(
        llava_generate(model, image_embeds(0), NULL, &g, b, 10, &nb, err),
        VLM_OK, "%s", err);
    g.seed = 7;
    cr_assert_eq(
        llava_generate(model, image_embeds(0), NULL, &g, c, 10, &nc, err),
        VLM_OK, "%s", err);
    cr_assert_eq(na, nb);
    cr_assert_arr_eq(a, b, sizeof(int32_t) * na, "same seed, different tokens");
    cr_assert(na != nc || memcmp(a, c, sizeof(int32_t) * na),
              "seeds 42 and 7 gave the same %d tokens", na);
    for (int i = 0; i < na; i++)
        cr_assert(a[i] >= 0 && a[i] < 32064 && a[i] != 2);
    /* a tiny top_p keeps only the most likely token: greedy */
    g.top_p = 1e-6f;
    int32_t gr[10];
    int ng;
    cr_assert_eq(
        llava_generate(model, image_embeds(0), NULL, &g, c, 10, &nc, err),
        VLM_OK, "%s", err);
    llava_gen_opts greedy = llava_gen_opts_default();
    greedy.max_tokens = 10;
    cr_assert_eq(
        llava_generate(model, image_embeds(0), NULL, &greedy, gr, 10, &ng, err),
        VLM_OK, "%s", err);
    cr_assert_eq(nc, ng);
    cr_assert_arr_eq(c, gr, sizeof(int32_t) * nc);
    g.top_p = 0;
    cr_assert_eq(
        llava_generate(model, image_embeds(0), NULL, &g, c, 10, &nc, err),
        VLM_EINVAL);
}

Test(llava, phrase_logprobs)
{
    char err[VLM_ERR_MAX], name[64];
    json_object *all =
        json_tokener_parse(st_file_metadata(expected, "phrases"));
    const int n = (int)json_object_array_length(all);
    cr_assert_eq(n, 3);
    const char *phrases[3];
    for (int q = 0; q < n; q++)
        phrases[q] = json_object_get_string(json_object_array_get_idx(all, q));
    for (int i = 0; i < 2; i++) {
        llava_phrase_score sc[3];
        cr_assert_eq(llava_score_phrases_embeds(model, image_embeds(i), NULL,
                                                phrases, n, sc, err),
                     VLM_OK, "%s", err);
        for (int q = 0; q < n; q++) {
            int64_t wn;
            snprintf(name, sizeof name, "phrase%d_ids", q);
            int32_t *ids = llava_expected_i32(expected, name, &wn);
            cr_assert_eq(sc[q].n_tokens, wn, "%s length", name);
            free(ids);
            snprintf(name, sizeof name, "phrase%d_image%d_logprob", q, i);
            float *want = llava_expected_f32(expected, name, NULL);
            double sum = 0;
            for (int k = 0; k < sc[q].n_tokens; k++) {
                cr_assert_leq(sc[q].per_token[k], 0.0f);
                sum += sc[q].per_token[k];
            }
            cr_assert_leq(fabs(sc[q].total - *want), TOL * fabs(*want),
                          "%s: %.6f vs %.6f", name, sc[q].total, (double)*want);
            cr_log_info("%s: %.6f vs %.6f", name, sc[q].total, (double)*want);
            cr_assert_leq(fabs(sum - sc[q].total), 1e-3);
            cr_assert_leq(fabs(sc[q].normalized - sc[q].total / sc[q].n_tokens),
                          1e-9);
            free(want);
            llava_phrase_score_free(&sc[q]);
        }
    }
    json_object_put(all);
}
