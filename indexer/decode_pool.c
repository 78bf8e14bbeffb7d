#include "indexer/decode_pool.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "media/media_file.h"

typedef struct job {
    int64_t tag;
    char *path;
    int64_t size, mtime_ns;
    struct job *next;
} job;

struct decode_pool {
    decode_pool_options o;
    pthread_t *threads;
    int n_threads;
    pthread_mutex_t mu;
    pthread_cond_t job_cv, res_cv, space_cv;
    job *head, *tail;
    int finished, stop;
    decode_result **res; /* ring buffer of finished results */
    int rcap, rhead, rcount;
    int pending; /* submitted, not yet handed to the caller */
};

static void hash_hex(const void *b, size_t n, char out[33])
{
    XXH128_hash_t h = XXH3_128bits(b, n);
    snprintf(out, 33, "%016llx%016llx", (unsigned long long)h.high64,
             (unsigned long long)h.low64);
}

/* The image's own size, upright, whatever scale it was decoded at (the
 * JPEG fast path decodes at 1/2 to 1/8 of it): the file's stored size with
 * the EXIF orientation applied, or a DICOM image's Rows x Columns. */
static void original_size(const media_image *m, int *w, int *h)
{
    int sw = m->info.width, sh = m->info.height;
    if (m->dicom && m->dicom->cols > 0 && m->dicom->rows > 0)
        sw = m->dicom->cols, sh = m->dicom->rows;
    else if (m->info.orientation >= 5) /* transposing orientations */
        sw = m->info.height, sh = m->info.width;
    if (sw <= 0 || sh <= 0) sw = m->rgb.width, sh = m->rgb.height;
    *w = sw;
    *h = sh;
}

/* Decodes and preprocesses: DECODE_OK with pixels, DECODE_NOT_IMAGE, or
 * DECODE_FAILED with err. */
static void decode(decode_pool *p, decode_result *r, const uint8_t *b, size_t n)
{
    media_decode_opts o = {
        .max_pixels = p->o.max_pixels,
        .min_short_side = p->o.exact ? 0 : 2 * p->o.prep.shortest_edge,
        .window = p->o.window,
    };
    media_image m;
    int rc = media_decode(b, n, r->path, &o, &m, r->err);
    if (rc == VLM_EUNSUPPORTED && !r->err[0]) r->status = DECODE_NOT_IMAGE;
    if (rc) return;
    r->format = m.format;
    r->info = m.info;
    original_size(&m, &r->width, &r->height);
    r->dicom = m.dicom;
    m.dicom = NULL; /* the result owns the DICOM fields now */
    size_t count = 3 * (size_t)p->o.prep.crop_w * (size_t)p->o.prep.crop_h;
    r->pixels = malloc(count * sizeof(float));
    if (!r->pixels)
        vlm_set_err(r->err, "%s: out of memory for model input", r->path);
    else if (img_preprocess(&m.rgb, &p->o.prep, r->pixels, r->err) == VLM_OK)
        r->status = DECODE_OK;
    media_image_free(&m);
}

static void process(decode_pool *p, decode_result *r)
{
    uint8_t *b = NULL;
    size_t n = 0;
    r->status = DECODE_FAILED;
    if (media_read_file(r->path, p->o.max_file_bytes, &b, &n, r->err)) return;
    hash_hex(b, n, r->hash);
    if (p->o.skip && p->o.skip(r->hash, p->o.user))
        r->status = DECODE_SKIPPED;
    else
        decode(p, r, b, n);
    free(b);
}

static job *take_job(decode_pool *p)
{
    pthread_mutex_lock(&p->mu);
    while (!p->head && !p->finished && !p->stop)
        pthread_cond_wait(&p->job_cv, &p->mu);
    job *j = p->stop ? NULL : p->head;
    if (j) {
        p->head = j->next;
        if (!p->head) p->tail = NULL;
    }
    pthread_mutex_unlock(&p->mu);
    return j;
}

static void put_result(decode_pool *p, decode_result *r)
{
    pthread_mutex_lock(&p->mu);
    while (p->rcount == p->rcap && !p->stop)
        pthread_cond_wait(&p->space_cv, &p->mu);
    if (p->stop) {
        pthread_mutex_unlock(&p->mu);
        decode_result_free(r);
        return;
    }
    p->res[(p->rhead + p->rcount++) % p->rcap] = r;
    pthread_cond_signal(&p->res_cv);
    pthread_mutex_unlock(&p->mu);
}

static void *worker(void *arg)
{
    decode_pool *p = arg;
    job *j;
    while ((j = take_job(p))) {
        decode_result *r = calloc(1, sizeof *r);
        if (r) {
            r->tag = j->tag;
            r->path = j->path;
            r->size = j->size;
            r->mtime_ns = j->mtime_ns;
            process(p, r);
            put_result(p, r);
        } else {
            free(j->path);
        }
        free(j);
    }
    return NULL;
}

int decode_pool_create(const decode_pool_options *opts, decode_pool **out,
                       char *err)
{
    decode_pool *p = calloc(1, sizeof *p);
    if (!p) return VLM_ENOMEM;
    p->o = *opts;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    p->n_threads =
        opts->threads > 0 ? opts->threads : (cores > 0 ? (int)cores : 1);
    p->rcap = opts->queue_cap > 0 ? opts->queue_cap : 4 * p->n_threads;
    p->res = calloc((size_t)p->rcap, sizeof *p->res);
    p->threads = calloc((size_t)p->n_threads, sizeof *p->threads);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->job_cv, NULL);
    pthread_cond_init(&p->res_cv, NULL);
    pthread_cond_init(&p->space_cv, NULL);
    if (!p->res || !p->threads) {
        vlm_set_err(err, "decode pool: out of memory");
        decode_pool_destroy(p);
        return VLM_ENOMEM;
    }
    for (int i = 0; i < p->n_threads; i++) {
        if (pthread_create(&p->threads[i], NULL, worker, p)) {
            p->n_threads = i;
            vlm_set_err(err, "decode pool: cannot start thread");
            decode_pool_destroy(p);
            return VLM_ENOMEM;
        }
    }
    *out = p;
    return VLM_OK;
}

int decode_pool_submit(decode_pool *p, int64_t tag, const char *path,
                       int64_t size, int64_t mtime_ns)
{
    job *j = calloc(1, sizeof *j);
    if (!j || !(j->path = strdup(path))) {
        free(j);
        return VLM_ENOMEM;
    }
    j->tag = tag;
    j->size = size;
    j->mtime_ns = mtime_ns;
    pthread_mutex_lock(&p->mu);
    if (p->tail)
        p->tail->next = j;
    else
        p->head = j;
    p->tail = j;
    p->pending++;
    pthread_cond_signal(&p->job_cv);
    pthread_mutex_unlock(&p->mu);
    return VLM_OK;
}

void decode_pool_finish(decode_pool *p)
{
    pthread_mutex_lock(&p->mu);
    p->finished = 1;
    pthread_cond_broadcast(&p->job_cv);
    pthread_cond_broadcast(&p->res_cv);
    pthread_mutex_unlock(&p->mu);
}

decode_result *decode_pool_next(decode_pool *p)
{
    pthread_mutex_lock(&p->mu);
    while (p->rcount == 0 && !(p->finished && p->pending == 0))
        pthread_cond_wait(&p->res_cv, &p->mu);
    decode_result *r = NULL;
    if (p->rcount) {
        r = p->res[p->rhead];
        p->rhead = (p->rhead + 1) % p->rcap;
        p->rcount--;
        p->pending--;
        pthread_cond_signal(&p->space_cv);
    }
    pthread_mutex_unlock(&p->mu);
    return r;
}

int decode_pool_pending(decode_pool *p)
{
    pthread_mutex_lock(&p->mu);
    int n = p->pending;
    pthread_mutex_unlock(&p->mu);
    return n;
}

void decode_result_free(decode_result *r)
{
    if (!r) return;
    free(r->dicom);
    free(r->path);
    free(r->pixels);
    free(r);
}

void decode_pool_destroy(decode_pool *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->job_cv);
    pthread_cond_broadcast(&p->space_cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->n_threads; i++) pthread_join(p->threads[i], NULL);
    for (int i = 0; i < p->rcount; i++)
        decode_result_free(p->res[(p->rhead + i) % p->rcap]);
    for (job *j = p->head, *nx; j; j = nx) {
        nx = j->next;
        free(j->path);
        free(j);
    }
    pthread_cond_destroy(&p->job_cv);
    pthread_cond_destroy(&p->res_cv);
    pthread_cond_destroy(&p->space_cv);
    pthread_mutex_destroy(&p->mu);
    free(p->res);
    free(p->threads);
    free(p);
}
