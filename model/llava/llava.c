/* llava.c — loading a LLaVA folder and the image side (tower + projector). */
#include "model/llava/llava_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

llava_options llava_options_default(void)
{
    return (llava_options){.precision = VLM_PREC_F32, .threads = 0};
}

static int load_vision(llava_model *m, vlm_precision prec, char *err)
{
    const llava_config *c = &m->cfg;
    /* hidden_states[0] (no block) is the input of block 0: run one block
     * and take hidden_prev. */
    clip_vision_opts o = {.layers = c->vision_blocks ? c->vision_blocks : 1,
                          .post_layernorm = 0,
                          .precision = prec};
    int rc = clip_vision_create(m->ck, "vision_tower.vision_model.", &c->vision,
                                &o, &m->vision, err);
    if (rc) return rc;
    m->n_image_tokens = clip_vision_tokens(m->vision) - (c->keep_cls ? 0 : 1);
    return VLM_OK;
}

static int load_bias(const st_checkpoint *ck, const char *name, int n,
                     float **out, char *err)
{
    const st_tensor *t;
    const int64_t shape[1] = {n};
    int rc = st_checkpoint_require(ck, name, 1, shape, &t, err);
    if (rc) return rc;
    if (!(*out = malloc(sizeof(float) * (size_t)n))) {
        vlm_set_err(err, "out of memory loading %s", name);
        return VLM_ENOMEM;
    }
    return st_tensor_to_f32(t, *out, (size_t)n, err);
}

static int load_projector(llava_model *m, vlm_precision prec, char *err)
{
    const int vd = m->cfg.vision.hidden_size, td = m->cfg.text.dim;
    const st_tensor *t;
    int rc;
    if ((rc = st_checkpoint_require(m->ck,
                                    "multi_modal_projector.linear_1.weight", 2,
                                    (const int64_t[]){td, vd}, &t, err)) ||
        (rc = vlm_weight_create(t, prec, &m->proj1, err)) ||
        (rc = load_bias(m->ck, "multi_modal_projector.linear_1.bias", td,
                        &m->proj1_bias, err)) ||
        (rc = st_checkpoint_require(m->ck,
                                    "multi_modal_projector.linear_2.weight", 2,
                                    (const int64_t[]){td, td}, &t, err)) ||
        (rc = vlm_weight_create(t, prec, &m->proj2, err)) ||
        (rc = load_bias(m->ck, "multi_modal_projector.linear_2.bias", td,
                        &m->proj2_bias, err)))
        return rc;
    return VLM_OK;
}

/* BOS/EOS must be rows of the vocabulary; the image token need not be (it
 * is replaced before the embedding lookup, and llava-hf checkpoints with
 * vocab_size 32000 use 32000). */
static int check_special_ids(const llava_model *m, char *err)
{
    const llava_config *c = &m->cfg;
    const int vocab = c->text.vocab_size;
    if (c->image_token < 0 || c->bos_id < 0 || c->bos_id >= vocab ||
        c->eos_id < 0 || c->eos_id >= vocab) {
        vlm_set_err(err,
                    "config.json: image_token_index %d, bos %d or eos %d is"
                    " outside the vocabulary of %d",
                    c->image_token, c->bos_id, c->eos_id, vocab);
        return VLM_EFORMAT;
    }
    if (sp_tokenizer_vocab_size(m->tok) > vocab) {
        vlm_set_err(err,
                    "tokenizer.model has %d pieces, more than the decoder's"
                    " vocab_size %d",
                    sp_tokenizer_vocab_size(m->tok), vocab);
        return VLM_EMISMATCH;
    }
    return VLM_OK;
}

static int load_parts(llava_model *m, const char *dir, vlm_precision prec,
                      char *err)
{
    char path[4096];
    int rc;
    if ((rc = llava_config_load(dir, &m->cfg, err))) return rc;
    snprintf(path, sizeof path, "%s/tokenizer.model", dir);
    if ((rc = sp_tokenizer_load(path, &m->tok, err))) return rc;
    if ((rc = check_special_ids(m, err))) return rc;
    if ((rc = st_checkpoint_open(dir, &m->ck, err))) return rc;
    if ((rc = load_vision(m, prec, err))) return rc;
    if ((rc = load_projector(m, prec, err))) return rc;
    return llama_load(m->ck, "language_model.", &m->cfg.text, prec, &m->decoder,
                      err);
}

int llava_load(const char *dir, const llava_options *opts, llava_model **out,
               char *err)
{
    *out = NULL;
    const llava_options o = opts ? *opts : llava_options_default();
    llava_model *m = calloc(1, sizeof *m);
    if (!m) {
        vlm_set_err(err, "out of memory loading %s", dir);
        return VLM_ENOMEM;
    }
    m->threads = vlm_threads_resolve(o.threads);
    int rc = load_parts(m, dir, o.precision, err);
    if (!rc) llama_set_threads(m->decoder, m->threads);
    if (rc) {
        llava_destroy(m);
        return rc;
    }
    *out = m;
    return VLM_OK;
}

void llava_destroy(llava_model *m)
{
    if (!m) return;
    llama_destroy(m->decoder);
    if (m->proj1) vlm_weight_destroy(m->proj1);
    if (m->proj2) vlm_weight_destroy(m->proj2);
    free(m->proj1_bias);
    free(m->proj2_bias);
    if (m->vision) clip_vision_destroy(m->vision);
    if (m->ck) st_checkpoint_close(m->ck);
    sp_tokenizer_destroy(m->tok);
    free(m);
}

const img_prep_params *llava_prep_params(const llava_model *m)
{
    return &m->cfg.prep;
}
int llava_image_size(const llava_model *m) { return m->cfg.vision.image_size; }
int llava_image_tokens(const llava_model *m) { return m->n_image_tokens; }
int llava_vision_dim(const llava_model *m) { return m->cfg.vision.hidden_size; }
int llava_text_dim(const llava_model *m) { return m->cfg.text.dim; }
int llava_vocab_size(const llava_model *m) { return m->cfg.text.vocab_size; }
int32_t llava_eos_id(const llava_model *m) { return m->cfg.eos_id; }
const sp_tokenizer *llava_tokenizer(const llava_model *m) { return m->tok; }

/* ---- image side ---------------------------------------------------------- */

int llava_image_features(llava_model *m, const float *pixels, int n,
                         float *features, char *err)
{
    const int T = clip_vision_tokens(m->vision), W = m->cfg.vision.hidden_size;
    float *h = malloc(sizeof(float) * (size_t)n * T * W);
    if (!h) {
        vlm_set_err(err, "out of memory for %d images' vision features", n);
        return VLM_ENOMEM;
    }
    const int want_prev = m->cfg.vision_blocks == 0;
    int prev = vlm_threads_enter(m->threads);
    int rc = clip_vision_forward(m->vision, pixels, n, want_prev ? NULL : h,
                                 want_prev ? h : NULL, NULL, err);
    vlm_threads_leave(prev);
    const int skip = m->cfg.keep_cls ? 0 : 1, N = T - skip;
    for (int i = 0; !rc && i < n; i++)
        memcpy(features + (size_t)i * N * W, h + ((size_t)i * T + skip) * W,
               sizeof(float) * (size_t)N * W);
    free(h);
    return rc;
}

int llava_project(llava_model *m, const float *features, int n, float *embeds,
                  char *err)
{
    const int rows = n * m->n_image_tokens, td = m->cfg.text.dim;
    float *mid = malloc(sizeof(float) * (size_t)rows * td);
    if (!mid) {
        vlm_set_err(err, "out of memory projecting %d images", n);
        return VLM_ENOMEM;
    }
    int prev = vlm_threads_enter(m->threads);
    vlm_linear_ex(m->proj1, m->proj1_bias, features, rows, mid,
                  m->cfg.projector_act, 0);
    vlm_linear(m->proj2, m->proj2_bias, mid, rows, embeds);
    vlm_threads_leave(prev);
    free(mid);
    return VLM_OK;
}

int llava_encode_pixels(llava_model *m, const float *pixels, int n,
                        float *embeds, char *err)
{
    const size_t per = (size_t)m->n_image_tokens * m->cfg.vision.hidden_size;
    float *f = malloc(sizeof(float) * per * n);
    if (!f) {
        vlm_set_err(err, "out of memory for %d images' vision features", n);
        return VLM_ENOMEM;
    }
    int rc = llava_image_features(m, pixels, n, f, err);
    if (!rc) rc = llava_project(m, f, n, embeds, err);
    free(f);
    return rc;
}

int llava_encode_image(llava_model *m, const img_rgb *image, float *embeds,
                       char *err)
{
    const img_prep_params *p = &m->cfg.prep;
    float *px = malloc(sizeof(float) * 3 * (size_t)p->crop_w * p->crop_h);
    if (!px) {
        vlm_set_err(err, "out of memory preprocessing an image");
        return VLM_ENOMEM;
    }
    int rc = img_preprocess(image, p, px, err);
    if (!rc) rc = llava_encode_pixels(m, px, 1, embeds, err);
    free(px);
    return rc;
}
