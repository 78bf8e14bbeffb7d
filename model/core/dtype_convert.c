/*
 * dtype_convert.c — widening stored tensors to float / int32, narrowing to
 * bf16.
 *
 * Tensor data is only byte-aligned inside the mapping, so every element is
 * read with memcpy (compiles to a plain load on x86/arm64).
 */
#include "model/core/dtype_convert.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/core/kernels_internal.h"
#include "model/core/vlm_error.h"

static float f32_from_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

float vlm_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t mant = h & 0x3ffu;
    if (exp == 0) {
        /* zero or subnormal: mant * 2^-24, exact in f32 */
        float v = ldexpf((float)mant, -24);
        return sign ? -v : v;
    }
    if (exp == 31) /* inf, or nan keeping its payload */
        return f32_from_bits(sign | 0x7f800000u | (mant << 13));
    return f32_from_bits(sign | ((exp + 112u) << 23) | (mant << 13));
}

float vlm_bf16_to_f32(uint16_t b) { return f32_from_bits((uint32_t)b << 16); }

uint16_t vlm_f32_to_bf16(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u) /* nan: keep it a (quiet) nan */
        return (uint16_t)((u >> 16) | 0x40u);
    u += 0x7fffu + ((u >> 16) & 1u); /* round half to even */
    return (uint16_t)(u >> 16);
}

#define LOAD(type, p, i)                                                \
    ({                                                                  \
        type v_;                                                        \
        memcpy(&v_, (const char *)(p) + (i) * sizeof(type), sizeof v_); \
        v_;                                                             \
    })

int vlm_floats_to_f32(vlm_dtype dt, const void *src, float *dst, size_t n)
{
    switch (dt) {
    case VLM_DTYPE_F32: memcpy(dst, src, n * sizeof *dst); return 0;
    case VLM_DTYPE_F16: vlm_kernels()->f16_to_f32(src, dst, n); return 0;
    case VLM_DTYPE_BF16: vlm_kernels()->bf16_to_f32(src, dst, n); return 0;
    default: return -1;
    }
}

void vlm_f32_to_bf16_n(const float *src, uint16_t *dst, size_t n)
{
    vlm_kernels()->f32_to_bf16(src, dst, n);
}

static const char *label(const vlm_tensor *t)
{
    return t->path ? t->path : "(memory)";
}

static int check_count(const vlm_tensor *t, size_t n, char *err)
{
    if ((int64_t)n != t->numel) {
        vlm_set_err(err,
                    "%s: tensor '%s' has %lld elements, caller expected %zu",
                    label(t), t->name, (long long)t->numel, n);
        return VLM_EINVAL;
    }
    return VLM_OK;
}

static int not_float(const vlm_tensor *t, const char *as, char *err)
{
    vlm_set_err(err, "%s: tensor '%s' has dtype %s, which cannot be read as %s",
                label(t), t->name, vlm_dtype_name(t->dtype), as);
    return VLM_EUNSUPPORTED;
}

int vlm_tensor_to_f32(const vlm_tensor *t, float *dst, size_t n, char *err)
{
    int rc = check_count(t, n, err);
    if (rc) return rc;
    const void *p = t->data;
    if (vlm_floats_to_f32(t->dtype, p, dst, n) == 0) return VLM_OK;
    switch (t->dtype) {
    case VLM_DTYPE_F64:
        for (size_t i = 0; i < n; i++) dst[i] = (float)LOAD(double, p, i);
        return VLM_OK;
    case VLM_DTYPE_I32:
        for (size_t i = 0; i < n; i++) dst[i] = (float)LOAD(int32_t, p, i);
        return VLM_OK;
    case VLM_DTYPE_I64:
        for (size_t i = 0; i < n; i++) dst[i] = (float)LOAD(int64_t, p, i);
        return VLM_OK;
    case VLM_DTYPE_U8:
        for (size_t i = 0; i < n; i++) dst[i] = (float)LOAD(uint8_t, p, i);
        return VLM_OK;
    default: return not_float(t, "float", err);
    }
}

int vlm_tensor_rows_to_f32(const vlm_tensor *t, int64_t row, int64_t nrows,
                           float *dst, char *err)
{
    int64_t rows = t->ndim > 0 ? t->shape[0] : 0;
    if (row < 0 || nrows < 0 || rows <= 0 || row > rows - nrows) {
        vlm_set_err(err, "%s: rows %lld..%lld of tensor '%s' (%lld rows)",
                    label(t), (long long)row, (long long)(row + nrows), t->name,
                    (long long)rows);
        return VLM_EINVAL;
    }
    size_t cols = (size_t)(t->numel / rows), es = vlm_dtype_size(t->dtype);
    const char *src = (const char *)t->data + (size_t)row * cols * es;
    if (vlm_floats_to_f32(t->dtype, src, dst, (size_t)nrows * cols) != 0)
        return not_float(t, "float", err);
    return VLM_OK;
}

int vlm_tensor_to_bf16(const vlm_tensor *t, uint16_t *dst, size_t n, char *err)
{
    int rc = check_count(t, n, err);
    if (rc) return rc;
    if (t->dtype == VLM_DTYPE_BF16) {
        memcpy(dst, t->data, n * sizeof *dst);
        return VLM_OK;
    }
    if (t->dtype != VLM_DTYPE_F32 && t->dtype != VLM_DTYPE_F16)
        return not_float(t, "bf16", err);
    /* through a small float buffer, so no full-size fp32 copy exists */
    float buf[1024];
    const size_t es = vlm_dtype_size(t->dtype);
    for (size_t i = 0; i < n; i += 1024) {
        size_t k = n - i < 1024 ? n - i : 1024;
        vlm_floats_to_f32(t->dtype, (const char *)t->data + i * es, buf, k);
        vlm_f32_to_bf16_n(buf, dst + i, k);
    }
    return VLM_OK;
}

static void quantize_row(const float *f, size_t n, int8_t *q, float *scale)
{
    float mx = 0;
    for (size_t k = 0; k < n; k++) {
        float a = fabsf(f[k]);
        mx = a > mx ? a : mx;
    }
    *scale = mx / 127.0f;
    float inv = mx > 0 ? 127.0f / mx : 0.0f;
    for (size_t k = 0; k < n; k++) {
        float v = nearbyintf(f[k] * inv);
        q[k] = (int8_t)(v > 127.0f ? 127.0f : (v < -127.0f ? -127.0f : v));
    }
}

int vlm_tensor_to_i8_rows(const vlm_tensor *t, int8_t *q, float *scale,
                          char *err)
{
    int64_t rows = t->ndim > 0 ? t->shape[0] : 0;
    if (rows <= 0) {
        vlm_set_err(err, "%s: tensor '%s' has no rows to quantise", label(t),
                    t->name);
        return VLM_EINVAL;
    }
    size_t cols = (size_t)(t->numel / rows);
    float *f = malloc(cols * sizeof *f);
    if (!f) {
        vlm_set_err(err, "out of memory quantising tensor '%s'", t->name);
        return VLM_ENOMEM;
    }
    int rc = VLM_OK;
    for (int64_t r = 0; r < rows && rc == VLM_OK; r++) {
        rc = vlm_tensor_rows_to_f32(t, r, 1, f, err);
        if (rc == VLM_OK)
            quantize_row(f, cols, q + (size_t)r * cols, &scale[r]);
    }
    free(f);
    return rc;
}

static int i64_to_i32(const vlm_tensor *t, int64_t v, int32_t *dst, char *err)
{
    if (v < INT32_MIN || v > INT32_MAX) {
        vlm_set_err(err, "%s: tensor '%s' holds %lld, outside the int32 range",
                    label(t), t->name, (long long)v);
        return VLM_ETOOBIG;
    }
    *dst = (int32_t)v;
    return VLM_OK;
}

int vlm_tensor_to_i32(const vlm_tensor *t, int32_t *dst, size_t n, char *err)
{
    int rc = check_count(t, n, err);
    if (rc) return rc;
    const void *p = t->data;
    switch (t->dtype) {
    case VLM_DTYPE_I32: memcpy(dst, p, n * sizeof *dst); return VLM_OK;
    case VLM_DTYPE_I64:
        for (size_t i = 0; i < n; i++)
            if ((rc = i64_to_i32(t, LOAD(int64_t, p, i), &dst[i], err)))
                return rc;
        return VLM_OK;
    case VLM_DTYPE_I16:
        for (size_t i = 0; i < n; i++) dst[i] = LOAD(int16_t, p, i);
        return VLM_OK;
    case VLM_DTYPE_U16:
        for (size_t i = 0; i < n; i++) dst[i] = LOAD(uint16_t, p, i);
        return VLM_OK;
    case VLM_DTYPE_I8:
        for (size_t i = 0; i < n; i++) dst[i] = LOAD(int8_t, p, i);
        return VLM_OK;
    case VLM_DTYPE_U8:
        for (size_t i = 0; i < n; i++) dst[i] = LOAD(uint8_t, p, i);
        return VLM_OK;
    default: return not_float(t, "int32", err);
    }
}
