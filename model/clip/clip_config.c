/*
 * clip_config.c — config.json for every family: tower numbers with the
 * defaults of the family's transformers config classes (CLIPTextConfig /
 * CLIPVisionConfig, SiglipTextConfig / SiglipVisionConfig,
 * ChineseCLIPTextConfig / ChineseCLIPVisionConfig), so a key that is absent
 * means what transformers would mean.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/clip/clip_config.h"
#include "model/clip/clip_json.h"
#include "model/core/config_limits.h"

int clip_read_file(const char *path, char **out, size_t *len, char *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        vlm_set_err(err, "%s: %s", path, strerror(errno));
        return errno == ENOENT ? VLM_ENOTFOUND : VLM_EIO;
    }
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? 2 * cap : 8192;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return VLM_ENOMEM;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, 4096, f);
        n += got;
        if (got < 4096) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        vlm_set_err(err, "%s: read error", path);
        return VLM_EIO;
    }
    buf[n] = '\0';
    *out = buf;
    if (len) *len = n;
    return VLM_OK;
}

static int parse_act(struct json_object *o, const char *what, vlm_act *act,
                     char *err)
{
    struct json_object *v = cj_key(o, "hidden_act");
    if (!v) return VLM_OK; /* keep the default */
    const char *s = json_object_get_string(v);
    if (!strcmp(s, "quick_gelu"))
        *act = VLM_ACT_QUICK_GELU;
    else if (!strcmp(s, "gelu"))
        *act = VLM_ACT_GELU;
    else if (!strcmp(s, "gelu_new") || !strcmp(s, "gelu_pytorch_tanh"))
        *act = VLM_ACT_GELU_TANH;
    else {
        vlm_set_err(err, "%s: unsupported hidden_act \"%s\"", what, s);
        return VLM_EUNSUPPORTED;
    }
    return VLM_OK;
}

static int check_common(const char *what, const clip_tower_config *c, char *err)
{
    if (c->hidden_size <= 0 || c->intermediate_size <= 0 || c->num_heads <= 0 ||
        c->num_layers <= 0 || c->projection_dim <= 0 ||
        c->hidden_size % c->num_heads != 0 || !(c->layer_norm_eps > 0)) {
        vlm_set_err(err,
                    "%s: bad sizes (hidden_size %d, heads %d, layers %d, "
                    "intermediate %d, projection %d)",
                    what, c->hidden_size, c->num_heads, c->num_layers,
                    c->intermediate_size, c->projection_dim);
        return VLM_EFORMAT;
    }
    return VLM_OK;
}

static int check_vision(const clip_tower_config *c, char *err)
{
    if (c->patch_size <= 0 || c->image_size <= 0 || c->num_channels <= 0 ||
        c->image_size % c->patch_size != 0 || c->image_size > 4096) {
        vlm_set_err(err,
                    "vision_config: image_size %d is not a multiple of "
                    "patch_size %d",
                    c->image_size, c->patch_size);
        return VLM_EFORMAT;
    }
    return VLM_OK;
}

static int check_text(const clip_tower_config *c, char *err)
{
    if (c->vocab_size <= 0 || c->max_positions <= 0 || c->type_vocab_size < 0) {
        vlm_set_err(
            err, "text_config: bad vocab_size %d / max_position_embeddings %d",
            c->vocab_size, c->max_positions);
        return VLM_EFORMAT;
    }
    return VLM_OK;
}

int clip_tower_config_parse(struct json_object *o, const char *what,
                            clip_tower_kind kind,
                            const clip_tower_config *defaults,
                            clip_tower_config *c, char *err)
{
    *c = *defaults;
    c->hidden_size = cj_int(o, "hidden_size", c->hidden_size);
    c->intermediate_size = cj_int(o, "intermediate_size", c->intermediate_size);
    c->num_heads = cj_int(o, "num_attention_heads", c->num_heads);
    c->num_layers = cj_int(o, "num_hidden_layers", c->num_layers);
    c->projection_dim = cj_int(o, "projection_dim", c->projection_dim);
    c->layer_norm_eps = (float)cj_num(o, "layer_norm_eps", c->layer_norm_eps);
    int rc = parse_act(o, what, &c->act, err);
    if (kind == CLIP_TOWER_VISION) {
        c->image_size = cj_int(o, "image_size", c->image_size);
        c->patch_size = cj_int(o, "patch_size", c->patch_size);
        c->num_channels = cj_int(o, "num_channels", c->num_channels);
    } else {
        c->vocab_size = cj_int(o, "vocab_size", c->vocab_size);
        c->max_positions =
            cj_int(o, "max_position_embeddings", c->max_positions);
        c->bos_token_id = cj_int(o, "bos_token_id", c->bos_token_id);
        c->eos_token_id = cj_int(o, "eos_token_id", c->eos_token_id);
        c->type_vocab_size = cj_int(o, "type_vocab_size", c->type_vocab_size);
    }
    if (!rc)
        rc = clip_tower_config_check_limits(c, what, kind == CLIP_TOWER_VISION,
                                            err);
    if (!rc) rc = check_common(what, c, err);
    if (!rc)
        rc = kind == CLIP_TOWER_VISION ? check_vision(c, err)
                                       : check_text(c, err);
    return rc;
}

/* ---- per-family defaults (transformers' config classes) --------------- */
/* The base size (ViT-B, BERT-base) that most towers default to. */
#define BASE_SIZE                                                   \
    .hidden_size = 768, .intermediate_size = 3072, .num_heads = 12, \
    .num_layers = 12

static const clip_tower_config CLIP_TEXT = {
    .hidden_size = 512,
    .intermediate_size = 2048,
    .num_heads = 8,
    .num_layers = 12,
    .layer_norm_eps = 1e-5f,
    .act = VLM_ACT_QUICK_GELU,
    .projection_dim = 512,
    .vocab_size = 49408,
    .max_positions = 77,
    .bos_token_id = 49406,
    .eos_token_id = 49407,
};
static const clip_tower_config CLIP_VISION = {
    BASE_SIZE,
    .layer_norm_eps = 1e-5f,
    .act = VLM_ACT_QUICK_GELU,
    .projection_dim = 512,
    .image_size = 224,
    .patch_size = 32,
    .num_channels = 3,
};
static const clip_tower_config SIGLIP_TEXT = {
    BASE_SIZE,
    .layer_norm_eps = 1e-6f,
    .act = VLM_ACT_GELU_TANH,
    .projection_dim = 768,
    .vocab_size = 32000,
    .max_positions = 64,
    .bos_token_id = 49406,
    .eos_token_id = 49407,
};
static const clip_tower_config SIGLIP_VISION = {
    BASE_SIZE,
    .layer_norm_eps = 1e-6f,
    .act = VLM_ACT_GELU_TANH,
    .projection_dim = 768,
    .image_size = 224,
    .patch_size = 16,
    .num_channels = 3,
};
static const clip_tower_config BERT_TEXT = {
    BASE_SIZE,
    .layer_norm_eps = 1e-12f,
    .act = VLM_ACT_GELU,
    .projection_dim = 512,
    .vocab_size = 30522,
    .max_positions = 512,
    .type_vocab_size = 2,
};

int clip_vision_config_from_json(struct json_object *o, clip_tower_config *c,
                                 char *err)
{
    return clip_tower_config_parse(o, "vision_config", CLIP_TOWER_VISION,
                                   &CLIP_VISION, c, err);
}

int clip_text_config_from_json(struct json_object *o, clip_tower_config *c,
                               char *err)
{
    return clip_tower_config_parse(o, "text_config", CLIP_TOWER_TEXT,
                                   &CLIP_TEXT, c, err);
}

/* Upstream Chinese-CLIP tokenizes to 52 ids; every released model uses it. */
#define CHINESE_CLIP_CONTEXT 52

typedef struct family_spec {
    const char *model_type;
    const clip_tower_config *text, *vision;
    clip_prep_style prep;
} family_spec;

static const family_spec FAMILIES[] = {
    [CLIP_FAMILY_CLIP] = {"clip", &CLIP_TEXT, &CLIP_VISION, CLIP_PREP_CLIP},
    [CLIP_FAMILY_SIGLIP] = {"siglip", &SIGLIP_TEXT, &SIGLIP_VISION,
                            CLIP_PREP_SQUASH_HALF},
    [CLIP_FAMILY_CHINESE_CLIP] = {"chinese_clip", &BERT_TEXT, &CLIP_VISION,
                                  CLIP_PREP_SQUASH},
};

static int family_of(struct json_object *root, clip_family_id *out, char *err)
{
    struct json_object *v = cj_key(root, "model_type");
    if (!v) { /* configs written before model_type existed */
        *out = CLIP_FAMILY_CLIP;
        return VLM_OK;
    }
    const char *s = json_object_get_string(v);
    for (size_t i = 0; i < sizeof FAMILIES / sizeof *FAMILIES; i++)
        if (!strcmp(s, FAMILIES[i].model_type)) {
            *out = (clip_family_id)i;
            return VLM_OK;
        }
    vlm_set_err(err,
                "model_type \"%s\" is not a supported family (clip, "
                "siglip, chinese_clip)",
                s);
    return VLM_EUNSUPPORTED;
}

/* Embedding width and text context, which each family defines its way. */
static int family_dims(struct json_object *root, clip_config *c, char *err)
{
    switch (c->family) {
    case CLIP_FAMILY_SIGLIP: /* no projections: text head -> vision width */
        c->projection_dim = cj_int(cj_key(root, "text_config"),
                                   "projection_size", c->text.hidden_size);
        c->text_context = c->text.max_positions;
        if (c->projection_dim != c->vision.hidden_size) {
            vlm_set_err(err,
                        "text head width %d differs from the vision width %d",
                        c->projection_dim, c->vision.hidden_size);
            return VLM_EMISMATCH;
        }
        return VLM_OK;
    case CLIP_FAMILY_CHINESE_CLIP:
        c->text_context = CHINESE_CLIP_CONTEXT;
        break;
    case CLIP_FAMILY_CLIP: c->text_context = 77; break;
    }
    c->projection_dim = cj_int(root, "projection_dim", 512);
    const vlm_int_field dim = {"projection_dim", c->projection_dim, 1, 16384};
    int rc = vlm_check_int_fields("", &dim, 1, err);
    if (rc) return rc;
    if (c->text_context > c->text.max_positions) {
        vlm_set_err(err,
                    "bad projection_dim %d or max_position_embeddings %d "
                    "(the tokenizer needs %d)",
                    c->projection_dim, c->text.max_positions, c->text_context);
        return VLM_EFORMAT;
    }
    return VLM_OK;
}

static int config_from_json(struct json_object *root, clip_config *c, char *err)
{
    int rc = family_of(root, &c->family, err);
    if (rc) return rc;
    const family_spec *f = &FAMILIES[c->family];
    rc = clip_tower_config_parse(cj_key(root, "text_config"), "text_config",
                                 CLIP_TOWER_TEXT, f->text, &c->text, err);
    if (!rc)
        rc = clip_tower_config_parse(cj_key(root, "vision_config"),
                                     "vision_config", CLIP_TOWER_VISION,
                                     f->vision, &c->vision, err);
    if (!rc) rc = family_dims(root, c, err);
    c->logit_scale_init = (float)cj_num(root, "logit_scale_init_value", 2.6592);
    return rc;
}

int clip_config_load(const char *dir, clip_config *c, char *err)
{
    memset(c, 0, sizeof *c);
    char path[4096];
    snprintf(path, sizeof path, "%s/config.json", dir);
    struct json_object *root = NULL;
    int rc = cj_parse_file(path, &root, err);
    if (rc) return rc;
    char sub[VLM_ERR_MAX];
    rc = config_from_json(root, c, sub);
    json_object_put(root);
    if (rc) {
        vlm_set_err(err, "%s: %s", path, sub);
        return rc;
    }
    snprintf(path, sizeof path, "%s/preprocessor_config.json", dir);
    return clip_prep_params_load_style(path, c->vision.image_size,
                                       FAMILIES[c->family].prep, &c->prep, err);
}
