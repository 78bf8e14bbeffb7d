/*
 * clip_prep_config.c — preprocessor_config.json into img_prep_params, with
 * the semantics of transformers' CLIPImageProcessor /
 * ChineseCLIPImageProcessor / SiglipImageProcessor.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/clip/clip_config.h"
#include "model/clip/clip_json.h"
#include "model/core/config_limits.h"

static const float CLIP_MEAN[3] = {0.48145466f, 0.4578275f, 0.40821073f};
static const float CLIP_STD[3] = {0.26862954f, 0.26130258f, 0.27577711f};
static const float HALF[3] = {0.5f, 0.5f, 0.5f};

/* "size": S (old files) | {"shortest_edge": S} | {"height": H, "width": W}.
 * Returns 1 for an exact W x H resize (into *w, *h), 0 for a shortest-edge
 * resize to *w == *h == S. */
static int size_field(struct json_object *v, int def, int exact_default, int *w,
                      int *h)
{
    *w = *h = def;
    if (!v) return exact_default;
    if (json_object_is_type(v, json_type_int)) {
        *w = *h = json_object_get_int(v);
        return exact_default;
    }
    int s = cj_int(v, "shortest_edge", -1);
    if (s > 0) {
        *w = *h = s;
        return 0;
    }
    *h = cj_int(v, "height", def);
    *w = cj_int(v, "width", def);
    return 1;
}

static void crop_field(struct json_object *v, int def, int *w, int *h)
{
    *w = *h = def;
    if (v && json_object_is_type(v, json_type_int))
        *w = *h = json_object_get_int(v);
    else if (v) {
        *h = cj_int(v, "height", def);
        *w = cj_int(v, "width", def);
    }
}

/* Geometry: shortest edge + centre crop, or an exact resize (a crop after
 * it must change nothing). */
static int geometry(struct json_object *o, int image_size, int exact_default,
                    img_prep_params *p, const char *path, char *err)
{
    int w, h, cw, ch;
    int exact =
        size_field(cj_key(o, "size"), image_size, exact_default, &w, &h);
    crop_field(cj_key(o, "crop_size"), image_size, &cw, &ch);
    int crop = cj_bool(o, "do_center_crop", !exact);
    if (exact) {
        if (crop && (cw != w || ch != h)) {
            vlm_set_err(err,
                        "%s: a %dx%d crop after an exact %dx%d resize is "
                        "not supported",
                        path, cw, ch, w, h);
            return VLM_EUNSUPPORTED;
        }
        p->shortest_edge = w < h ? w : h;
        p->do_center_crop = 0; /* resize straight to crop_w x crop_h */
        p->crop_w = w;
        p->crop_h = h;
        return VLM_OK;
    }
    p->shortest_edge = w;
    p->do_center_crop = crop;
    p->crop_w = crop ? cw : w;
    p->crop_h = crop ? ch : w;
    return VLM_OK;
}

/* The resize target sizes a buffer; mean, std and rescale go into every
 * pixel: all range-checked, the message naming the field. */
static int check_numbers(const img_prep_params *p, const char *path, char *err)
{
    static const char *const mean[3] = {"image_mean[0]", "image_mean[1]",
                                        "image_mean[2]"};
    static const char *const stdv[3] = {"image_std[0]", "image_std[1]",
                                        "image_std[2]"};
    char sub[VLM_ERR_MAX];
    const vlm_int_field edge = {"size.shortest_edge", p->shortest_edge, 1,
                                8192};
    int rc = vlm_check_int_fields("", &edge, 1, sub);
    if (!rc)
        rc =
            vlm_check_real_field("", "rescale_factor", p->rescale, 0, 1e3, sub);
    for (int i = 0; i < 3 && !rc; i++) {
        rc = vlm_check_real_field("", mean[i], p->mean[i], -1e3, 1e3, sub);
        if (!rc)
            rc = vlm_check_real_field("", stdv[i], p->std[i], -1e3, 1e3, sub);
    }
    if (rc) vlm_set_err(err, "%s: %s", path, sub);
    return rc;
}

static int prep_from_json(struct json_object *o, int image_size,
                          clip_prep_style style, img_prep_params *p,
                          const char *path, char *err)
{
    static const float zero[3] = {0, 0, 0}, one[3] = {1, 1, 1};
    memset(p, 0, sizeof *p);
    int rc = geometry(o, image_size, style != CLIP_PREP_CLIP, p, path, err);
    if (rc) return rc;
    int norm = cj_bool(o, "do_normalize", 1);
    const float *mean = style == CLIP_PREP_SQUASH_HALF ? HALF : CLIP_MEAN;
    const float *stdv = style == CLIP_PREP_SQUASH_HALF ? HALF : CLIP_STD;
    cj_triple(o, "image_mean", norm ? mean : zero, p->mean);
    cj_triple(o, "image_std", norm ? stdv : one, p->std);
    if (!norm) {
        memcpy(p->mean, zero, sizeof zero);
        memcpy(p->std, one, sizeof one);
    }
    p->rescale = cj_bool(o, "do_rescale", 1)
                     ? (float)cj_num(o, "rescale_factor", 1.0 / 255.0)
                     : 1.0f;
    p->convert_rgb_first = style == CLIP_PREP_SQUASH_HALF;
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
    return check_numbers(p, path, err);
}

int clip_prep_params_load_style(const char *path, int image_size,
                                clip_prep_style style, img_prep_params *out,
                                char *err)
{
    struct json_object *o = NULL;
    int rc = cj_parse_file(path, &o, err);
    if (rc == VLM_ENOTFOUND)
        return prep_from_json(NULL, image_size, style, out, path, err);
    if (rc) return rc;
    rc = prep_from_json(o, image_size, style, out, path, err);
    json_object_put(o);
    return rc;
}

int clip_prep_params_load(const char *path, int image_size,
                          img_prep_params *out, char *err)
{
    return clip_prep_params_load_style(path, image_size, CLIP_PREP_CLIP, out,
                                       err);
}
