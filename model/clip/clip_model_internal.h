/*
 * clip_model_internal.h — the clip_model struct, shared by clip_model.c and
 * clip_text_query.c (tokenize + encode).  Not a public header.
 */
#ifndef VLM_CLIP_MODEL_INTERNAL_H
#define VLM_CLIP_MODEL_INTERNAL_H

#include "model/clip/clip.h"
#include "model/clip/clip_config.h"
#include "model/clip/clip_text.h"
#include "model/clip/clip_vision.h"

struct clip_tokenizer;

struct clip_model {
    clip_config cfg;
    int parts;
    int threads; /* every encode call runs on this many (threads.h) */
    st_checkpoint *ck;
    clip_text *text;
    clip_vision *vision;
    vlm_weight *text_proj, *vis_proj; /* [E, W], no bias */
    float logit_scale;
    char id[17];
    char *name;
    char *tokenizer_dir;
    struct clip_tokenizer *tok; /* created on first clip_encode_text */
    /* Set with tok.  A pointer, so programs that never tokenize do not link
     * the tokenizer (clip_model.o has no reference to it). */
    void (*tok_destroy)(struct clip_tokenizer *);
};

#endif
