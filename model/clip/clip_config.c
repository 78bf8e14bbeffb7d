/*
 * clip_config.c — config.json / preprocessor_config.json for CLIP towers.
 * Defaults are those of transformers' CLIPTextConfig / CLIPVisionConfig /
 * CLIPImageProcessor, so a key that is absent means what HF would mean.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/clip/clip_config.h"

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

static struct json_object *key(struct json_object *o, const char *k)
{
    struct json_object *v = NULL;
    if (o && json_object_is_type(o, json_type_object))
        json_object_object_get_ex(o, k, &v);
    return v;
}

static int get_int(struct json_object *o, const char *k, int def)
{
    struct json_object *v = key(o, k);
    if (v && (json_object_is_type(v, json_type_int) ||
              json_object_is_type(v, json_type_double)))
        return json_object_get_int(v);
    return def;
}

static double get_num(struct json_object *o, const char *k, double def)
{
    struct json_object *v = key(o, k);
    if (v && (json_object_is_type(v, json_type_int) ||
              json_object_is_type(v, json_type_double)))
        return json_object_get_double(v);
    return def;
}

static int get_bool(struct json_object *o, const char *k, int def)
{
    struct json_object *v = key(o, k);
    if (v && json_object_is_type(v, json_type_boolean))
        return json_object_get_boolean(v);
    return def;
}

static int parse_act(struct json_object *o, const char *what, vlm_act *act,
                     char *err)
{
    struct json_object *v = key(o, "hidden_act");
    const char *s = v ? json_object_get_string(v) : "quick_gelu";
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

/* Fields shared by both towers, then a sanity check. */
static int parse_common(struct json_object *o, const char *what,
                        clip_tower_config *c, char *err)
{
    c->hidden_size = get_int(o, "hidden_size", c->hidden_size);
    c->intermediate_size =
        get_int(o, "intermediate_size", c->intermediate_size);
    c->num_heads = get_int(o, "num_attention_heads", c->num_heads);
    c->num_layers = get_int(o, "num_hidden_layers", c->num_layers);
    c->projection_dim = get_int(o, "projection_dim", 512);
    c->layer_norm_eps = (float)get_num(o, "layer_norm_eps", 1e-5);
    return parse_act(o, what, &c->act, err);
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

int clip_vision_config_from_json(struct json_object *o, clip_tower_config *c,
                                 char *err)
{
    memset(c, 0, sizeof *c);
    c->hidden_size = 768;
    c->intermediate_size = 3072;
    c->num_heads = 12;
    c->num_layers = 12;
    int rc = parse_common(o, "vision_config", c, err);
    if (rc) return rc;
    c->image_size = get_int(o, "image_size", 224);
    c->patch_size = get_int(o, "patch_size", 32);
    c->num_channels = get_int(o, "num_channels", 3);
    rc = check_common("vision_config", c, err);
    if (rc) return rc;
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

int clip_text_config_from_json(struct json_object *o, clip_tower_config *c,
                               char *err)
{
    memset(c, 0, sizeof *c);
    c->hidden_size = 512;
    c->intermediate_size = 2048;
    c->num_heads = 8;
    c->num_layers = 12;
    int rc = parse_common(o, "text_config", c, err);
    if (rc) return rc;
    c->vocab_size = get_int(o, "vocab_size", 49408);
    c->max_positions = get_int(o, "max_position_embeddings", 77);
    c->bos_token_id = get_int(o, "bos_token_id", 49406);
    c->eos_token_id = get_int(o, "eos_token_id", 49407);
    rc = check_common("text_config", c, err);
    if (rc) return rc;
    if (c->vocab_size <= 0 || c->max_positions <= 0) {
        vlm_set_err(
            err, "text_config: bad vocab_size %d / max_position_embeddings %d",
            c->vocab_size, c->max_positions);
        return VLM_EFORMAT;
    }
    return VLM_OK;
}

/* "size": {"shortest_edge": S} | {"height": H, "width": W} | S (old files). */
static int size_field(struct json_object *v, int def, int *h, int *w)
{
    *h = *w = def;
    if (!v) return def;
    if (json_object_is_type(v, json_type_int)) {
        *h = *w = json_object_get_int(v);
        return *h;
    }
    int s = get_int(v, "shortest_edge", -1);
    *h = get_int(v, "height", s > 0 ? s : def);
    *w = get_int(v, "width", s > 0 ? s : def);
    return s > 0 ? s : (*h < *w ? *h : *w);
}

static void get_triple(struct json_object *o, const char *k, const float *def,
                       float *dst)
{
    struct json_object *v = key(o, k);
    for (int i = 0; i < 3; i++) dst[i] = def[i];
    if (v && json_object_is_type(v, json_type_array) &&
        json_object_array_length(v) == 3)
        for (int i = 0; i < 3; i++)
            dst[i] =
                (float)json_object_get_double(json_object_array_get_idx(v, i));
}

static int prep_from_json(struct json_object *o, int image_size,
                          img_prep_params *p, const char *path, char *err)
{
    static const float mean[3] = {0.48145466f, 0.4578275f, 0.40821073f};
    static const float stdv[3] = {0.26862954f, 0.26130258f, 0.27577711f};
    static const float zero[3] = {0, 0, 0}, one[3] = {1, 1, 1};
    int h, w;
    p->shortest_edge = size_field(key(o, "size"), image_size, &h, &w);
    size_field(key(o, "crop_size"), image_size, &p->crop_h, &p->crop_w);
    p->do_center_crop = get_bool(o, "do_center_crop", 1);
    int norm = get_bool(o, "do_normalize", 1);
    get_triple(o, "image_mean", norm ? mean : zero, p->mean);
    get_triple(o, "image_std", norm ? stdv : one, p->std);
    if (!norm) {
        memcpy(p->mean, zero, sizeof zero);
        memcpy(p->std, one, sizeof one);
    }
    p->rescale = get_bool(o, "do_rescale", 1)
                     ? (float)get_num(o, "rescale_factor", 1.0 / 255.0)
                     : 1.0f;
    if (!p->do_center_crop) p->crop_h = p->crop_w = p->shortest_edge;
    if (p->shortest_edge <= 0 || p->crop_h != image_size ||
        p->crop_w != image_size) {
        vlm_set_err(err, "%s: crop %dx%d does not give the model's %dx%d input",
                    path, p->crop_w, p->crop_h, image_size, image_size);
        return VLM_EMISMATCH;
    }
    for (int i = 0; i < 3; i++)
        if (!(p->std[i] != 0)) {
            vlm_set_err(err, "%s: image_std has a zero", path);
            return VLM_EFORMAT;
        }
    return VLM_OK;
}

int clip_prep_params_load(const char *path, int image_size,
                          img_prep_params *out, char *err)
{
    char *text = NULL;
    int rc = clip_read_file(path, &text, NULL, err);
    if (rc == VLM_ENOTFOUND)
        return prep_from_json(NULL, image_size, out, path, err);
    if (rc) return rc;
    struct json_object *o = json_tokener_parse(text);
    free(text);
    if (!o || !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        vlm_set_err(err, "%s: not a JSON object", path);
        return VLM_EFORMAT;
    }
    rc = prep_from_json(o, image_size, out, path, err);
    json_object_put(o);
    return rc;
}

static int config_from_json(struct json_object *root, clip_config *c, char *err)
{
    int rc =
        clip_text_config_from_json(key(root, "text_config"), &c->text, err);
    if (!rc)
        rc = clip_vision_config_from_json(key(root, "vision_config"),
                                          &c->vision, err);
    if (rc) return rc;
    c->projection_dim = get_int(root, "projection_dim", 512);
    c->logit_scale_init =
        (float)get_num(root, "logit_scale_init_value", 2.6592);
    if (c->projection_dim <= 0) {
        vlm_set_err(err, "bad projection_dim %d", c->projection_dim);
        return VLM_EFORMAT;
    }
    return VLM_OK;
}

int clip_config_load(const char *dir, clip_config *c, char *err)
{
    memset(c, 0, sizeof *c);
    char path[4096];
    snprintf(path, sizeof path, "%s/config.json", dir);
    char *text = NULL;
    int rc = clip_read_file(path, &text, NULL, err);
    if (rc) return rc;
    struct json_tokener *tok = json_tokener_new();
    struct json_object *root =
        json_tokener_parse_ex(tok, text, (int)strlen(text));
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    json_tokener_free(tok);
    free(text);
    if (!root || jerr != json_tokener_success ||
        !json_object_is_type(root, json_type_object)) {
        json_object_put(root);
        vlm_set_err(err, "%s: invalid JSON (%s)", path,
                    jerr != json_tokener_success ? json_tokener_error_desc(jerr)
                                                 : "not an object");
        return VLM_EFORMAT;
    }
    char sub[VLM_ERR_MAX];
    rc = config_from_json(root, c, sub);
    json_object_put(root);
    if (rc) {
        vlm_set_err(err, "%s: %s", path, sub);
        return rc;
    }
    snprintf(path, sizeof path, "%s/preprocessor_config.json", dir);
    return clip_prep_params_load(path, c->vision.image_size, &c->prep, err);
}
