/* threads.c — see threads.h. */
#include "model/core/threads.h"

#ifdef _OPENMP
#include <omp.h>
#endif

/* 0: no scope on this thread */
static _Thread_local int t_threads;

static int default_threads(void)
{
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

int vlm_threads_resolve(int n)
{
    if (n > 0) return n;
#ifdef _OPENMP
    return omp_get_num_procs();
#else
    return 1;
#endif
}

int vlm_threads_enter(int n)
{
    int prev = t_threads;
    /* OpenMP's nthreads-var is per thread: the enclosing value comes back
     * in vlm_threads_leave (as -value when there was no scope). */
    int omp_prev = default_threads();
    t_threads = vlm_threads_resolve(n);
#ifdef _OPENMP
    omp_set_num_threads(t_threads);
#endif
    return prev ? prev : -omp_prev;
}

void vlm_threads_leave(int prev)
{
    t_threads = prev > 0 ? prev : 0;
#ifdef _OPENMP
    omp_set_num_threads(prev > 0 ? prev : -prev);
#endif
}

int vlm_threads_current(void)
{
    return t_threads > 0 ? t_threads : default_threads();
}
