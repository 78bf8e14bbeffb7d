/*
 * clip_tensors.c — shape-checked tensor fetches for the CLIP towers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/clip/clip_tensors.h"

int clip_load_f32(const st_checkpoint *ck, const char *name, int ndim,
                  const int64_t *shape, float **out, char *err)
{
    *out = NULL;
    const st_tensor *t;
    int rc = st_checkpoint_require(ck, name, ndim, shape, &t, err);
    if (rc) return rc;
    float *d = malloc((size_t)t->numel * sizeof(float));
    if (!d) {
        vlm_set_err(err, "out of memory loading tensor %s", name);
        return VLM_ENOMEM;
    }
    rc = st_tensor_to_f32(t, d, (size_t)t->numel, err);
    if (rc) {
        free(d);
        return rc;
    }
    *out = d;
    return VLM_OK;
}

int clip_load_vec(const st_checkpoint *ck, const char *name, int64_t n,
                  float **out, char *err)
{
    return clip_load_f32(ck, name, 1, &n, out, err);
}

int clip_load_linear(const st_checkpoint *ck, const char *prefix, int out_dim,
                     int in_dim, vlm_precision prec, vlm_weight **w,
                     float **bias, char *err)
{
    char name[512];
    const st_tensor *t;
    int64_t shape[2] = {out_dim, in_dim};
    *w = NULL;
    snprintf(name, sizeof name, "%sweight", prefix);
    int rc = st_checkpoint_require(ck, name, 2, shape, &t, err);
    if (!rc) rc = vlm_weight_create(t, prec, w, err);
    if (rc || !bias) return rc;
    snprintf(name, sizeof name, "%sbias", prefix);
    rc = clip_load_vec(ck, name, out_dim, bias, err);
    if (rc) {
        vlm_weight_destroy(*w);
        *w = NULL;
    }
    return rc;
}

int clip_load_norm(const st_checkpoint *ck, const char *prefix, int n,
                   float **w, float **b, char *err)
{
    char name[512];
    *b = NULL;
    snprintf(name, sizeof name, "%sweight", prefix);
    int rc = clip_load_vec(ck, name, n, w, err);
    if (rc) return rc;
    snprintf(name, sizeof name, "%sbias", prefix);
    rc = clip_load_vec(ck, name, n, b, err);
    if (rc) {
        free(*w);
        *w = NULL;
    }
    return rc;
}

void clip_tensor_row(const st_tensor *t, int64_t row, int cols, float *dst)
{
    (void)cols; /* a row of the [rows, cols] tensor checked at load */
    vlm_tensor_rows_to_f32(t, row, 1, dst, NULL);
}
