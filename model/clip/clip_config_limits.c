/*
 * clip_config_limits.c — the ranges a tower's config.json numbers must lie
 * in (config_limits.h), checked as soon as they are read, before any
 * buffer or layer table is sized from them.
 */
#include "model/clip/clip_config.h"
#include "model/core/config_limits.h"

int clip_tower_config_check_limits(const clip_tower_config *c,
                                   const char *where, int vision, char *err)
{
    const vlm_int_field common[] = {
        {"hidden_size", c->hidden_size, 1, 16384},
        {"intermediate_size", c->intermediate_size, 1, 65536},
        {"num_attention_heads", c->num_heads, 1, 256},
        {"num_hidden_layers", c->num_layers, 1, 256},
        {"projection_dim", c->projection_dim, 1, 16384},
    };
    const vlm_int_field vis[] = {
        {"image_size", c->image_size, 1, 4096},
        {"patch_size", c->patch_size, 1, 4096},
        {"num_channels", c->num_channels, 1, 4},
    };
    const vlm_int_field txt[] = {
        {"vocab_size", c->vocab_size, 1, 1 << 22},
        {"max_position_embeddings", c->max_positions, 1, 8192},
        {"type_vocab_size", c->type_vocab_size, 0, 1024}, /* BERT towers */
    };
    int rc = vlm_check_int_fields(where, common, 5, err);
    if (!rc && vision) rc = vlm_check_int_fields(where, vis, 3, err);
    if (!rc && !vision) rc = vlm_check_int_fields(where, txt, 3, err);
    if (!rc)
        rc = vlm_check_real_field(where, "layer_norm_eps", c->layer_norm_eps, 0,
                                  1, err);
    return rc;
}
