/*
 * cpu.c — feature detection (cpuid + xgetbv on x86-64) and the
 * VLMINDEX_MAX_ISA cap.  See cpu.h.
 */
#include "model/core/cpu.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define VLM_X86 1
#endif

static vlm_cpu_features g_feat;
static vlm_isa g_isa;
static const char *g_cap; /* the VLMINDEX_MAX_ISA value, or NULL */
static int g_cap_unknown; /* set but not understood */
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

#ifdef VLM_X86
/* Which register states the OS saves on a context switch (XCR0). */
static unsigned long long xcr0(void)
{
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}

static void detect(vlm_cpu_features *f)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return;
    int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1,
        f16c = (c >> 29) & 1;
    if (!osxsave || !avx) return;
    unsigned long long x = xcr0();
    if ((x & 0x6) != 0x6) return; /* SSE + AVX state */
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return;
    int avx2 = (b >> 5) & 1;
    f->avx2_fma = avx2 && fma && f16c;
    int zmm = (x & 0xe0) == 0xe0; /* opmask + ZMM state */
    f->avx512 = f->avx2_fma && zmm && ((b >> 16) & 1) && ((b >> 17) & 1) &&
                ((b >> 30) & 1) && ((b >> 31) & 1);
    f->amx_bf16 = ((d >> 22) & 1) && ((d >> 24) & 1) &&
                  (x & 0x60000) == 0x60000; /* tile config + data */
    if (f->avx512 && __get_cpuid_count(7, 1, &a, &b, &c, &d))
        f->avx512_bf16 = (a >> 5) & 1;
}
#else
static void detect(vlm_cpu_features *f)
{
#if defined(__aarch64__)
    f->neon = 1; /* Advanced SIMD is part of the aarch64 baseline */
#else
    (void)f;
#endif
}
#endif

static int parse_cap(const char *s, vlm_isa *out)
{
    static const char *names[] = {"generic", "avx2", "avx512"};
    for (int i = 0; i < 3; i++)
        if (!strcasecmp(s, names[i])) {
            *out = (vlm_isa)i;
            return 1;
        }
    return 0;
}

static void init(void)
{
    detect(&g_feat);
    g_isa = g_feat.avx512     ? VLM_ISA_AVX512
            : g_feat.avx2_fma ? VLM_ISA_AVX2
                              : VLM_ISA_GENERIC;
    g_cap = getenv("VLMINDEX_MAX_ISA");
    if (g_cap && !*g_cap) g_cap = NULL;
    vlm_isa cap;
    if (g_cap && !parse_cap(g_cap, &cap))
        g_cap_unknown = 1;
    else if (g_cap && cap < g_isa)
        g_isa = cap;
}

const vlm_cpu_features *vlm_cpu_features_get(void)
{
    pthread_once(&g_once, init);
    return &g_feat;
}

vlm_isa vlm_cpu_isa(void)
{
    pthread_once(&g_once, init);
    return g_isa;
}

const char *vlm_isa_name(vlm_isa isa)
{
    switch (isa) {
    case VLM_ISA_AVX512: return "avx512";
    case VLM_ISA_AVX2: return "avx2";
    default: return "generic";
    }
}

int vlm_cpu_describe(char *buf, size_t n)
{
    const vlm_cpu_features *f = vlm_cpu_features_get();
    char cap[160] = "";
    if (g_cap)
        snprintf(cap, sizeof cap, "; VLMINDEX_MAX_ISA=%.32s%s", g_cap,
                 g_cap_unknown ? " not understood (avx512|avx2|generic), "
                                 "ignored"
                               : "");
    return snprintf(
        buf, n, "kernels: %s (cpu:%s%s%s%s%s%s%s)", vlm_isa_name(vlm_cpu_isa()),
#ifdef VLM_X86
        " x86-64",
#elif defined(__aarch64__)
        " aarch64",
#else
        "",
#endif
        f->avx2_fma ? " avx2" : "", f->avx512 ? " avx512" : "",
        f->avx512_bf16 ? " avx512_bf16" : "", f->amx_bf16 ? " amx_bf16" : "",
        f->neon ? " neon" : "", cap);
}
