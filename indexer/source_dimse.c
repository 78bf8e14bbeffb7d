#include "indexer/source_dimse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct dimse_ingest_item {
    ingest_item item; /* first: the writer's pointer is ours */
    dimse_item di;
    char url[512];
    float *pixels;
} dimse_ingest_item;

typedef struct dimse_source {
    const dimse_opts *opts;
    ingest_context ctx;
    char root[300]; /* dimse://AE@host:port */
    dimse_client *client;
    dimse_iter *iter;
} dimse_source;

static int want_new(void *self, const char *sop_uid)
{
    dimse_source *s = self;
    int known = collection_has_sop_uid(s->ctx.c, sop_uid, NULL) == 1;
    if (known) s->ctx.s->unchanged++;
    return !known;
}

static int dimse_start(void *self, const ingest_context *ctx, char *err)
{
    dimse_source *s = self;
    s->ctx = *ctx;
    int rc = dimse_client_create(s->opts, &s->client, err);
    if (!rc) rc = dimse_iter_create(s->client, want_new, s, &s->iter, err);
    return rc;
}

static void dimse_release(void *self, ingest_item *item)
{
    (void)self;
    dimse_ingest_item *d = (dimse_ingest_item *)item;
    dimse_item_clear(&d->di);
    free(d->pixels);
    free(d);
}

/* The decoded frame as model input; failing that fails this item only. */
static void prepare(dimse_source *s, dimse_ingest_item *d)
{
    const img_prep_params *p = s->ctx.prep;
    size_t n = 3 * (size_t)p->crop_w * (size_t)p->crop_h;
    d->pixels = malloc(n * sizeof *d->pixels);
    int rc = d->pixels ? img_preprocess(&d->di.image, p, d->pixels, d->di.error)
                       : VLM_ENOMEM;
    if (rc == VLM_ENOMEM && !d->pixels)
        vlm_set_err(d->di.error, "%s: out of memory for model input", d->url);
    d->di.status = rc;
}

static void fill_item(dimse_source *s, dimse_ingest_item *d)
{
    const dicom_header *h = &d->di.hdr;
    dimse_instance_url(s->client, h->study_uid, h->series_uid, h->sop_uid,
                       d->url, sizeof d->url);
    if (d->di.status == VLM_OK) prepare(s, d);
    int ok = d->di.status == VLM_OK;
    d->item = (ingest_item){
        .kind = ok ? INGEST_EMBED : INGEST_FAIL,
        .info = {.path = d->url,
                 .root = s->root,
                 .sop_uid = h->sop_uid,
                 .width = d->di.image.width,
                 .height = d->di.image.height,
                 .format = "dicom"},
        .pixels = d->pixels,
        .dicom = ok ? h : NULL,
        .error = d->di.error,
    };
}

static int dimse_next(void *self, ingest_item **out, char *err)
{
    dimse_source *s = self;
    dimse_ingest_item *d = calloc(1, sizeof *d);
    if (!d) {
        vlm_set_err(err, "DIMSE: out of memory");
        return VLM_ENOMEM;
    }
    int rc = dimse_iter_next(s->iter, &d->di, err);
    if (rc != 1) {
        dimse_release(s, &d->item);
        return rc; /* INGEST_END, or the error that ended the walk */
    }
    s->ctx.s->seen++;
    fill_item(s, d);
    *out = &d->item;
    return INGEST_ITEM;
}

static int64_t dimse_total(void *self)
{
    const dimse_source *s = self;
    return s->iter ? (int64_t)(dimse_iter_total(s->iter) -
                               dimse_iter_skipped(s->iter))
                   : 0;
}

static void dimse_destroy(void *self)
{
    dimse_source *s = self;
    if (!s) return;
    dimse_iter_destroy(s->iter);
    dimse_client_destroy(s->client);
    free(s);
}

static const ingest_source_ops dimse_ops = {
    .start = dimse_start,
    .next = dimse_next,
    .release = dimse_release,
    .total = dimse_total,
    .destroy = dimse_destroy,
};

int dimse_source_create(const dimse_opts *opts, ingest_source *out, char *err)
{
    dimse_source *s = calloc(1, sizeof *s);
    if (!s) {
        vlm_set_err(err, "DIMSE: out of memory");
        return VLM_ENOMEM;
    }
    s->opts = opts;
    const char *url = opts->url ? opts->url : "";
    snprintf(s->root, sizeof s->root, "%.*s", (int)strcspn(url, "?"), url);
    *out = (ingest_source){&dimse_ops, s};
    return VLM_OK;
}
