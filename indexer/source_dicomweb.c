#include "indexer/source_dicomweb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "indexer/shard.h"

typedef struct web_item {
    ingest_item item; /* first: the writer's pointer is ours */
    dicomweb_item dw;
    char url[2048];
    float *pixels;
} web_item;

typedef struct web_source {
    const dicomweb_opts *web;
    ingest_context ctx;
    char base[1024]; /* base URL without the dicomweb+ prefix */
    dicomweb_client *client;
    dicomweb_iter *iter;
    shard_spec shard; /* the collection's slice, by SOP Instance UID */
} web_source;

/* Skip instances of other shards and those already indexed. */
static int want_new(void *self, const dicom_header *hdr)
{
    web_source *w = self;
    if (!shard_contains(&w->shard, hdr->sop_uid, strlen(hdr->sop_uid))) {
        w->ctx.s->other_shards++;
        return 0;
    }
    int known = collection_has_sop_uid(w->ctx.c, hdr->sop_uid, NULL) == 1;
    if (known) w->ctx.s->unchanged++;
    return !known;
}

static int web_start(void *self, const ingest_context *ctx, char *err)
{
    web_source *w = self;
    w->ctx = *ctx;
    int rc = shard_get(ctx->c, &w->shard, err);
    if (!rc) rc = dicomweb_client_create(w->web, &w->client, err);
    if (!rc) rc = dicomweb_iter_create(w->client, want_new, w, &w->iter, err);
    return rc;
}

static void web_release(void *self, ingest_item *item)
{
    (void)self;
    web_item *wi = (web_item *)item;
    dicomweb_item_clear(&wi->dw);
    free(wi->pixels);
    free(wi);
}

/* The rendered frame as model input; a frame that cannot be prepared
 * fails this instance only. */
static void prepare(web_source *w, web_item *wi)
{
    const img_prep_params *p = w->ctx.prep;
    size_t n = 3 * (size_t)p->crop_w * (size_t)p->crop_h;
    wi->pixels = malloc(n * sizeof *wi->pixels);
    int rc = wi->pixels
                 ? img_preprocess(&wi->dw.image, p, wi->pixels, wi->dw.error)
                 : VLM_ENOMEM;
    if (rc == VLM_ENOMEM && !wi->pixels)
        vlm_set_err(wi->dw.error, "%s: out of memory for model input", wi->url);
    wi->dw.status = rc;
}

/* The stored size is the instance's Columns x Rows (the server may render
 * the frame at another size); the rendered frame's when they are absent. */
static void fill_item(web_source *w, web_item *wi)
{
    const dicom_header *h = &wi->dw.hdr;
    snprintf(wi->url, sizeof wi->url, "%s/studies/%s/series/%s/instances/%s",
             w->base, h->study_uid, h->series_uid, h->sop_uid);
    if (wi->dw.status == VLM_OK) prepare(w, wi);
    int ok = wi->dw.status == VLM_OK;
    wi->item = (ingest_item){
        .kind = ok ? INGEST_EMBED : INGEST_FAIL,
        .info = {.path = wi->url,
                 .root = w->base,
                 .sop_uid = h->sop_uid,
                 .width = h->cols > 0 ? h->cols : wi->dw.image.width,
                 .height = h->rows > 0 ? h->rows : wi->dw.image.height,
                 .format = "dicomweb"},
        .pixels = wi->pixels,
        .dicom = ok ? h : NULL,
        .error = wi->dw.error,
    };
}

static int web_next(void *self, ingest_item **out, char *err)
{
    web_source *w = self;
    web_item *wi = calloc(1, sizeof *wi);
    if (!wi) {
        vlm_set_err(err, "DICOMweb: out of memory");
        return VLM_ENOMEM;
    }
    int rc = dicomweb_iter_next(w->iter, &wi->dw, err);
    if (rc != 1) {
        web_release(w, &wi->item);
        return rc; /* INGEST_END, or the error that ended the walk */
    }
    w->ctx.s->seen++;
    fill_item(w, wi);
    *out = &wi->item;
    return INGEST_ITEM;
}

static int64_t web_total(void *self)
{
    const web_source *w = self;
    return w->iter ? (int64_t)(dicomweb_iter_seen(w->iter) -
                               dicomweb_iter_skipped(w->iter))
                   : 0;
}

static void web_destroy(void *self)
{
    web_source *w = self;
    if (!w) return;
    dicomweb_iter_destroy(w->iter);
    dicomweb_client_destroy(w->client);
    free(w);
}

static const ingest_source_ops web_ops = {
    .start = web_start,
    .next = web_next,
    .release = web_release,
    .total = web_total,
    .destroy = web_destroy,
};

int dicomweb_source_create(const dicomweb_opts *web, ingest_source *out,
                           char *err)
{
    web_source *w = calloc(1, sizeof *w);
    if (!w) {
        vlm_set_err(err, "DICOMweb: out of memory");
        return VLM_ENOMEM;
    }
    w->web = web;
    const char *url = web->base_url ? web->base_url : "";
    snprintf(w->base, sizeof w->base, "%s",
             strncmp(url, "dicomweb+", 9) ? url : url + 9);
    *out = (ingest_source){&web_ops, w};
    return VLM_OK;
}
