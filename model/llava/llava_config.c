/* llava_config.c — config.json / preprocessor_config.json of a LLaVA folder. */
#include "model/llava/llava_config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int get_int(json_object *o, const char *key, int def)
{
    json_object *v;
    return o && json_object_object_get_ex(o, key, &v) && v
               ? json_object_get_int(v)
               : def;
}

static double get_double(json_object *o, const char *key, double def)
{
    json_object *v;
    return o && json_object_object_get_ex(o, key, &v) && v
               ? json_object_get_double(v)
               : def;
}

static const char *get_string(json_object *o, const char *key, const char *def)
{
    json_object *v;
    return o && json_object_object_get_ex(o, key, &v) &&
                   json_object_is_type(v, json_type_string)
               ? json_object_get_string(v)
               : def;
}

/* LlamaConfig defaults for keys a text_config leaves out. */
static void text_from_json(json_object *root, json_object *t, llava_config *c)
{
    llama_config *l = &c->text;
    l->dim = get_int(t, "hidden_size", 4096);
    l->hidden_dim = get_int(t, "intermediate_size", 11008);
    l->n_layers = get_int(t, "num_hidden_layers", 32);
    l->n_heads = get_int(t, "num_attention_heads", 32);
    l->n_kv_heads = get_int(t, "num_key_value_heads", l->n_heads);
    l->vocab_size = get_int(t, "vocab_size", 32000);
    l->max_positions = get_int(t, "max_position_embeddings", 2048);
    l->rms_eps = (float)get_double(t, "rms_norm_eps", 1e-6);
    l->rope_theta = (float)get_double(t, "rope_theta", 10000.0);
    l->tie_embeddings = get_int(t, "tie_word_embeddings",
                                get_int(root, "tie_word_embeddings", 0));
    c->bos_id = get_int(t, "bos_token_id", 1);
    c->eos_id = get_int(t, "eos_token_id", 2);
}

static int projector_act(const char *name, vlm_act *out, char *err)
{
    static const struct {
        const char *name;
        vlm_act act;
    } acts[] = {
        {"gelu", VLM_ACT_GELU},
        {"gelu_new", VLM_ACT_GELU_TANH},
        {"gelu_pytorch_tanh", VLM_ACT_GELU_TANH},
        {"quick_gelu", VLM_ACT_QUICK_GELU},
    };
    for (size_t i = 0; i < sizeof acts / sizeof *acts; i++)
        if (!strcmp(name, acts[i].name)) {
            *out = acts[i].act;
            return VLM_OK;
        }
    vlm_set_err(
        err, "config.json: projector_hidden_act \"%s\" is not supported", name);
    return VLM_EUNSUPPORTED;
}

/* vision_feature_layer indexes HF's hidden_states (embeddings + one entry per
 * block), so -2 means "the output of all blocks but the last". */
static int feature_selection(json_object *root, llava_config *c, char *err)
{
    json_object *v;
    if (json_object_object_get_ex(root, "vision_feature_layer", &v) &&
        !json_object_is_type(v, json_type_int)) {
        vlm_set_err(err, "config.json: vision_feature_layer must be one integer"
                         " (layer lists are not supported)");
        return VLM_EUNSUPPORTED;
    }
    const int layers = c->vision.num_layers;
    int idx = get_int(root, "vision_feature_layer", -2);
    if (idx < 0) idx += layers + 1;
    if (idx < 0 || idx > layers) {
        vlm_set_err(err,
                    "config.json: vision_feature_layer %d is outside a %d-block"
                    " vision tower",
                    get_int(root, "vision_feature_layer", -2), layers);
        return VLM_EFORMAT;
    }
    c->vision_blocks = idx;
    const char *sel =
        get_string(root, "vision_feature_select_strategy", "default");
    if (strcmp(sel, "default") && strcmp(sel, "full")) {
        vlm_set_err(err,
                    "config.json: vision_feature_select_strategy \"%s\" is "
                    "not \"default\" or \"full\"",
                    sel);
        return VLM_EUNSUPPORTED;
    }
    c->keep_cls = !strcmp(sel, "full");
    return VLM_OK;
}

static int parse_root(json_object *root, const char *dir, llava_config *c,
                      char *err)
{
    json_object *vis = NULL, *txt = NULL;
    json_object_object_get_ex(root, "vision_config", &vis);
    json_object_object_get_ex(root, "text_config", &txt);
    char sub[VLM_ERR_MAX];
    text_from_json(root, txt, c);
    int rc = clip_vision_config_from_json(vis, &c->vision, sub);
    if (!rc) rc = llama_config_check(&c->text, sub);
    if (rc) {
        vlm_set_err(err, "%s/config.json: %s", dir, sub);
        return rc;
    }
    c->image_token = get_int(root, "image_token_index", 32000);
    if ((rc = projector_act(get_string(root, "projector_hidden_act", "gelu"),
                            &c->projector_act, err)))
        return rc;
    if ((rc = feature_selection(root, c, err))) return rc;
    char path[4096];
    snprintf(path, sizeof path, "%s/preprocessor_config.json", dir);
    if ((rc = clip_prep_params_load(path, c->vision.image_size, &c->prep, err)))
        return rc;
    if (c->prep.crop_w != c->vision.image_size ||
        c->prep.crop_h != c->vision.image_size) {
        vlm_set_err(err,
                    "%s: crop size %dx%d differs from the vision tower's "
                    "image_size %d",
                    path, c->prep.crop_w, c->prep.crop_h, c->vision.image_size);
        return VLM_EMISMATCH;
    }
    return VLM_OK;
}

int llava_config_load(const char *dir, llava_config *out, char *err)
{
    memset(out, 0, sizeof *out);
    char path[4096];
    snprintf(path, sizeof path, "%s/config.json", dir);
    char *text = NULL;
    size_t len = 0;
    int rc = clip_read_file(path, &text, &len, err);
    if (rc) return rc;
    json_tokener *tok = json_tokener_new();
    json_object *root = tok ? json_tokener_parse_ex(tok, text, (int)len) : NULL;
    if (!root || !json_object_is_type(root, json_type_object)) {
        vlm_set_err(err, "%s: not a JSON object (%s)", path,
                    tok ? json_tokener_error_desc(json_tokener_get_error(tok))
                        : "out of memory");
        rc = VLM_EFORMAT;
    } else {
        rc = parse_root(root, dir, out, err);
    }
    json_object_put(root);
    if (tok) json_tokener_free(tok);
    free(text);
    return rc;
}
