/*
 * text_batcher.h — text queries that arrive together go through the text
 * tower together.
 *
 * For a handful of tokens the tower is memory-bound: it streams all its
 * weights for one query.  Requests that find the model busy queue up; the
 * next one to get it takes every queued text (up to max_batch) through
 * clip_encode_texts() at once, for about the price of one.  An idle server
 * adds no wait: a lone query is encoded at once.  No thread of its own —
 * whichever waiting request finds the model free does the batch.
 */
#ifndef VLM_TEXT_BATCHER_H
#define VLM_TEXT_BATCHER_H

#include <pthread.h>
#include <stdint.h>

#include "model/clip/clip.h"

typedef struct text_batcher text_batcher;

/* model_lock: held around every encoding call on m. */
text_batcher *text_batcher_create(clip_model *m, pthread_mutex_t *model_lock,
                                  int max_batch);
void text_batcher_destroy(text_batcher *b); /* NULL-safe */

/* The embedding of text into out[clip_embed_dim(m)] (not normalised). */
int text_batcher_encode(text_batcher *b, const char *text, float *out,
                        char *err);

typedef struct text_batcher_stats {
    int64_t texts, batches; /* texts encoded, tower passes for them */
    int largest;            /* the largest batch */
} text_batcher_stats;

text_batcher_stats text_batcher_get_stats(text_batcher *b);

#endif
