/*
 * dicomweb_listing.c — one paged QIDO listing (studies, a study's series,
 * a series' instances) and the rules that make it end: a short page, a
 * page that repeats what the listing gave already, a page longer than
 * limit (the server ignores paging), or the page cap.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dicomweb/dicomweb_internal.h"

#define MIN_ANSWER_CAP 10000 /* results one answer may hold */

static const char *const QIDO_TYPES[] = {"application/dicom+json",
                                         "application/json", NULL};

int dw_listing_start(dw_listing *l, const char *name, const char *tag,
                     const char *url_prefix)
{
    dw_listing_free(l);
    l->name = name;
    l->page.tag = tag;
    l->more = 1;
    return dw_url_append(&l->prefix, url_prefix, 0) ? VLM_ENOMEM : VLM_OK;
}

void dw_listing_free(dw_listing *l)
{
    dw_buf_free(&l->prefix);
    dw_page_free(&l->page);
    dw_uid_set_clear(&l->seen);
    memset(l, 0, sizeof *l);
}

typedef struct qido_sink {
    dw_qido_stream *s;
    dw_page *page;
} qido_sink;

static void qido_reset(void *ctx)
{
    qido_sink *q = ctx;
    dw_qido_stream_reset(q->s);
    dw_page_reset(q->page);
}

static int qido_write(void *ctx, const char *p, size_t n, char *err)
{
    return dw_qido_stream_feed(((qido_sink *)ctx)->s, p, n, err);
}

/* GET one page into l->page, read as it arrives. */
static int get_page(dw_listing *l, dw_http *h, const dw_paging *cfg, char *err)
{
    dw_buf url = {0};
    char page[64];
    snprintf(page, sizeof page, "limit=%d&offset=%zu", cfg->page_size,
             l->offset);
    size_t cap = 2 * (size_t)cfg->page_size;
    l->page.max = cap > MIN_ANSWER_CAP ? cap : MIN_ANSWER_CAP;
    qido_sink q = {.page = &l->page};
    int rc = dw_url_append(&url, l->prefix.data, 0) ||
                     dw_url_append(&url, page, 0) ||
                     dw_qido_stream_create(cfg->max_record, dw_page_add,
                                           &l->page, &q.s)
                 ? VLM_ENOMEM
                 : VLM_OK;
    if (rc == VLM_ENOMEM) vlm_set_err(err, "DICOMweb: out of memory");
    dw_sink sink = {qido_reset, qido_write, &q, QIDO_TYPES};
    long code = 0;
    if (rc == VLM_OK)
        rc = dw_http_get(h, url.data, "application/dicom+json", &sink, &code,
                         NULL, 0, err);
    if (rc == VLM_OK) rc = dw_qido_stream_finish(q.s, err);
    dw_qido_stream_destroy(q.s);
    dw_buf_free(&url);
    return rc;
}

/* Keeps the results whose UID the listing has not given before; returns
 * how many were dropped, or -1 out of memory. */
static long keep_fresh(dw_listing *l)
{
    dw_page *p = &l->page;
    size_t kept = 0;
    for (size_t i = 0; i < p->n; i++) {
        int added = dw_uid_set_add(&l->seen, dw_page_uid(p, i));
        if (added < 0) return -1;
        if (!added) continue;
        if (kept != i && p->tag) memcpy(p->uids[kept], p->uids[i], 65);
        if (kept != i && !p->tag) p->recs[kept] = p->recs[i];
        kept++;
    }
    long dropped = (long)(p->n - kept);
    p->n = kept;
    return dropped;
}

/* Whether another page is worth asking for, noting unusual stops. */
static void decide_more(dw_listing *l, dw_http *h, const dw_paging *cfg,
                        long repeated)
{
    size_t got = l->page.objects, limit = (size_t)cfg->page_size;
    l->more = 0;
    if (repeated > 0)
        dw_http_note(h,
                     "paging %s stopped: page %d (offset %zu) repeats %ld "
                     "result(s) already seen; the server ignores offset",
                     l->name, l->pages, l->offset, repeated);
    else if (got > limit)
        dw_http_note(h,
                     "paging %s stopped: the server sent %zu results for "
                     "limit=%zu; it ignores paging, so that answer is "
                     "taken as the whole list",
                     l->name, got, limit);
    else if (got == limit && l->pages >= cfg->max_pages)
        dw_http_note(h,
                     "paging %s stopped after %d pages (the maximum); more "
                     "results may exist",
                     l->name, l->pages);
    else
        l->more = got == limit;
    l->offset += got;
}

int dw_listing_next(dw_listing *l, dw_http *h, const dw_paging *cfg,
                    size_t *idx, char *err)
{
    while (l->next >= l->page.n) {
        if (!l->more) return 0;
        l->next = 0;
        int rc = get_page(l, h, cfg, err);
        if (rc != VLM_OK) return rc;
        l->pages++;
        long repeated = keep_fresh(l);
        if (repeated < 0) {
            vlm_set_err(err, "DICOMweb: out of memory");
            return VLM_ENOMEM;
        }
        decide_more(l, h, cfg, repeated);
    }
    *idx = l->next++;
    return 1;
}
