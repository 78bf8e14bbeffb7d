/*
 * test_threads.c — thread counts are scoped to the calling thread: scopes
 * nest and restore, OpenMP's team size follows them, and another thread
 * never sees them.
 */
#include <pthread.h>

#include <criterion/criterion.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "model/core/threads.h"

static int team_size(void)
{
    int n = 1;
#ifdef _OPENMP
#pragma omp parallel
#pragma omp single
    n = omp_get_num_threads();
#endif
    return n;
}

Test(threads, scopes_nest_and_restore)
{
    int outside = vlm_threads_current();
    cr_assert_geq(outside, 1);
    int a = vlm_threads_enter(3);
    cr_expect_eq(vlm_threads_current(), 3);
#ifdef _OPENMP
    cr_expect_eq(team_size(), 3);
#endif
    int b = vlm_threads_enter(1);
    cr_expect_eq(vlm_threads_current(), 1);
    cr_expect_eq(team_size(), 1);
    vlm_threads_leave(b);
    cr_expect_eq(vlm_threads_current(), 3);
    vlm_threads_leave(a);
    cr_expect_eq(vlm_threads_current(), outside);
}

Test(threads, zero_means_all_cores)
{
    cr_expect_geq(vlm_threads_resolve(0), 1);
    cr_expect_eq(vlm_threads_resolve(-4), vlm_threads_resolve(0));
    cr_expect_eq(vlm_threads_resolve(5), 5);
    int p = vlm_threads_enter(0);
    cr_expect_eq(vlm_threads_current(), vlm_threads_resolve(0));
    vlm_threads_leave(p);
}

static void *other_thread(void *arg)
{
    *(int *)arg = vlm_threads_current();
    return NULL;
}

Test(threads, another_thread_is_not_affected)
{
    pthread_t t;
    int before = 0, during = 0;
    pthread_create(&t, NULL, other_thread, &before);
    pthread_join(t, NULL);
    int p = vlm_threads_enter(before + 2);
    pthread_create(&t, NULL, other_thread, &during);
    pthread_join(t, NULL);
    vlm_threads_leave(p);
    cr_expect_eq(during, before, "a scope leaked to another thread");
}
