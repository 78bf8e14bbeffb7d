/*
 * clip_model_internal.h — the clip_model struct and the family interface,
 * shared by the generic model code (clip_model.c, clip_model_id.c,
 * clip_text_query.c) and the family modules (clip_family_*.c).  Not a
 * public header.
 */
#ifndef VLM_CLIP_MODEL_INTERNAL_H
#define VLM_CLIP_MODEL_INTERNAL_H

#include "model/clip/bert_text.h"
#include "model/clip/clip.h"
#include "model/clip/clip_config.h"
#include "model/clip/clip_text.h"
#include "model/clip/clip_vision.h"
#include "model/clip/siglip_head.h"

/* What differs between families once config.json is read.  Encoding is
 * "tower -> pooled -> projection": the family fills `pooled` (and the
 * optional hidden states); the model applies text_proj / vis_proj (with
 * their biases) when they exist, else the pooled vector is the embedding. */
typedef struct clip_family {
    const char *name; /* config.json model_type */
    clip_scoring scoring;
    /* The zero-shot prompt in the language the text tower was trained on
     * ("{}" is the label). */
    const char *prompt_template;
    int (*load_text)(clip_model *m, vlm_precision prec, char *err);
    int (*load_vision)(clip_model *m, vlm_precision prec, char *err);
    /* ids: n rows of cfg.text_context ids */
    int (*text_forward)(clip_model *m, const int32_t *ids, int n, float *pooled,
                        float *hidden, char *err);
    int (*vision_forward)(clip_model *m, const float *pixels, int n,
                          float *pooled, float *hidden_last, float *hidden_prev,
                          char *err);
} clip_family;

extern const clip_family CLIP_FAMILY, SIGLIP_FAMILY, CHINESE_CLIP_FAMILY;

struct clip_model {
    const clip_family *fam;
    clip_config cfg;
    int parts;
    int threads; /* every encode call runs on this many (threads.h) */
    st_checkpoint *ck;
    /* towers; which ones a family sets is its business */
    clip_text *text;                  /* clip, siglip */
    bert_text *bert;                  /* chinese_clip */
    clip_vision *vision;              /* every family */
    siglip_head *head;                /* siglip: vision pooling */
    vlm_weight *text_proj, *vis_proj; /* [E, W], or NULL */
    float *text_proj_b, *vis_proj_b;  /* biases, or NULL */
    float logit_scale, logit_bias;
    char id[17], legacy_id[17];
    int id_from_cache;
    char *name;
    char *tokenizer_dir;
    /* Created on first use (clip_text_query.c).  Held through pointers, so
     * programs that never tokenize do not link any tokenizer. */
    void *tok;
    void (*tok_destroy)(void *);
};

/* clip_model_id.c: fills m->id, m->legacy_id and m->id_from_cache. */
int clip_model_compute_id(clip_model *m, const char *dir, char *err);

/* Loads a scalar (shape [] or [1]) float tensor. */
int clip_load_scalar(const st_checkpoint *ck, const char *name, float *out,
                     char *err);

#endif
