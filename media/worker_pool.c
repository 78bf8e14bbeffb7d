/*
 * worker_pool.c — the process-wide pool of decode workers: started on
 * demand (as many as threads decode at once, up to max_workers), kept idle
 * between files, replaced when one dies.
 */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "media/worker_pool.h"

static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_cv = PTHREAD_COND_INITIALIZER;
static worker *idle;  /* idle workers, most recently used first */
static int n_workers; /* idle + busy + being started */
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* A forked child (e.g. a test runner's) must not talk to its parent's
 * workers: it forgets them, leaving them to the parent. */
static void forget_in_child(void)
{
    pthread_mutex_init(&pool_mu, NULL);
    pthread_cond_init(&pool_cv, NULL);
    for (worker *w = idle, *nx; w; w = nx) {
        nx = w->next;
        close(w->sock);
        close(w->shm);
        free(w); /* the mapping stays: munmap would be harmless, not needed */
    }
    idle = NULL;
    n_workers = 0;
}

static void install_atfork(void)
{
    pthread_atfork(NULL, NULL, forget_in_child);
}

static int max_workers(const isolation_settings *s)
{
    if (s->max_workers > 0) return s->max_workers;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    long n = cores > 0 ? 2 * cores : 4;
    return n < 4 ? 4 : n > 64 ? 64 : (int)n;
}

/* Unlinks and returns an idle worker fit for `kind` (photo workers first
 * for photos, so DICOM workers stay free for DICOM). */
static worker *take_idle(int kind, int only_photo)
{
    worker **best = NULL;
    for (worker **pw = &idle; *pw; pw = &(*pw)->next) {
        int d = (*pw)->dicom;
        if (only_photo ? d : (kind == WORKER_DICOM && !d)) continue;
        if (!best || (kind == WORKER_PHOTO && (*best)->dicom && !d)) best = pw;
    }
    if (!best) return NULL;
    worker *w = *best;
    *best = w->next;
    w->next = NULL;
    return w;
}

/* Under pool_mu: a worker from the idle list started with stale settings
 * is stopped (outside the lock) and the search repeats. */
static worker *take_current(const isolation_settings *s, int kind)
{
    worker *w;
    while ((w = take_idle(kind, 0)) && w->generation != s->generation) {
        n_workers--;
        pthread_mutex_unlock(&pool_mu);
        worker_destroy(w);
        pthread_mutex_lock(&pool_mu);
    }
    return w;
}

int worker_pool_acquire(const isolation_settings *s, int kind, worker **out,
                        char *err)
{
    pthread_once(&atfork_once, install_atfork);
    pthread_mutex_lock(&pool_mu);
    for (;;) {
        worker *w = take_current(s, kind);
        if (w) {
            pthread_mutex_unlock(&pool_mu);
            *out = w;
            return VLM_OK;
        }
        if (n_workers < max_workers(s)) break;
        /* Full, and only photo workers idle for a DICOM file: retire one. */
        if (kind == WORKER_DICOM && (w = take_idle(WORKER_PHOTO, 1))) {
            n_workers--;
            pthread_mutex_unlock(&pool_mu);
            worker_destroy(w);
            pthread_mutex_lock(&pool_mu);
            continue;
        }
        pthread_cond_wait(&pool_cv, &pool_mu);
    }
    n_workers++;
    pthread_mutex_unlock(&pool_mu);
    int rc = worker_spawn(s, kind, out, err);
    if (rc) {
        pthread_mutex_lock(&pool_mu);
        n_workers--;
        pthread_cond_signal(&pool_cv);
        pthread_mutex_unlock(&pool_mu);
    }
    return rc;
}

void worker_pool_release(worker *w, int healthy)
{
    if (healthy <= 0) worker_destroy(w);
    pthread_mutex_lock(&pool_mu);
    if (healthy > 0) {
        w->next = idle;
        idle = w;
    } else {
        n_workers--;
    }
    pthread_cond_signal(&pool_cv);
    pthread_mutex_unlock(&pool_mu);
}

void worker_pool_drain(void)
{
    pthread_mutex_lock(&pool_mu);
    worker *list = idle;
    for (worker *w = idle; w; w = w->next) n_workers--;
    idle = NULL;
    pthread_cond_broadcast(&pool_cv);
    pthread_mutex_unlock(&pool_mu);
    for (worker *w = list, *nx; w; w = nx) {
        nx = w->next;
        worker_destroy(w);
    }
}
