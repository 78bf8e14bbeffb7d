/*
 * test_cpu.c — the ISA choice: consistent with the features found, capped
 * by VLMINDEX_MAX_ISA, an unknown cap ignored and reported.  Criterion runs
 * each test in its own process, so each one decides afresh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "model/core/cpu.h"

static vlm_isa widest(void)
{
    const vlm_cpu_features *f = vlm_cpu_features_get();
    return f->avx512 ? VLM_ISA_AVX512
                     : (f->avx2_fma ? VLM_ISA_AVX2 : VLM_ISA_GENERIC);
}

Test(cpu, features_are_consistent)
{
    const vlm_cpu_features *f = vlm_cpu_features_get();
    if (f->avx512) cr_expect(f->avx2_fma);
    if (f->avx512_bf16) cr_expect(f->avx512);
#if defined(__aarch64__)
    cr_expect(f->neon);
    cr_expect_eq(widest(), VLM_ISA_GENERIC);
#endif
}

static void with_cap(const char *cap, vlm_isa want_at_most)
{
    setenv("VLMINDEX_MAX_ISA", cap, 1);
    vlm_isa isa = vlm_cpu_isa();
    vlm_isa want = widest() < want_at_most ? widest() : want_at_most;
    cr_expect_eq(isa, want, "cap %s gave %s", cap, vlm_isa_name(isa));
    char d[256];
    vlm_cpu_describe(d, sizeof d);
    char k[64];
    snprintf(k, sizeof k, "kernels: %s ", vlm_isa_name(want));
    cr_expect(strstr(d, k) && strstr(d, cap), "%s", d);
}

Test(cpu, cap_generic) { with_cap("generic", VLM_ISA_GENERIC); }
Test(cpu, cap_avx2) { with_cap("AVX2", VLM_ISA_AVX2); }
Test(cpu, cap_avx512_is_no_cap) { with_cap("avx512", VLM_ISA_AVX512); }

Test(cpu, unknown_cap_is_ignored_and_reported)
{
    setenv("VLMINDEX_MAX_ISA", "sse9", 1);
    cr_expect_eq(vlm_cpu_isa(), widest());
    char d[256];
    vlm_cpu_describe(d, sizeof d);
    cr_expect(strstr(d, "sse9 not understood"), "%s", d);
}
