/*
 * build_info.h — what this binary is: version, how it was built, and which
 * instruction-set paths it runs on this machine (for --version and
 * benchmark reports).
 */
#ifndef VLM_BUILD_INFO_H
#define VLM_BUILD_INFO_H

#include <stddef.h>

/* "0.1.0" */
const char *vlm_version(void);

/* "buildtype=release native=false onednn=yes gcc-12.2.0 x86_64" */
const char *vlm_build_options(void);

/* Three lines, each ending in '\n': the build options, the kernel path
 * (cpu.h) and the GEMM backends with their own paths and the bf16 mode.
 * Returns the length snprintf would give. */
int vlm_build_describe(char *buf, size_t n);

#endif
