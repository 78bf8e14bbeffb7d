#include "indexer/dicomweb_index.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "indexer/dicom_files.h"

typedef struct web_run {
    collection *c;
    vector_index *vi;
    clip_model *m;
    const indexer_options *o;
    indexer_summary *s;
    char base[1024]; /* base URL without the dicomweb+ prefix */
    int batch_size, dims, side;
    dicomweb_item *items; /* rendered instances waiting for a batch */
    float *pixels, *embeds;
    int n;
    char *err;
} web_run;

/* Skip instances whose SOP Instance UID is already indexed. */
static int want_new(void *ctx, const dicom_header *hdr)
{
    web_run *r = ctx;
    int known = collection_has_sop_uid(r->c, hdr->sop_uid, NULL) == 1;
    if (known) r->s->unchanged++;
    return !known;
}

static void instance_url(const web_run *r, const dicom_header *h, char *out,
                         size_t n)
{
    snprintf(out, n, "%s/studies/%s/series/%s/instances/%s", r->base,
             h->study_uid, h->series_uid, h->sop_uid);
}

static int put_item(web_run *r, dicomweb_item *it, const float *emb)
{
    char url[2048];
    instance_url(r, &it->hdr, url, sizeof url);
    collection_image_info ci = {.path = url,
                                .root = r->base,
                                .width = it->image.width,
                                .height = it->image.height,
                                .format = "dicomweb",
                                .sop_uid = it->hdr.sop_uid};
    int64_t id;
    if (!emb) {
        r->s->failed++;
        if (r->o->on_failure) r->o->on_failure(r->o->user, url, it->error);
        return collection_put_failure(r->c, &ci, it->error, NULL, r->err);
    }
    int rc = collection_put_image(r->c, &ci, emb, r->dims, &id, r->err);
    if (!rc) rc = dicom_files_store(r->c, id, &it->hdr, r->err);
    r->s->added += !rc;
    return rc;
}

static int flush(web_run *r)
{
    size_t per = 3 * (size_t)r->side * (size_t)r->side;
    int k = 0, rc = VLM_OK;
    for (int i = 0; i < r->n && !rc; i++)
        if (r->items[i].status == VLM_OK)
            rc = img_preprocess(&r->items[i].image, clip_prep_params(r->m),
                                r->pixels + per * (size_t)k++, r->err);
    if (!rc && k)
        rc = clip_encode_images(r->m, r->pixels, k, r->embeds, NULL, NULL, NULL,
                                r->err);
    for (int i = 0; !rc && i < k; i++)
        clip_l2_normalize(r->embeds + (size_t)i * r->dims, r->dims);
    if (!rc) rc = collection_begin(r->c, r->err);
    k = 0;
    for (int i = 0; !rc && i < r->n; i++)
        rc = put_item(r, &r->items[i],
                      r->items[i].status == VLM_OK
                          ? r->embeds + (size_t)k++ * r->dims
                          : NULL);
    rc = indexer_finish_batch(r->c, r->vi, rc, r->err);
    for (int i = 0; i < r->n; i++) dicomweb_item_clear(&r->items[i]);
    r->n = 0;
    return rc;
}

static int fetch_all(web_run *r, dicomweb_iter *it)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = VLM_OK, got;
    while (!rc &&
           (got = dicomweb_iter_next(it, &r->items[r->n], r->err)) == 1) {
        r->s->seen++;
        r->n++;
        if (r->o->on_progress) {
            clock_gettime(CLOCK_MONOTONIC, &t);
            indexer_progress p = {r->s->seen, (int64_t)dicomweb_iter_seen(it),
                                  r->s->added, (double)(t.tv_sec - t0.tv_sec),
                                  NULL};
            r->o->on_progress(r->o->user, &p);
        }
        if (r->n == r->batch_size) rc = flush(r);
        if (!rc && r->o->cancel && *r->o->cancel) rc = VLM_EINTERRUPTED;
    }
    if (!rc && got < 0) rc = got;
    if (!rc) rc = flush(r);
    return rc;
}

int dicomweb_index(collection *c, vector_index *vi, clip_model *m,
                   const dicomweb_opts *web, const indexer_options *o,
                   indexer_summary *s, char *err)
{
    web_run r = {.c = c, .vi = vi, .m = m, .o = o, .s = s, .err = err};
    memset(s, 0, sizeof *s);
    const char *url = web->base_url;
    snprintf(r.base, sizeof r.base, "%s",
             strncmp(url, "dicomweb+", 9) ? url : url + 9);
    r.batch_size = o->batch_size > 0 ? o->batch_size : 16;
    r.dims = clip_embed_dim(m);
    r.side = clip_image_size(m);
    r.items = calloc((size_t)r.batch_size, sizeof *r.items);
    r.pixels = malloc((size_t)r.batch_size * 3 * (size_t)r.side *
                      (size_t)r.side * sizeof(float));
    r.embeds = malloc((size_t)r.batch_size * (size_t)r.dims * sizeof(float));
    dicomweb_client *cl = NULL;
    dicomweb_iter *it = NULL;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = r.items && r.pixels && r.embeds ? VLM_OK : VLM_ENOMEM;
    if (!rc)
        rc = collection_bind_model(c, clip_model_name(m), r.dims,
                                   clip_model_id(m), err);
    if (!rc) rc = dicomweb_client_create(web, &cl, err);
    if (!rc) rc = dicomweb_iter_create(cl, want_new, &r, &it, err);
    if (!rc) rc = fetch_all(&r, it);
    if (rc == VLM_EINTERRUPTED)
        vlm_set_err(err, "interrupted: instances up to the last committed "
                         "batch are kept; run again to continue");
    int save = vector_index_save(vi, rc ? NULL : err);
    rc = rc ? rc : save;
    for (int i = 0; i < r.n; i++) dicomweb_item_clear(&r.items[i]);
    dicomweb_iter_destroy(it);
    dicomweb_client_destroy(cl);
    free(r.items);
    free(r.pixels);
    free(r.embeds);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    s->seconds = (double)(t1.tv_sec - t0.tv_sec) +
                 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    return rc;
}
