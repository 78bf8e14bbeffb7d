/*
 * search_many.c — one query over several collections of one model: each
 * one's top-k (side by side, a thread per collection up to the cores),
 * merged.  The vectors are comparable (same model, all
 * L2-normalised), so the merged list is the top-k of their union, exactly
 * what one search of the merged collection returns.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "query/search.h"

/* Collections searched at once (threads), at most. */
#define MANY_MAX_THREADS 16

static int by_score(const void *pa, const void *pb)
{
    const search_hit *a = pa, *b = pb;
    if (a->score != b->score) return a->score < b->score ? 1 : -1;
    if (a->source != b->source) return a->source < b->source ? -1 : 1;
    return (a->id > b->id) - (a->id < b->id);
}

/* Moves the hits of one session onto the end of *all. */
static int append(search_hit **all, int *n_all, search_hit *h, int n,
                  int source)
{
    search_hit *grown = realloc(*all, (size_t)(*n_all + n) * sizeof *grown);
    if (!grown && *n_all + n > 0) return VLM_ENOMEM;
    *all = grown;
    for (int i = 0; i < n; i++) {
        h[i].source = source;
        grown[(*n_all)++] = h[i];
    }
    free(h); /* the paths moved into *all */
    return VLM_OK;
}

/* One session's hits; its own copies of self's images left out. */
static int search_one(session *s, const float *qvec, const search_options *o,
                      const query *self, search_hit **h, int *nh, char *err)
{
    search_options so = *o;
    int64_t *ids = NULL;
    int rc = VLM_OK;
    if (self) {
        so.n_exclude = 0;
        rc = search_self_ids(session_collection(s), self, &ids, &so.n_exclude,
                             err);
        so.exclude_ids = ids;
    }
    if (!rc)
        rc = search_run(session_collection(s), session_index(s), qvec, &so, h,
                        nh, err);
    free(ids);
    return rc;
}

/* One collection's search, run on a thread of its own: each session has
 * its own SQLite connection and vector index, and the query vector is only
 * read, so the collections of one query need no lock between them. */
typedef struct search_job {
    session *s;
    const float *qvec;
    const search_options *o;
    const query *self;
    search_hit *h;
    int nh, rc;
    char err[VLM_ERR_MAX];
} search_job;

static void *run_job(void *p)
{
    search_job *j = p;
    j->rc = search_one(j->s, j->qvec, j->o, j->self, &j->h, &j->nh, j->err);
    return NULL;
}

/* Runs jobs[0..n) at most `width` at a time (one on this thread). */
static void run_jobs(search_job *jobs, int n, int width)
{
    for (int first = 0; first < n; first += width) {
        int last = first + width < n ? first + width : n;
        pthread_t tid[MANY_MAX_THREADS];
        bool started[MANY_MAX_THREADS] = {false};
        for (int i = first + 1; i < last; i++)
            started[i - first] =
                pthread_create(&tid[i - first], NULL, run_job, &jobs[i]) == 0;
        run_job(&jobs[first]);
        for (int i = first + 1; i < last; i++) {
            if (started[i - first])
                pthread_join(tid[i - first], NULL);
            else
                run_job(&jobs[i]); /* no thread to be had: here, then */
        }
    }
}

static int parallel_width(int n)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int w = cpus > 0 ? (int)cpus : 1;
    if (w > MANY_MAX_THREADS) w = MANY_MAX_THREADS;
    return w < n ? w : n;
}

/* The jobs' hits, in session order, onto *all; the first error wins. */
static int gather(search_job *jobs, int n, search_hit **all, int *n_all,
                  char *err)
{
    int rc = VLM_OK;
    for (int i = 0; i < n; i++) {
        if (!rc && jobs[i].rc) {
            rc = jobs[i].rc;
            vlm_set_err(err, "%s", jobs[i].err);
        }
        if (!rc && append(all, n_all, jobs[i].h, jobs[i].nh, i)) {
            vlm_set_err(err, "out of memory merging search results");
            rc = VLM_ENOMEM;
        } else if (!rc) {
            continue; /* moved into *all */
        }
        search_hits_free(jobs[i].h, jobs[i].nh);
    }
    return rc;
}

int search_run_many(session *const *sessions, int n, const float *qvec,
                    const search_options *o, const query *self,
                    search_hit **hits, int *n_hits, char *err)
{
    int k = o->top_k > 0 ? o->top_k : 10, rc = VLM_OK;
    search_hit *all = NULL;
    int n_all = 0;
    search_job *jobs = calloc((size_t)(n > 0 ? n : 1), sizeof *jobs);
    if (!jobs) {
        vlm_set_err(err, "out of memory for %d searches", n);
        return VLM_ENOMEM;
    }
    for (int i = 0; i < n; i++)
        jobs[i] =
            (search_job){.s = sessions[i], .qvec = qvec, .o = o, .self = self};
    run_jobs(jobs, n, parallel_width(n));
    rc = gather(jobs, n, &all, &n_all, err);
    free(jobs);
    if (rc) {
        search_hits_free(all, n_all);
        *hits = NULL;
        *n_hits = 0;
        return rc;
    }
    if (n_all > 0) qsort(all, (size_t)n_all, sizeof *all, by_score);
    for (int i = k; i < n_all; i++) free(all[i].path);
    *hits = all;
    *n_hits = n_all < k ? n_all : k;
    return VLM_OK;
}
