/* bench_util.h — timing helpers shared by the benchmark programs. */
#ifndef VLM_BENCH_UTIL_H
#define VLM_BENCH_UTIL_H

#include <stdlib.h>
#include <time.h>

static inline double bench_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The clock a benchmark is timed with: wall time, or with BENCH_CLOCK=cpu
 * the process's CPU time (robust on a shared, loaded machine for
 * single-threaded runs, where waiting for a core is not work). */
static inline double bench_clock_s(void)
{
    const char *c = getenv("BENCH_CLOCK");
    struct timespec ts;
    clock_gettime(c && c[0] == 'c' ? CLOCK_PROCESS_CPUTIME_ID
                                   : CLOCK_MONOTONIC,
                  &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorts v in place and returns its median. */
static inline double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, bench_cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

#endif
