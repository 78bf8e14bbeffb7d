/*
 * model_worker.h — the one thread that runs the server's model calls.
 *
 * Requests never touch the model themselves: they hand it work and wait.
 * One long-lived thread holds session_model_lock() while it encodes, so
 * the model's per-thread state (oneDNN, OpenMP) lives in one thread, not
 * in every connection's.
 *
 * Text queries that arrive together go through the text tower together:
 * for a handful of tokens the tower is memory-bound (it streams all its
 * weights for one query), so the worker takes every queued text (up to
 * max_batch) through clip_encode_texts() at once, for about the price of
 * one.  An idle server adds no wait: a lone query is encoded at once.
 */
#ifndef VLM_MODEL_WORKER_H
#define VLM_MODEL_WORKER_H

#include <pthread.h>
#include <stdint.h>

#include "model/clip/clip.h"

typedef struct model_worker model_worker;

/* model_lock: held around every encoding call on m (the watch's indexer
 * takes it too). */
int model_worker_create(clip_model *m, pthread_mutex_t *model_lock,
                        int max_batch, model_worker **out, char *err);
/* Finishes the work queued, stops the thread.  NULL-safe. */
void model_worker_destroy(model_worker *w);

/* The embedding of text into out[clip_embed_dim(m)] (not normalised). */
int model_worker_text(model_worker *w, const char *text, float *out, char *err);

/* Runs fn(user, m, err) on the worker, under the model lock, and returns
 * what it returns (image uploads, label sets). */
int model_worker_call(model_worker *w,
                      int (*fn)(void *user, clip_model *m, char *err),
                      void *user, char *err);

typedef struct model_worker_stats {
    int64_t texts, passes; /* texts encoded, text-tower passes for them */
    int largest;           /* the largest batch */
    int64_t calls;         /* model_worker_call jobs */
} model_worker_stats;

model_worker_stats model_worker_get_stats(model_worker *w);

#endif
