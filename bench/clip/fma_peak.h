/*
 * fma_peak.h — the arithmetic ceiling of the kernel path in use: GFLOP/s of
 * independent multiply-adds at the path's vector width (FMA for avx2 and
 * avx512, mul + add for generic), on `threads` threads.  The reference for
 * "fraction of the FMA ceiling" in bench/clip/run.sh.
 */
#ifndef VLM_FMA_PEAK_H
#define VLM_FMA_PEAK_H

double fma_peak_gflops(int threads);

#endif
