/* F16/BF16 <-> F32 conversion, including subnormals, infinities and NaNs. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "model/weights/safetensors.h"

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
    cr_assert_eq(bits(st_f16_to_f32(0x0000)), 0x00000000u);
    cr_assert_eq(bits(st_f16_to_f32(0x8000)),
                 0x80000000u); /* -0 keeps its sign */
    cr_assert_eq(st_f16_to_f32(0x0001),
                 ldexpf(1, -24)); /* smallest subnormal */
    cr_assert_eq(st_f16_to_f32(0x03ff),
                 ldexpf(1023, -24)); /* largest subnormal */
    cr_assert_eq(st_f16_to_f32(0x8001), -ldexpf(1, -24));
    cr_assert_eq(st_f16_to_f32(0x0400), ldexpf(1, -14)); /* smallest normal */
    cr_assert_eq(st_f16_to_f32(0x3c00), 1.0f);
    cr_assert_eq(st_f16_to_f32(0xc000), -2.0f);
    cr_assert_eq(st_f16_to_f32(0x3555), 0.333251953125f);
    cr_assert_eq(st_f16_to_f32(0x7bff), 65504.0f);
    cr_assert(isinf(st_f16_to_f32(0x7c00)) && st_f16_to_f32(0x7c00) > 0);
    cr_assert(isinf(st_f16_to_f32(0xfc00)) && st_f16_to_f32(0xfc00) < 0);
    cr_assert(isnan(st_f16_to_f32(0x7e00)));
    cr_assert(
        isnan(st_f16_to_f32(0x7c01))); /* signalling payload stays a NaN */
    cr_assert(isnan(st_f16_to_f32(0xfe00)));
}

#ifdef __FLT16_MAX__
/* All 65536 patterns against the compiler's own conversion. */
Test(dtype, f16_exhaustive_matches_compiler)
{
    for (uint32_t h = 0; h < 65536; h++) {
        _Float16 x;
        uint16_t hb = (uint16_t)h;
        memcpy(&x, &hb, 2);
        float want = (float)x, got = st_f16_to_f32(hb);
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
    cr_assert_eq(st_bf16_to_f32(0x3f80), 1.0f);
    cr_assert_eq(st_bf16_to_f32(0xc040), -3.0f);
    cr_assert_eq(bits(st_bf16_to_f32(0x8000)), 0x80000000u);
    cr_assert_eq(st_bf16_to_f32(0x0001), ldexpf(1, -133)); /* subnormal */
    cr_assert(isinf(st_bf16_to_f32(0x7f80)) && st_bf16_to_f32(0x7f80) > 0);
    cr_assert(isinf(st_bf16_to_f32(0xff80)) && st_bf16_to_f32(0xff80) < 0);
    cr_assert(isnan(st_bf16_to_f32(0x7fc0)));
    cr_assert(isnan(st_bf16_to_f32(0x7f81)));
}

Test(dtype, f32_to_bf16_rounds_to_nearest_even)
{
    cr_assert_eq(st_f32_to_bf16(1.0f), 0x3f80);
    cr_assert_eq(st_f32_to_bf16(from_bits(0x3f808000u)),
                 0x3f80); /* tie, even stays */
    cr_assert_eq(st_f32_to_bf16(from_bits(0x3f818000u)),
                 0x3f82); /* tie, odd rounds up */
    cr_assert_eq(st_f32_to_bf16(from_bits(0x3f808001u)),
                 0x3f81); /* above tie */
    cr_assert_eq(st_f32_to_bf16(from_bits(0x3f807fffu)),
                 0x3f80); /* below tie */
    cr_assert_eq(st_f32_to_bf16(from_bits(0x7f7fffffu)),
                 0x7f80); /* FLT_MAX -> inf */
    cr_assert_eq(st_f32_to_bf16(INFINITY), 0x7f80);
    cr_assert_eq(st_f32_to_bf16(-INFINITY), 0xff80);
    cr_assert_eq(st_f32_to_bf16(-0.0f), 0x8000);
    uint16_t n =
        st_f32_to_bf16(from_bits(0x7f800001u)); /* NaN with low payload only */
    cr_assert(isnan(st_bf16_to_f32(n)), "NaN became 0x%04x", n);
    for (uint32_t b = 0; b < 65536; b++) {
        float f = st_bf16_to_f32((uint16_t)b);
        if (!isnan(f))
            cr_assert_eq(st_f32_to_bf16(f), b, "round trip 0x%04x", b);
    }
}

static st_tensor make(st_dtype dt, const void *data, int64_t n)
{
    st_tensor t = {.name = "t",
                   .path = "mem",
                   .dtype = dt,
                   .ndim = 1,
                   .shape = {n},
                   .numel = n,
                   .data = data,
                   .nbytes = (size_t)n * st_dtype_size(dt)};
    return t;
}

Test(dtype, tensor_to_f32_and_i32)
{
    char err[VLM_ERR_MAX];
    float f[3];
    int32_t i[3];
    const uint16_t h[3] = {0x3c00, 0x0001, 0xfc00};
    st_tensor t = make(ST_F16, h, 3);
    cr_assert_eq(st_tensor_to_f32(&t, f, 3, err), VLM_OK);
    cr_assert(f[0] == 1.0f && f[1] == ldexpf(1, -24) && isinf(f[2]));

    const uint16_t b[3] = {0x3f80, 0xc040, 0x0000};
    t = make(ST_BF16, b, 3);
    cr_assert_eq(st_tensor_to_f32(&t, f, 3, err), VLM_OK);
    cr_assert(f[0] == 1.0f && f[1] == -3.0f && f[2] == 0.0f);

    const int64_t l[3] = {-5, 0, 2147483647};
    t = make(ST_I64, l, 3);
    cr_assert_eq(st_tensor_to_i32(&t, i, 3, err), VLM_OK);
    cr_assert(i[0] == -5 && i[2] == 2147483647);
    cr_assert_eq(st_tensor_to_f32(&t, f, 3, err), VLM_OK);
    cr_assert_eq(f[0], -5.0f);

    const int64_t big[1] = {(int64_t)1 << 40};
    t = make(ST_I64, big, 1);
    cr_assert_eq(st_tensor_to_i32(&t, i, 1, err), VLM_ETOOBIG);
    cr_assert(strstr(err, "'t'") && strstr(err, "mem"), "%s", err);

    const uint8_t u[3] = {0, 200, 255};
    t = make(ST_U8, u, 3);
    cr_assert_eq(st_tensor_to_i32(&t, i, 3, err), VLM_OK);
    cr_assert_eq(i[2], 255);

    t = make(ST_U8, u, 3);
    cr_assert_eq(st_tensor_to_f32(&t, f, 2, err), VLM_EINVAL); /* wrong count */
    t = make(ST_BOOL, u, 3);
    cr_assert_eq(st_tensor_to_f32(&t, f, 3, err), VLM_EUNSUPPORTED);
    cr_assert(strstr(err, "BOOL"), "%s", err);
    t = make(ST_F32, f, 3);
    cr_assert_eq(st_tensor_to_i32(&t, i, 3, err), VLM_EUNSUPPORTED);
}

Test(dtype, names_and_sizes)
{
    cr_assert_str_eq(st_dtype_name(ST_BF16), "BF16");
    cr_assert_eq(st_dtype_size(ST_BF16), 2u);
    cr_assert_eq(st_dtype_size(ST_F64), 8u);
    cr_assert_eq(st_dtype_size(ST_BOOL), 1u);
    cr_assert_eq(st_dtype_size((st_dtype)99), 0u);
}
