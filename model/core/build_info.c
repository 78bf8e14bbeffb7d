/* build_info.c — see build_info.h. */
#include "model/core/build_info.h"

#include <stdio.h>

#include "model/core/cpu.h"
#include "model/core/gemm.h"
#include "model/core/vlm_build_config.h"

const char *vlm_version(void) { return VLM_BUILD_VERSION; }

const char *vlm_build_options(void) { return VLM_BUILD_OPTIONS; }

int vlm_build_describe(char *buf, size_t n)
{
    char cpu[256], gemm[256];
    vlm_cpu_describe(cpu, sizeof cpu);
    vlm_gemm_describe(gemm, sizeof gemm);
    return snprintf(buf, n, "build: %s\n%s\n%s\n", VLM_BUILD_OPTIONS, cpu,
                    gemm);
}
