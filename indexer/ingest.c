#include "indexer/ingest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define FLUSH_OTHERS          256 /* flush after this many items of any kind */
#define INDEX_SAVE_INTERVAL_S 30.0
#define DEFAULT_BATCH         16

typedef struct writer {
    collection *c;
    vector_index *vi;
    const ingest_encoder *enc;
    ingest_source *src;
    const indexer_options *o;
    indexer_summary *s;
    indexer_summary pend; /* the open batch's counts, kept once committed */
    ingest_item **batch;  /* yielded, waiting for the next flush */
    int n, n_embed, batch_size;
    size_t per;             /* floats per image */
    float *pixels, *embeds; /* batch_size x per, batch_size x dims */
    int64_t written;        /* items committed */
    int64_t retried;        /* REUSE items given back to the source */
    struct timespec t0, last_save;
    char *err;
} writer;

static double since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) +
           1e-9 * (double)(t.tv_nsec - t0->tv_nsec);
}

static int cancelled(const writer *w) { return w->o->cancel && *w->o->cancel; }

void ingest_source_destroy(ingest_source *src)
{
    if (src && src->ops && src->ops->destroy) src->ops->destroy(src->self);
    if (src) *src = (ingest_source){0};
}

/* A failed COMMIT (disk full) may leave the transaction open: end it. */
static int commit_or_rollback(collection *c, int rc, char *err)
{
    if (!rc) rc = collection_commit(c, err);
    if (rc) collection_rollback(c);
    return rc;
}

int ingest_finish_batch(collection *c, vector_index *vi, int rc, char *err)
{
    rc = commit_or_rollback(c, rc, err);
    return rc ? rc : vector_index_sync(vi, err);
}

/* ---- writing one item ------------------------------------------------------ */

static int store_dicom(writer *w, int64_t id, const dicom_header *h)
{
    if (!h) return VLM_OK;
    char window[64] = "";
    if (h->windowed) dicom_window_describe(&h->window, window, sizeof window);
    collection_dicom d = {
        .image_id = id,
        .study_uid = h->study_uid,
        .series_uid = h->series_uid,
        .sop_uid = h->sop_uid,
        .accession = h->accession,
        .modality = h->modality,
        .body_part = h->body_part,
        .study_date = h->study_date,
        .series_description = h->series_description,
        .instance_number = h->instance_number,
        .window = window[0] ? window : NULL,
    };
    return collection_put_dicom(w->c, &d, w->err);
}

static int put_embedded(writer *w, const ingest_item *it, const float *emb)
{
    int64_t id;
    int rc =
        collection_put_image(w->c, &it->info, emb, w->enc->dims, &id, w->err);
    if (!rc) rc = store_dicom(w, id, it->dicom);
    if (!rc) *(it->existing_id ? &w->pend.updated : &w->pend.added) += 1;
    return rc;
}

static int put_failed(writer *w, const ingest_item *it)
{
    w->pend.failed++;
    if (w->o->on_failure)
        w->o->on_failure(w->o->user, it->info.path, it->error);
    return collection_put_failure(w->c, &it->info, it->error, NULL, w->err);
}

/* Move detection: the first embedded row with these bytes whose file
 * vanished from disk. */
static int vanished_row(void *ud, int64_t id, const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 || errno != ENOENT) return 0;
    *(int64_t *)ud = id;
    return 1;
}

/* A copy was not decoded: what the bytes say (size, format, EXIF date and
 * camera) comes from the row it copies. */
static collection_image_info copied_info(writer *w, const ingest_item *it,
                                         int64_t from, collection_image *src)
{
    collection_image_info info = it->info;
    if (collection_get_image(w->c, from, src, NULL) != VLM_OK) return info;
    if (!info.width) info.width = src->width, info.height = src->height;
    if (!info.format || !*info.format) info.format = src->format;
    if (!info.exif_datetime || !*info.exif_datetime)
        info.exif_datetime = src->exif_datetime;
    if (!info.orientation) info.orientation = src->orientation;
    if (!info.camera_make || !*info.camera_make)
        info.camera_make = src->camera_make,
        info.camera_model = src->camera_model;
    return info;
}

/* Copies the vector of the first row holding these bytes; VLM_ENOTFOUND
 * when there is none any more. */
static int copy_vector(writer *w, const ingest_item *it)
{
    int64_t from = 0;
    collection_image src;
    int rc = collection_find_by_hash(w->c, it->info.content_hash, &from, NULL);
    float *emb = rc ? NULL : malloc((size_t)w->enc->dims * sizeof *emb);
    if (!rc && !emb) rc = VLM_ENOMEM;
    if (!rc) rc = collection_get_embedding(w->c, from, emb, w->enc->dims, NULL);
    collection_image_info info = rc ? it->info : copied_info(w, it, from, &src);
    if (!rc)
        rc = collection_put_image(w->c, &info, emb, w->enc->dims, NULL, w->err);
    if (!rc)
        *(from == it->existing_id ? &w->pend.unchanged : &w->pend.copied) += 1;
    free(emb);
    return rc;
}

static int put_reused(writer *w, ingest_item *it, int *retried)
{
    int64_t moved = 0;
    if (!it->existing_id &&
        collection_hash_rows(w->c, it->info.content_hash, vanished_row, &moved,
                             NULL) == 1) {
        w->pend.moved++;
        return collection_move_image(w->c, moved, it->info.path, it->info.root,
                                     it->info.size, it->info.mtime_ns, w->err);
    }
    int rc = copy_vector(w, it);
    if (rc != VLM_ENOTFOUND) return rc;
    /* The row went away meanwhile: the source decodes the file after all. */
    *retried = 1;
    if (w->src->ops->retry) return w->src->ops->retry(w->src->self, it, w->err);
    vlm_set_err(w->err, "%s: its content was indexed but is gone now",
                it->info.path);
    return VLM_ENOTFOUND;
}

static int delete_row(writer *w, int64_t id)
{
    int rc = collection_delete_image(w->c, id, w->err);
    if (rc == VLM_ENOTFOUND) return VLM_OK; /* someone else removed it */
    if (!rc) w->pend.removed++;
    return rc;
}

static int write_item(writer *w, ingest_item *it, int *k, int *retried)
{
    switch (it->kind) {
    case INGEST_EMBED:
        return put_embedded(w, it, w->embeds + (size_t)(*k)++ * w->enc->dims);
    case INGEST_FAIL: return put_failed(w, it);
    case INGEST_REUSE: return put_reused(w, it, retried);
    case INGEST_NOT_IMAGE: w->pend.not_images++; return VLM_OK;
    case INGEST_DELETE: return delete_row(w, it->delete_id);
    }
    return VLM_OK;
}

/* ---- one batch ------------------------------------------------------------- */

/* Encodes the EMBED items' pixels and normalises each vector (the one
 * normalisation on the way in). */
static int encode_batch(writer *w)
{
    int n = 0;
    for (int i = 0; i < w->n; i++)
        if (w->batch[i]->kind == INGEST_EMBED)
            memcpy(w->pixels + w->per * (size_t)n++, w->batch[i]->pixels,
                   w->per * sizeof(float));
    if (!n) return VLM_OK;
    if (w->o->model_lock) pthread_mutex_lock(w->o->model_lock);
    int rc = w->enc->encode(w->enc->self, w->pixels, n, w->embeds, w->err);
    if (w->o->model_lock) pthread_mutex_unlock(w->o->model_lock);
    for (int i = 0; !rc && i < n; i++)
        clip_l2_normalize(w->embeds + (size_t)i * w->enc->dims, w->enc->dims);
    return rc;
}

static void release_batch(writer *w)
{
    for (int i = 0; i < w->n; i++)
        if (w->batch[i]) w->src->ops->release(w->src->self, w->batch[i]);
    w->n = w->n_embed = 0;
}

/* Progress counts committed items, so the rate and ETA reflect encoding,
 * not just decoding; the phase says what the wait is for meanwhile. */
static void report_progress(writer *w, indexer_phase phase, const char *current)
{
    if (!w->o->on_progress) return;
    indexer_progress p = {.done = w->written,
                          .total = w->src->ops->total(w->src->self),
                          .embedded = w->s->added + w->s->updated,
                          .elapsed = since(&w->t0),
                          .current = current,
                          .phase = phase,
                          .found = w->s->seen};
    w->o->on_progress(w->o->user, &p);
}

/* Save the index now and then, so a search during a long run catches up
 * from a recent file instead of replaying the whole run. */
static int maybe_save(writer *w)
{
    if (since(&w->last_save) <= INDEX_SAVE_INTERVAL_S) return VLM_OK;
    clock_gettime(CLOCK_MONOTONIC, &w->last_save);
    return vector_index_save(w->vi, w->err);
}

/* The open batch's counts join the summary once it is committed. */
static void keep_counts(writer *w)
{
    indexer_summary *s = w->s, *p = &w->pend;
    s->added += p->added, s->updated += p->updated;
    s->unchanged += p->unchanged, s->moved += p->moved;
    s->copied += p->copied, s->removed += p->removed;
    s->failed += p->failed, s->not_images += p->not_images;
}

/* Inside the batch transaction: the model row must be there (a writer
 * that bypassed the lock may have reset the collection meanwhile), so no
 * vector is ever committed without the binding it belongs to. */
static int begin_batch(writer *w)
{
    const ingest_encoder *e = w->enc;
    int rc = collection_begin(w->c, w->err);
    if (!rc)
        rc = collection_bind_model(w->c, e->name, e->dims, e->model_id, w->err);
    return rc;
}

/* Encodes, then writes every buffered item in one transaction and lets
 * the vector index catch up. */
static int flush(writer *w)
{
    if (!w->n) return VLM_OK;
    memset(&w->pend, 0, sizeof w->pend);
    if (w->n_embed) report_progress(w, INDEXER_ENCODING, NULL);
    int rc = encode_batch(w);
    if (!rc) rc = begin_batch(w);
    int k = 0, n_written = 0;
    for (int i = 0; !rc && i < w->n; i++) {
        int retried = 0;
        rc = write_item(w, w->batch[i], &k, &retried);
        if (retried && !rc) w->batch[i] = NULL; /* the source has it back */
        w->retried += retried;
        n_written += !retried;
    }
    rc = commit_or_rollback(w->c, rc, w->err);
    if (!rc) keep_counts(w);
    if (!rc) rc = vector_index_sync(w->vi, w->err);
    if (!rc) {
        w->written += n_written;
        report_progress(w, INDEXER_DECODING,
                        w->batch[w->n - 1] ? w->batch[w->n - 1]->info.path
                                           : NULL);
        rc = maybe_save(w);
    }
    release_batch(w);
    return rc;
}

static int add_item(writer *w, ingest_item *it)
{
    w->batch[w->n++] = it;
    w->n_embed += it->kind == INGEST_EMBED;
    report_progress(w, INDEXER_DECODING, it->info.path);
    if (w->n_embed >= w->batch_size || w->n >= FLUSH_OTHERS) return flush(w);
    return VLM_OK;
}

/* Until the source ends and the last flush gave no item back to it. */
static int drain(writer *w)
{
    int rc = VLM_OK, got = INGEST_ITEM;
    ingest_item *it = NULL;
    while (!rc) {
        got = w->src->ops->next(w->src->self, &it, w->err);
        if (got < 0) return got;
        int retried = w->retried;
        rc = got == INGEST_ITEM ? add_item(w, it) : flush(w);
        if (!rc && got == INGEST_END && w->retried == retried) break;
        if (!rc && cancelled(w)) rc = VLM_EINTERRUPTED;
    }
    return rc;
}

/* ---- the run --------------------------------------------------------------- */

static int init_writer(writer *w, const ingest_encoder *enc,
                       const indexer_options *o)
{
    w->batch_size = o->batch_size > 0 ? o->batch_size : DEFAULT_BATCH;
    w->per = 3 * (size_t)enc->prep.crop_w * (size_t)enc->prep.crop_h;
    w->batch = calloc(FLUSH_OTHERS + (size_t)w->batch_size, sizeof *w->batch);
    w->pixels = malloc((size_t)w->batch_size * w->per * sizeof(float));
    w->embeds =
        malloc((size_t)w->batch_size * (size_t)enc->dims * sizeof(float));
    if (w->batch && w->pixels && w->embeds) return VLM_OK;
    vlm_set_err(w->err, "indexer: out of memory");
    return VLM_ENOMEM;
}

int ingest_run(collection *c, vector_index *vi, const ingest_encoder *enc,
               ingest_source *src, const indexer_options *o, indexer_summary *s,
               char *err)
{
    static const indexer_options defaults = {0};
    writer w = {.c = c, .vi = vi, .enc = enc, .src = src, .s = s, .err = err};
    w.o = o ? o : &defaults;
    memset(s, 0, sizeof *s);
    int rc = init_writer(&w, enc, w.o);
    if (!rc)
        rc = collection_bind_model(c, enc->name, enc->dims, enc->model_id, err);
    ingest_context ctx = {.c = c, .prep = &enc->prep, .o = w.o, .s = s};
    clock_gettime(CLOCK_MONOTONIC, &w.t0);
    if (!rc) report_progress(&w, INDEXER_SCANNING, NULL);
    if (!rc) rc = src->ops->start(src->self, &ctx, err);
    clock_gettime(CLOCK_MONOTONIC, &w.t0);
    w.last_save = w.t0;
    if (!rc) rc = drain(&w);
    if (rc == VLM_EINTERRUPTED)
        vlm_set_err(err, "interrupted: work up to the last committed batch is "
                         "kept; run the same command again to finish");
    release_batch(&w);
    int save_rc = vector_index_save(vi, rc ? NULL : err);
    if (!rc) rc = save_rc;
    s->seconds = since(&w.t0);
    free(w.batch);
    free(w.pixels);
    free(w.embeds);
    return rc;
}
