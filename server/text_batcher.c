#include "server/text_batcher.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/core/vlm_error.h"

typedef struct job {
    const char *text;
    float *out;
    int rc;
    bool done;
    char err[VLM_ERR_MAX];
    struct job *next;
} job;

struct text_batcher {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    job *head, *tail;
    bool leading; /* a request is encoding a batch */
    clip_model *m;
    pthread_mutex_t *model_lock;
    int max, dims;
    const char **texts; /* max: the batch being encoded */
    job **taken;
    float *embeds; /* max x dims */
    text_batcher_stats stats;
};

text_batcher *text_batcher_create(clip_model *m, pthread_mutex_t *model_lock,
                                  int max_batch)
{
    text_batcher *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->m = m;
    b->model_lock = model_lock;
    b->max = max_batch > 0 ? max_batch : 1;
    b->dims = clip_embed_dim(m);
    b->texts = calloc((size_t)b->max, sizeof *b->texts);
    b->taken = calloc((size_t)b->max, sizeof *b->taken);
    b->embeds = calloc((size_t)b->max * (size_t)b->dims, sizeof *b->embeds);
    if (!b->texts || !b->taken || !b->embeds) {
        text_batcher_destroy(b);
        return NULL;
    }
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->cv, NULL);
    return b;
}

void text_batcher_destroy(text_batcher *b)
{
    if (!b) return;
    if (b->texts && b->taken && b->embeds) {
        pthread_mutex_destroy(&b->mu);
        pthread_cond_destroy(&b->cv);
    }
    free(b->texts);
    free(b->taken);
    free(b->embeds);
    free(b);
}

/* Encodes jobs taken[0..n) with the model (mu not held). */
static void encode(text_batcher *b, int n)
{
    for (int i = 0; i < n; i++) b->texts[i] = b->taken[i]->text;
    pthread_mutex_lock(b->model_lock);
    int rc = clip_encode_texts(b->m, b->texts, n, b->embeds, b->taken[0]->err);
    /* A batch that fails is redone text by text, so each request gets its
     * own answer (and its own reason). */
    for (int i = 0; rc && n > 1 && i < n; i++)
        b->taken[i]->rc = clip_encode_texts(b->m, &b->texts[i], 1,
                                            b->embeds + (size_t)i * b->dims,
                                            b->taken[i]->err);
    pthread_mutex_unlock(b->model_lock);
    for (int i = 0; i < n; i++) {
        if (!rc || n == 1) b->taken[i]->rc = rc;
        if (!b->taken[i]->rc)
            memcpy(b->taken[i]->out, b->embeds + (size_t)i * b->dims,
                   (size_t)b->dims * sizeof(float));
    }
}

/* Takes up to max queued jobs and encodes them; mu held on entry and
 * exit, released while the model works. */
static void lead(text_batcher *b)
{
    int n = 0;
    b->leading = true;
    while (b->head && n < b->max) {
        b->taken[n++] = b->head;
        b->head = b->head->next;
    }
    if (!b->head) b->tail = NULL;
    pthread_mutex_unlock(&b->mu);
    encode(b, n);
    pthread_mutex_lock(&b->mu);
    for (int i = 0; i < n; i++) b->taken[i]->done = true;
    b->stats.texts += n;
    b->stats.batches++;
    if (n > b->stats.largest) b->stats.largest = n;
    b->leading = false;
    pthread_cond_broadcast(&b->cv);
}

int text_batcher_encode(text_batcher *b, const char *text, float *out,
                        char *err)
{
    job j = {.text = text, .out = out};
    pthread_mutex_lock(&b->mu);
    if (b->tail)
        b->tail->next = &j;
    else
        b->head = &j;
    b->tail = &j;
    while (!j.done) {
        if (!b->leading)
            lead(b);
        else
            pthread_cond_wait(&b->cv, &b->mu);
    }
    pthread_mutex_unlock(&b->mu);
    if (j.rc && err) snprintf(err, VLM_ERR_MAX, "%s", j.err);
    return j.rc;
}

text_batcher_stats text_batcher_get_stats(text_batcher *b)
{
    pthread_mutex_lock(&b->mu);
    text_batcher_stats s = b->stats;
    pthread_mutex_unlock(&b->mu);
    return s;
}
