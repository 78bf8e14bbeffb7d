/*
 * llava_config.h — the numbers of a LlavaForConditionalGeneration folder:
 * config.json (vision_config, text_config, projector and feature selection)
 * and preprocessor_config.json.  Absent text_config keys take LlamaConfig's
 * defaults, absent vision keys CLIPVisionConfig's (via clip_config.h).
 */
#ifndef VLM_LLAVA_CONFIG_H
#define VLM_LLAVA_CONFIG_H

#include "model/clip/clip_config.h"
#include "model/llava/llama.h"

typedef struct llava_config {
    clip_tower_config vision;
    llama_config text;
    img_prep_params prep;
    int image_token;       /* image_token_index */
    int vision_blocks;     /* encoder blocks to run for vision_feature_layer */
    int keep_cls;          /* vision_feature_select_strategy "full" */
    vlm_act projector_act; /* projector_hidden_act */
    int bos_id, eos_id;
} llava_config;

int llava_config_load(const char *dir, llava_config *out, char *err);

#endif
