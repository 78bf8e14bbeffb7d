/*
 * clip_config.h — the numbers of a CLIP tower, read from a Hugging Face
 * config.json (CLIPModel's nested text_config/vision_config, or a LLaVA
 * config's vision_config).  Absent keys take the values HF's CLIPTextConfig /
 * CLIPVisionConfig use as defaults, so old and minimal configs load alike.
 */
#ifndef VLM_CLIP_CONFIG_H
#define VLM_CLIP_CONFIG_H

#include <json-c/json.h>

#include "model/core/gemm.h"
#include "model/core/vlm_error.h"
#include "model/image/image.h"

typedef struct clip_tower_config {
    int hidden_size, intermediate_size, num_heads, num_layers;
    float layer_norm_eps;
    vlm_act act; /* hidden_act: quick_gelu | gelu | gelu_new */
    int projection_dim;
    /* vision only */
    int image_size, patch_size, num_channels;
    /* text only */
    int vocab_size, max_positions, bos_token_id, eos_token_id;
} clip_tower_config;

/* Fill from a text_config / vision_config JSON object (NULL = all defaults).
 * Checks that every size is positive and hidden_size % num_heads == 0. */
int clip_vision_config_from_json(struct json_object *obj,
                                 clip_tower_config *out, char *err);
int clip_text_config_from_json(struct json_object *obj, clip_tower_config *out,
                               char *err);

/* A whole CLIPModel folder: DIR/config.json + DIR/preprocessor_config.json
 * (the latter optional: defaults derived from the vision image_size). */
typedef struct clip_config {
    clip_tower_config text, vision;
    int projection_dim;
    float logit_scale_init;
    img_prep_params prep;
} clip_config;

int clip_config_load(const char *dir, clip_config *out, char *err);

/* Parse preprocessor_config.json (path may not exist: then defaults for
 * image_size are used). */
int clip_prep_params_load(const char *path, int image_size,
                          img_prep_params *out, char *err);

/* Reads a whole small file (config JSON) into a NUL-terminated malloc'd
 * buffer; *len gets its size. */
int clip_read_file(const char *path, char **out, size_t *len, char *err);

#endif
