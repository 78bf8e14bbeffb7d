/*
 * dtype_convert.c — widening stored tensors to float / int32.
 *
 * Tensor data is only byte-aligned inside the mapping, so every element is
 * read with memcpy (compiles to a plain load on x86/arm64).
 */
#include "model/weights/safetensors.h"

#include <limits.h>
#include <math.h>
#include <string.h>

static float f32_from_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

float st_f16_to_f32(uint16_t h)
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

float st_bf16_to_f32(uint16_t b) { return f32_from_bits((uint32_t)b << 16); }

uint16_t st_f32_to_bf16(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u) /* nan: keep it a (quiet) nan */
        return (uint16_t)((u >> 16) | 0x40u);
    u += 0x7fffu + ((u >> 16) & 1u); /* round half to even */
    return (uint16_t)(u >> 16);
}

static int check_count(const st_tensor *t, size_t n, char *err)
{
    if ((int64_t)n != t->numel) {
        vlm_set_err(err,
                    "%s: tensor '%s' has %lld elements, caller expected %zu",
                    t->path, t->name, (long long)t->numel, n);
        return VLM_EINVAL;
    }
    return VLM_OK;
}

#define LOAD(type, p, i)                                                \
    ({                                                                  \
        type v_;                                                        \
        memcpy(&v_, (const char *)(p) + (i) * sizeof(type), sizeof v_); \
        v_;                                                             \
    })

int st_tensor_to_f32(const st_tensor *t, float *dst, size_t n, char *err)
{
    int rc = check_count(t, n, err);
    if (rc) return rc;
    const void *p = t->data;
    switch (t->dtype) {
    case ST_F32: memcpy(dst, p, n * sizeof *dst); return VLM_OK;
    case ST_F64:
        for (size_t i = 0; i < n; i++) dst[i] = (float)LOAD(double, p, i);
        return VLM_OK;
    case ST_F16:
        for (size_t i = 0; i < n; i++)
            dst[i] = st_f16_to_f32(LOAD(uint16_t, p, i));
        return VLM_OK;
    case ST_BF16:
        for (size_t i = 0; i < n; i++)
            dst[i] = st_bf16_to_f32(LOAD(uint16_t, p, i));
        return VLM_OK;
    case ST_I32:
        for (size_t i = 0; i < n; i++) dst[i] = (float)LOAD(int32_t, p, i);
        return VLM_OK;
    case ST_I64:
        for (size_t i = 0; i < n; i++) dst[i] = (float)LOAD(int64_t, p, i);
        return VLM_OK;
    case ST_U8:
        for (size_t i = 0; i < n; i++) dst[i] = (float)LOAD(uint8_t, p, i);
        return VLM_OK;
    default: break;
    }
    vlm_set_err(err,
                "%s: tensor '%s' has dtype %s, which cannot be read as float",
                t->path, t->name, st_dtype_name(t->dtype));
    return VLM_EUNSUPPORTED;
}

static int i64_to_i32(const st_tensor *t, int64_t v, int32_t *dst, char *err)
{
    if (v < INT32_MIN || v > INT32_MAX) {
        vlm_set_err(err, "%s: tensor '%s' holds %lld, outside the int32 range",
                    t->path, t->name, (long long)v);
        return VLM_ETOOBIG;
    }
    *dst = (int32_t)v;
    return VLM_OK;
}

int st_tensor_to_i32(const st_tensor *t, int32_t *dst, size_t n, char *err)
{
    int rc = check_count(t, n, err);
    if (rc) return rc;
    const void *p = t->data;
    switch (t->dtype) {
    case ST_I32: memcpy(dst, p, n * sizeof *dst); return VLM_OK;
    case ST_I64:
        for (size_t i = 0; i < n; i++)
            if ((rc = i64_to_i32(t, LOAD(int64_t, p, i), &dst[i], err)))
                return rc;
        return VLM_OK;
    case ST_I16:
        for (size_t i = 0; i < n; i++) dst[i] = LOAD(int16_t, p, i);
        return VLM_OK;
    case ST_U16:
        for (size_t i = 0; i < n; i++) dst[i] = LOAD(uint16_t, p, i);
        return VLM_OK;
    case ST_I8:
        for (size_t i = 0; i < n; i++) dst[i] = LOAD(int8_t, p, i);
        return VLM_OK;
    case ST_U8:
        for (size_t i = 0; i < n; i++) dst[i] = LOAD(uint8_t, p, i);
        return VLM_OK;
    default: break;
    }
    vlm_set_err(err,
                "%s: tensor '%s' has dtype %s, which cannot be read as int32",
                t->path, t->name, st_dtype_name(t->dtype));
    return VLM_EUNSUPPORTED;
}
