/* F16/BF16 <-> F32 conversion, including subnormals, infinities and NaNs;
 * the tensor-level forms (whole, by rows, to bf16) and dtype names. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "model/core/dtype_convert.h"
#include "model/core/vlm_error.h"

static uint32_t bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static float from_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

Test(dtype, f16_edge_values)
{
    cr_assert_eq(bits(vlm_f16_to_f32(0x0000)), 0x00000000u);
    cr_assert_eq(bits(vlm_f16_to_f32(0x8000)),
                 0x80000000u); /* -0 keeps its sign */
    cr_assert_eq(vlm_f16_to_f32(0x0001),
                 ldexpf(1, -24)); /* smallest subnormal */
    cr_assert_eq(vlm_f16_to_f32(0x03ff),
                 ldexpf(1023, -24)); /* largest subnormal */
    cr_assert_eq(vlm_f16_to_f32(0x8001), -ldexpf(1, -24));
    cr_assert_eq(vlm_f16_to_f32(0x0400), ldexpf(1, -14)); /* smallest normal */
    cr_assert_eq(vlm_f16_to_f32(0x3c00), 1.0f);
    cr_assert_eq(vlm_f16_to_f32(0xc000), -2.0f);
    cr_assert_eq(vlm_f16_to_f32(0x3555), 0.333251953125f);
    cr_assert_eq(vlm_f16_to_f32(0x7bff), 65504.0f);
    cr_assert(isinf(vlm_f16_to_f32(0x7c00)) && vlm_f16_to_f32(0x7c00) > 0);
    cr_assert(isinf(vlm_f16_to_f32(0xfc00)) && vlm_f16_to_f32(0xfc00) < 0);
    cr_assert(isnan(vlm_f16_to_f32(0x7e00)));
    cr_assert(
        isnan(vlm_f16_to_f32(0x7c01))); /* signalling payload stays a NaN */
    cr_assert(isnan(vlm_f16_to_f32(0xfe00)));
}

#ifdef __FLT16_MAX__
/* All 65536 patterns against the compiler's own conversion. */
Test(dtype, f16_exhaustive_matches_compiler)
{
    for (uint32_t h = 0; h < 65536; h++) {
        _Float16 x;
        uint16_t hb = (uint16_t)h;
        memcpy(&x, &hb, 2);
        float want = (float)x, got = vlm_f16_to_f32(hb);
        if (isnan(want))
            cr_assert(isnan(got), "0x%04x", h);
        else
            cr_assert_eq(bits(got), bits(want), "0x%04x: %g vs %g", h, got,
                         want);
    }
}
#endif

Test(dtype, bf16_edge_values)
{
    cr_assert_eq(vlm_bf16_to_f32(0x3f80), 1.0f);
    cr_assert_eq(vlm_bf16_to_f32(0xc040), -3.0f);
    cr_assert_eq(bits(vlm_bf16_to_f32(0x8000)), 0x80000000u);
    cr_assert_eq(vlm_bf16_to_f32(0x0001), ldexpf(1, -133)); /* subnormal */
    cr_assert(isinf(vlm_bf16_to_f32(0x7f80)) && vlm_bf16_to_f32(0x7f80) > 0);
    cr_assert(isinf(vlm_bf16_to_f32(0xff80)) && vlm_bf16_to_f32(0xff80) < 0);
    cr_assert(isnan(vlm_bf16_to_f32(0x7fc0)));
    cr_assert(isnan(vlm_bf16_to_f32(0x7f81)));
}

Test(dtype, f32_to_bf16_rounds_to_nearest_even)
{
    cr_assert_eq(vlm_f32_to_bf16(1.0f), 0x3f80);
    cr_assert_eq(vlm_f32_to_bf16(from_bits(0x3f808000u)),
                 0x3f80); /* tie, even stays */
    cr_assert_eq(vlm_f32_to_bf16(from_bits(0x3f818000u)),
                 0x3f82); /* tie, odd rounds up */
    cr_assert_eq(vlm_f32_to_bf16(from_bits(0x3f808001u)),
                 0x3f81); /* above tie */
    cr_assert_eq(vlm_f32_to_bf16(from_bits(0x3f807fffu)),
                 0x3f80); /* below tie */
    cr_assert_eq(vlm_f32_to_bf16(from_bits(0x7f7fffffu)),
                 0x7f80); /* FLT_MAX -> inf */
    cr_assert_eq(vlm_f32_to_bf16(INFINITY), 0x7f80);
    cr_assert_eq(vlm_f32_to_bf16(-INFINITY), 0xff80);
    cr_assert_eq(vlm_f32_to_bf16(-0.0f), 0x8000);
    uint16_t n =
        vlm_f32_to_bf16(from_bits(0x7f800001u)); /* NaN with low payload only */
    cr_assert(isnan(vlm_bf16_to_f32(n)), "NaN became 0x%04x", n);
    for (uint32_t b = 0; b < 65536; b++) {
        float f = vlm_bf16_to_f32((uint16_t)b);
        if (!isnan(f))
            cr_assert_eq(vlm_f32_to_bf16(f), b, "round trip 0x%04x", b);
    }
}

static vlm_tensor make(vlm_dtype dt, const void *data, int64_t n)
{
    vlm_tensor t = {.name = "t",
                    .path = "mem",
                    .dtype = dt,
                    .ndim = 1,
                    .shape = {n},
                    .numel = n,
                    .data = data,
                    .nbytes = (size_t)n * vlm_dtype_size(dt)};
    return t;
}

Test(dtype, tensor_to_f32_and_i32)
{
    char err[VLM_ERR_MAX];
    float f[3];
    int32_t i[3];
    const uint16_t h[3] = {0x3c00, 0x0001, 0xfc00};
    vlm_tensor t = make(VLM_DTYPE_F16, h, 3);
    cr_assert_eq(vlm_tensor_to_f32(&t, f, 3, err), VLM_OK);
    cr_assert(f[0] == 1.0f && f[1] == ldexpf(1, -24) && isinf(f[2]));

    const uint16_t b[3] = {0x3f80, 0xc040, 0x0000};
    t = make(VLM_DTYPE_BF16, b, 3);
    cr_assert_eq(vlm_tensor_to_f32(&t, f, 3, err), VLM_OK);
    cr_assert(f[0] == 1.0f && f[1] == -3.0f && f[2] == 0.0f);

    const int64_t l[3] = {-5, 0, 2147483647};
    t = make(VLM_DTYPE_I64, l, 3);
    cr_assert_eq(vlm_tensor_to_i32(&t, i, 3, err), VLM_OK);
    cr_assert(i[0] == -5 && i[2] == 2147483647);
    cr_assert_eq(vlm_tensor_to_f32(&t, f, 3, err), VLM_OK);
    cr_assert_eq(f[0], -5.0f);

    const int64_t big[1] = {(int64_t)1 << 40};
    t = make(VLM_DTYPE_I64, big, 1);
    cr_assert_eq(vlm_tensor_to_i32(&t, i, 1, err), VLM_ETOOBIG);
    cr_assert(strstr(err, "'t'") && strstr(err, "mem"), "%s", err);

    const uint8_t u[3] = {0, 200, 255};
    t = make(VLM_DTYPE_U8, u, 3);
    cr_assert_eq(vlm_tensor_to_i32(&t, i, 3, err), VLM_OK);
    cr_assert_eq(i[2], 255);

    t = make(VLM_DTYPE_U8, u, 3);
    cr_assert_eq(vlm_tensor_to_f32(&t, f, 2, err),
                 VLM_EINVAL); /* wrong count */
    t = make(VLM_DTYPE_BOOL, u, 3);
    cr_assert_eq(vlm_tensor_to_f32(&t, f, 3, err), VLM_EUNSUPPORTED);
    cr_assert(strstr(err, "BOOL"), "%s", err);
    t = make(VLM_DTYPE_F32, f, 3);
    cr_assert_eq(vlm_tensor_to_i32(&t, i, 3, err), VLM_EUNSUPPORTED);
}

Test(dtype, names_and_sizes)
{
    cr_assert_str_eq(vlm_dtype_name(VLM_DTYPE_BF16), "BF16");
    cr_assert_eq(vlm_dtype_size(VLM_DTYPE_BF16), 2u);
    cr_assert_eq(vlm_dtype_size(VLM_DTYPE_F64), 8u);
    cr_assert_eq(vlm_dtype_size(VLM_DTYPE_BOOL), 1u);
    cr_assert_eq(vlm_dtype_size((vlm_dtype)99), 0u);
    vlm_dtype dt = VLM_DTYPE_F64;
    cr_assert_eq(vlm_dtype_from_name("BF16", &dt), 0);
    cr_assert_eq(dt, VLM_DTYPE_BF16);
    cr_assert_eq(vlm_dtype_from_name("bf16", &dt), -1); /* exact spelling */
    cr_assert_eq(vlm_dtype_from_name(NULL, &dt), -1);
    cr_assert_eq(dt, VLM_DTYPE_BF16);
}

/* A 3 x 5 matrix stored one byte off alignment, in each floating dtype. */
Test(dtype, rows_to_f32_any_alignment)
{
    char err[VLM_ERR_MAX];
    float want[15], got[15];
    for (int i = 0; i < 15; i++) want[i] = (float)(i - 7) / 4; /* exact */
    unsigned char buf[1 + 15 * 4];
    vlm_dtype dts[3] = {VLM_DTYPE_F32, VLM_DTYPE_F16, VLM_DTYPE_BF16};
    for (int d = 0; d < 3; d++) {
        for (int i = 0; i < 15; i++) {
            uint32_t b = bits(want[i]);
            uint16_t h = (uint16_t)(b >> 16);
            if (dts[d] == VLM_DTYPE_F16) /* normal values, short mantissa */
                h = (uint16_t)(((b >> 16) & 0x8000) |
                               ((((b >> 23) & 255) - 112) << 10) |
                               ((b & 0x7fffff) >> 13));
            if (want[i] == 0) h = 0;
            if (dts[d] == VLM_DTYPE_F32)
                memcpy(buf + 1 + 4 * i, &b, 4);
            else
                memcpy(buf + 1 + 2 * i, &h, 2);
        }
        vlm_tensor t = make(dts[d], buf + 1, 15);
        t.ndim = 2;
        t.shape[0] = 3;
        t.shape[1] = 5;
        memset(got, 0, sizeof got);
        cr_assert_eq(vlm_tensor_rows_to_f32(&t, 1, 2, got, err), VLM_OK, "%s",
                     err);
        for (int i = 0; i < 10; i++)
            cr_assert_eq(got[i], want[5 + i], "dtype %d at %d", d, i);
        cr_assert_eq(vlm_tensor_rows_to_f32(&t, 2, 2, got, err), VLM_EINVAL);
        cr_assert(strstr(err, "'t'"), "%s", err);
        cr_assert_eq(vlm_tensor_rows_to_f32(&t, -1, 1, got, err), VLM_EINVAL);
    }
    const int32_t ints[3] = {1, 2, 3};
    vlm_tensor it = make(VLM_DTYPE_I32, ints, 3);
    cr_assert_eq(vlm_tensor_rows_to_f32(&it, 0, 1, got, err), VLM_EUNSUPPORTED);
}

Test(dtype, bulk_forms_match_scalar)
{
    enum {
        N = 3000
    }; /* more than one internal chunk, odd tail */
    static float f[N];
    static uint16_t h[N], b[N], out[N];
    static float w[N];
    unsigned s = 1;
    for (int i = 0; i < N; i++) {
        s = s * 1103515245u + 12345u;
        f[i] = from_bits(s); /* every pattern: NaN, inf, subnormal */
        h[i] = (uint16_t)(s >> 3);
        b[i] = (uint16_t)(s >> 7);
    }
    vlm_f32_to_bf16_n(f, out, N);
    for (int i = 0; i < N; i++)
        cr_assert_eq(out[i], vlm_f32_to_bf16(f[i]), "bf16 of 0x%08x",
                     bits(f[i]));
    cr_assert_eq(vlm_floats_to_f32(VLM_DTYPE_F16, h, w, N), 0);
    for (int i = 0; i < N; i++) {
        float want = vlm_f16_to_f32(h[i]);
        cr_assert(isnan(want) ? isnan(w[i]) : bits(w[i]) == bits(want),
                  "f16 0x%04x", h[i]);
    }
    cr_assert_eq(vlm_floats_to_f32(VLM_DTYPE_BF16, b, w, N), 0);
    for (int i = 0; i < N; i++)
        cr_assert_eq(bits(w[i]), bits(vlm_bf16_to_f32(b[i])));
    cr_assert_eq(vlm_floats_to_f32(VLM_DTYPE_I32, b, w, N), -1);
}

Test(dtype, tensor_to_bf16)
{
    char err[VLM_ERR_MAX];
    enum {
        N = 2500
    };
    static float f[N];
    static uint16_t h[N], got[N];
    for (int i = 0; i < N; i++) {
        f[i] = (float)(i - 1250) / 3;
        h[i] = (uint16_t)(0x3c00 + i); /* 1.0 and up, 10-bit mantissa */
    }
    vlm_tensor t = make(VLM_DTYPE_F32, f, N);
    cr_assert_eq(vlm_tensor_to_bf16(&t, got, N, err), VLM_OK);
    for (int i = 0; i < N; i++) cr_assert_eq(got[i], vlm_f32_to_bf16(f[i]));
    t = make(VLM_DTYPE_F16, h, N);
    cr_assert_eq(vlm_tensor_to_bf16(&t, got, N, err), VLM_OK);
    for (int i = 0; i < N; i++)
        cr_assert_eq(got[i], vlm_f32_to_bf16(vlm_f16_to_f32(h[i])));
    t = make(VLM_DTYPE_BF16, h, N);
    cr_assert_eq(vlm_tensor_to_bf16(&t, got, N, err), VLM_OK);
    cr_assert(memcmp(got, h, sizeof h) == 0);
    t = make(VLM_DTYPE_I64, h, N / 4);
    cr_assert_eq(vlm_tensor_to_bf16(&t, got, N / 4, err), VLM_EUNSUPPORTED);
    cr_assert(strstr(err, "I64"), "%s", err);
    cr_assert_eq(vlm_tensor_to_bf16(&t, got, 3, err), VLM_EINVAL);
}

/* Row-wise symmetric int8: scale = absmax / 127, the absmax lands on +-127,
 * zero rows stay zero, every value within half a step. */
Test(dtype, tensor_to_i8_rows)
{
    char err[VLM_ERR_MAX];
    static const float f[3][4] = {
        {0.5f, -1.0f, 0.25f, 0.0f}, {0, 0, 0, 0}, {3.0f, 1.0f, -0.01f, 2.9f}};
    int8_t q[12];
    float scale[3];
    vlm_tensor t = make(VLM_DTYPE_F32, f, 12);
    t.ndim = 2;
    t.shape[0] = 3;
    t.shape[1] = 4;
    cr_assert_eq(vlm_tensor_to_i8_rows(&t, q, scale, err), VLM_OK, "%s", err);
    cr_expect_float_eq(scale[0], 1.0f / 127, 1e-9);
    cr_expect_eq(q[1], -127);
    cr_expect_eq(q[3], 0);
    cr_expect_eq(scale[1], 0.0f);
    for (int k = 4; k < 8; k++) cr_expect_eq(q[k], 0);
    cr_expect_eq(q[8], 127);
    for (int r = 0; r < 3; r++)
        for (int k = 0; k < 4; k++)
            cr_expect(fabsf(q[r * 4 + k] * scale[r] - f[r][k]) <=
                          0.5f * scale[r] + 1e-7f,
                      "[%d][%d]", r, k);
    t.ndim = 0;
    cr_expect_eq(vlm_tensor_to_i8_rows(&t, q, scale, err), VLM_EINVAL);
}
