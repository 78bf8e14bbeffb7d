/*
 * clip_config.h — the numbers of a dual-encoder checkpoint, read from a
 * Hugging Face config.json (CLIPModel / SiglipModel / ChineseCLIPModel
 * nested text_config + vision_config, or a LLaVA config's vision_config) and
 * preprocessor_config.json.  Absent keys take the defaults of the family's
 * transformers config class, so hub files that omit keys load alike.
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
    vlm_act act; /* hidden_act: quick_gelu | gelu | gelu_new/_pytorch_tanh */
    int projection_dim;
    /* vision only */
    int image_size, patch_size, num_channels;
    /* text only */
    int vocab_size, max_positions, bos_token_id, eos_token_id;
    int type_vocab_size; /* BERT towers (token_type_embeddings rows) */
} clip_tower_config;

/* Which tower a JSON object describes (selects the keys that are read). */
typedef enum clip_tower_kind {
    CLIP_TOWER_TEXT,
    CLIP_TOWER_VISION
} clip_tower_kind;

/* Reads obj (NULL = all defaults) over a copy of `defaults` into out, then
 * checks that every size is positive, hidden_size % num_heads == 0 and (for
 * vision) image_size % patch_size == 0.  `what` names the object in errors
 * ("text_config"). */
int clip_tower_config_parse(struct json_object *obj, const char *what,
                            clip_tower_kind kind,
                            const clip_tower_config *defaults,
                            clip_tower_config *out, char *err);

/* The same with transformers' CLIPVisionConfig / CLIPTextConfig defaults. */
int clip_vision_config_from_json(struct json_object *obj,
                                 clip_tower_config *out, char *err);
int clip_text_config_from_json(struct json_object *obj, clip_tower_config *out,
                               char *err);

/* Every number of a tower within the range config_limits.h allows (run by
 * clip_tower_config_parse before its consistency checks); err names the
 * field, e.g. "text_config.num_hidden_layers = 2147483647 is outside
 * 1..256". */
int clip_tower_config_check_limits(const clip_tower_config *c,
                                   const char *where, int vision, char *err);

/* Model families, named by config.json's "model_type". */
typedef enum clip_family_id {
    CLIP_FAMILY_CLIP = 0,     /* "clip": CLIPModel */
    CLIP_FAMILY_SIGLIP,       /* "siglip": SiglipModel */
    CLIP_FAMILY_CHINESE_CLIP, /* "chinese_clip": ChineseCLIPModel */
} clip_family_id;

/* A whole checkpoint folder: DIR/config.json + DIR/preprocessor_config.json
 * (the latter optional: the family's defaults for the vision image_size). */
typedef struct clip_config {
    clip_family_id family;
    clip_tower_config text, vision;
    int projection_dim; /* the embedding width E */
    int text_context;   /* token ids per text row the text tower takes */
    float logit_scale_init;
    img_prep_params prep;
} clip_config;

int clip_config_load(const char *dir, clip_config *out, char *err);

/* Preprocessing defaults, before preprocessor_config.json is applied. */
typedef enum clip_prep_style {
    CLIP_PREP_CLIP,        /* shortest edge + centre crop, CLIP mean/std */
    CLIP_PREP_SQUASH,      /* exact n x n resize, CLIP mean/std */
    CLIP_PREP_SQUASH_HALF, /* exact n x n resize on RGB, mean = std = 0.5 */
} clip_prep_style;

/* Parse preprocessor_config.json (path may not exist: then the style's
 * defaults for image_size are used).  "size" may be an int or
 * {"shortest_edge": S} (resize the shorter side, then centre-crop to
 * crop_size) or {"height": H, "width": W} (resize to exactly W x H; a crop
 * after that must be a no-op).  The result must give image_size x
 * image_size model inputs. */
int clip_prep_params_load_style(const char *path, int image_size,
                                clip_prep_style style, img_prep_params *out,
                                char *err);
/* CLIP_PREP_CLIP style (LLaVA's vision tower uses it too). */
int clip_prep_params_load(const char *path, int image_size,
                          img_prep_params *out, char *err);

/* Reads a whole small file (config JSON) into a NUL-terminated malloc'd
 * buffer; *len gets its size. */
int clip_read_file(const char *path, char **out, size_t *len, char *err);

#endif
