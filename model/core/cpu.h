/*
 * cpu.h — which instruction-set path our own kernels run.
 *
 * The default build targets the baseline of its architecture (x86-64 as of
 * Haswell's era needs nothing more; aarch64 always has NEON), so one binary
 * runs everywhere.  The hot kernels (kernels.h) are compiled once per path
 * and the widest one the CPU and the OS support is picked at run time:
 *
 *   avx512   AVX-512 F/BW/DQ/VL + FMA + F16C (x86-64)
 *   avx2     AVX2 + FMA + F16C (x86-64)
 *   generic  the compiler's auto-vectorised baseline (SSE2 on x86-64, NEON
 *            on aarch64)
 *
 * The environment variable VLMINDEX_MAX_ISA=avx512|avx2|generic caps the
 * choice (to test or compare the narrower paths on a wide machine); it also
 * caps oneDNN unless DNNL_MAX_CPU_ISA is set.  A value the library does not
 * know is ignored, and vlm_cpu_describe() says so.
 */
#ifndef VLM_CPU_H
#define VLM_CPU_H

#include <stddef.h>

typedef enum vlm_isa {
    VLM_ISA_GENERIC = 0,
    VLM_ISA_AVX2 = 1,
    VLM_ISA_AVX512 = 2,
} vlm_isa;

/* CPU features that matter to the paths above (1 = present and usable). */
typedef struct vlm_cpu_features {
    int avx2_fma;    /* AVX2 + FMA + F16C, OS saves the YMM state */
    int avx512;      /* AVX-512 F/BW/DQ/VL, OS saves the ZMM state */
    int avx512_bf16; /* AVX512_BF16 (native bf16 dot products) */
    int amx_bf16;    /* AMX tiles with bf16 */
    int neon;        /* aarch64 Advanced SIMD */
} vlm_cpu_features;

const vlm_cpu_features *vlm_cpu_features_get(void);

/* The path in use: the widest the CPU has, capped by VLMINDEX_MAX_ISA.
 * Decided on first use and fixed for the life of the process. */
vlm_isa vlm_cpu_isa(void);

/* "avx512", "avx2", "generic". */
const char *vlm_isa_name(vlm_isa isa);

/* One line for --version and benchmark reports, e.g.
 * "kernels: avx2 (cpu: x86-64 avx2 avx512 avx512_bf16; VLMINDEX_MAX_ISA=avx2)".
 * Returns the length snprintf would give. */
int vlm_cpu_describe(char *buf, size_t n);

#endif
