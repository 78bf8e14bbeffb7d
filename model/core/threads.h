/*
 * threads.h — how many threads one call into a model may use.
 *
 * There is no process-wide setting.  Each model keeps its own count (from
 * its load options) and runs every entry point inside a scope:
 *
 *     int prev = vlm_threads_enter(m->threads);
 *     ... vlm_linear(), OpenMP loops ...
 *     vlm_threads_leave(prev);
 *
 * The count belongs to the calling thread only (a thread-local value plus
 * OpenMP's per-thread default team size, which oneDNN also follows), so
 * loading or running one model never re-threads another, and two threads
 * may run two models with different counts at the same time.  Outside any
 * scope, work uses OMP_NUM_THREADS or all cores.
 */
#ifndef VLM_THREADS_H
#define VLM_THREADS_H

/* n itself when n > 0; all cores when n <= 0. */
int vlm_threads_resolve(int n);

/* Starts a scope of vlm_threads_resolve(n) threads on the calling thread;
 * returns what vlm_threads_leave needs to restore the enclosing one. */
int vlm_threads_enter(int n);
void vlm_threads_leave(int prev);

/* The count in effect on the calling thread. */
int vlm_threads_current(void);

#endif
