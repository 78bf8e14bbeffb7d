#include "server/model_worker.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/core/vlm_error.h"

typedef struct job {
    const char *text;                                /* a text job, or */
    int (*fn)(void *user, clip_model *m, char *err); /* a call */
    void *user;
    float *out;
    int rc;
    bool done;
    char err[VLM_ERR_MAX];
    struct job *next;
} job;

struct model_worker {
    pthread_mutex_t mu;
    pthread_cond_t work, done; /* queued / finished */
    job *head, *tail;
    bool stop;
    pthread_t thread;
    clip_model *m;
    pthread_mutex_t *model_lock;
    int max, dims;
    const char **texts; /* max: the batch being encoded */
    job **taken;
    float *embeds; /* max x dims */
    model_worker_stats stats;
};

/* Encodes text jobs taken[0..n) in one pass; a batch that fails is redone
 * text by text, so each request gets its own answer and reason. */
static void encode_texts(model_worker *w, int n)
{
    for (int i = 0; i < n; i++) w->texts[i] = w->taken[i]->text;
    int rc = clip_encode_texts(w->m, w->texts, n, w->embeds, w->taken[0]->err);
    for (int i = 0; i < n; i++) {
        job *j = w->taken[i];
        j->rc = n == 1 ? rc : VLM_OK;
        if (rc && n > 1)
            j->rc = clip_encode_texts(w->m, &w->texts[i], 1,
                                      w->embeds + (size_t)i * w->dims, j->err);
        if (!j->rc)
            memcpy(j->out, w->embeds + (size_t)i * w->dims,
                   (size_t)w->dims * sizeof(float));
    }
}

/* What comes next: every queued text (up to max), else the first call.
 * mu held. */
static int take(model_worker *w)
{
    int n = 0;
    job **link = &w->head;
    bool texts = false;
    for (job *j = w->head; j; j = j->next)
        if (j->text) texts = true;
    for (job *j = w->head; j && n < w->max;) {
        job *next = j->next;
        if (texts ? j->text != NULL : n == 0) {
            w->taken[n++] = j;
            *link = next;
        } else {
            link = &j->next;
        }
        j = next;
    }
    w->tail = NULL;
    for (job *j = w->head; j; j = j->next) w->tail = j;
    return n;
}

static void work(model_worker *w, int n)
{
    pthread_mutex_lock(w->model_lock);
    if (w->taken[0]->text)
        encode_texts(w, n);
    else
        w->taken[0]->rc =
            w->taken[0]->fn(w->taken[0]->user, w->m, w->taken[0]->err);
    pthread_mutex_unlock(w->model_lock);
}

static void *worker_main(void *arg)
{
    model_worker *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->head && !w->stop) pthread_cond_wait(&w->work, &w->mu);
        if (!w->head) break; /* stopped, nothing left */
        int n = take(w);
        bool texts = w->taken[0]->text != NULL;
        pthread_mutex_unlock(&w->mu);
        work(w, n);
        pthread_mutex_lock(&w->mu);
        for (int i = 0; i < n; i++) w->taken[i]->done = true;
        w->stats.texts += texts ? n : 0;
        w->stats.passes += texts;
        w->stats.calls += !texts;
        if (texts && n > w->stats.largest) w->stats.largest = n;
        pthread_cond_broadcast(&w->done);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

int model_worker_create(clip_model *m, pthread_mutex_t *model_lock,
                        int max_batch, model_worker **out, char *err)
{
    model_worker *w = calloc(1, sizeof *w);
    if (!w) return VLM_ENOMEM;
    w->m = m;
    w->model_lock = model_lock;
    w->max = max_batch > 0 ? max_batch : 1;
    w->dims = clip_embed_dim(m);
    w->texts = calloc((size_t)w->max, sizeof *w->texts);
    w->taken = calloc((size_t)w->max, sizeof *w->taken);
    w->embeds = calloc((size_t)w->max * (size_t)w->dims, sizeof *w->embeds);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->work, NULL);
    pthread_cond_init(&w->done, NULL);
    int rc = w->texts && w->taken && w->embeds ? VLM_OK : VLM_ENOMEM;
    if (!rc && pthread_create(&w->thread, NULL, worker_main, w)) {
        vlm_set_err(err, "cannot start the model thread");
        rc = VLM_ENOMEM;
    }
    if (rc) {
        w->stop = true; /* no thread to join */
        model_worker_destroy(w);
        return rc;
    }
    *out = w;
    return VLM_OK;
}

void model_worker_destroy(model_worker *w)
{
    if (!w) return;
    pthread_mutex_lock(&w->mu);
    bool running = !w->stop;
    w->stop = true;
    pthread_cond_broadcast(&w->work);
    pthread_mutex_unlock(&w->mu);
    if (running) pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->work);
    pthread_cond_destroy(&w->done);
    free(w->texts);
    free(w->taken);
    free(w->embeds);
    free(w);
}

static int submit(model_worker *w, job *j, char *err)
{
    pthread_mutex_lock(&w->mu);
    if (w->tail)
        w->tail->next = j;
    else
        w->head = j;
    w->tail = j;
    pthread_cond_signal(&w->work);
    while (!j->done) pthread_cond_wait(&w->done, &w->mu);
    pthread_mutex_unlock(&w->mu);
    if (j->rc && err) snprintf(err, VLM_ERR_MAX, "%s", j->err);
    return j->rc;
}

int model_worker_text(model_worker *w, const char *text, float *out, char *err)
{
    job j = {.text = text, .out = out};
    return submit(w, &j, err);
}

int model_worker_call(model_worker *w,
                      int (*fn)(void *user, clip_model *m, char *err),
                      void *user, char *err)
{
    job j = {.fn = fn, .user = user};
    return submit(w, &j, err);
}

model_worker_stats model_worker_get_stats(model_worker *w)
{
    pthread_mutex_lock(&w->mu);
    model_worker_stats s = w->stats;
    pthread_mutex_unlock(&w->mu);
    return s;
}
