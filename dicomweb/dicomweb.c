/*
 * dicomweb.c — the DICOMweb client and its iterator: QIDO-RS
 * studies → series → instances, each level paged with limit/offset, then
 * WADO-RS rendered frame 1 with a window resolved here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dicomweb/dicomweb_internal.h"
#include "media/media_decode.h"

/* Instance-level fields we ask for on top of the QIDO defaults. */
static const char *const INSTANCE_FIELDS[] = {
    "00080020", "00080050", "0008103E", "00180015", "00280002",
    "00280004", "00280008", "00280101", "00280103", "00281050",
    "00281051", "00281052", "00281053",
};

/* Query keys refused because the URL would carry patient identity. */
static const char *const PATIENT_KEYS[] = {
    "PatientName", "PatientID", "PatientBirthDate", "00100010", "00100020",
    "00100030",    "limit",     "offset",
};

struct dicomweb_client {
    dw_http *http;
    char *query, *accept, *viewport;
    dicom_window window;
    dw_paging paging;
};

struct dicomweb_iter {
    dicomweb_client *c;
    dicomweb_want_fn want;
    void *want_ctx;
    dw_listing studies, series, instances;
    int in_study, in_series; /* a series / instance listing is open */
    char study[65];          /* the open study */
    int failed;
    size_t seen, skipped;
};

/* ---- client ------------------------------------------------------------- */

static int check_query(const char *q, char *err)
{
    if (!q) return VLM_OK;
    for (const char *p = q; *p;) {
        size_t key = strcspn(p, "=&");
        for (size_t i = 0; i < sizeof PATIENT_KEYS / sizeof PATIENT_KEYS[0];
             i++) {
            if (strlen(PATIENT_KEYS[i]) == key &&
                !strncasecmp(p, PATIENT_KEYS[i], key)) {
                vlm_set_err(err, "DICOMweb query: \"%s\" is not allowed (%s)",
                            PATIENT_KEYS[i],
                            i < 6 ? "patient identity must not "
                                    "go into URLs"
                                  : "paging is done by the client");
                return VLM_EINVAL;
            }
        }
        p += strcspn(p, "&");
        if (*p) p++;
    }
    return VLM_OK;
}

static char *dup_or(const char *s, const char *fallback)
{
    return strdup(s && *s ? s : fallback);
}

int dicomweb_client_create(const dicomweb_opts *o, dicomweb_client **out,
                           char *err)
{
    *out = NULL;
    const char *accept = o->accept ? o->accept : "image/png";
    if (strcmp(accept, "image/png") && strcmp(accept, "image/jpeg")) {
        vlm_set_err(err, "DICOMweb: accept must be image/png or image/jpeg");
        return VLM_EINVAL;
    }
    int st = check_query(o->query, err);
    if (st != VLM_OK) return st;
    dicomweb_client *c = calloc(1, sizeof *c);
    if (!c) return VLM_ENOMEM;
    c->window = o->window;
    c->paging = (dw_paging){
        .page_size = o->page_size > 0 ? o->page_size : 100,
        .max_pages = o->max_pages > 0 ? o->max_pages : 1000,
        .max_record = o->max_record_bytes ? o->max_record_bytes : 1u << 20};
    c->query = dup_or(o->query, "");
    c->accept = dup_or(accept, "");
    c->viewport = dup_or(o->viewport, "");
    st = (c->query && c->accept && c->viewport)
             ? dw_http_create(o, &c->http, err)
             : VLM_ENOMEM;
    if (st != VLM_OK) {
        if (st == VLM_ENOMEM) vlm_set_err(err, "DICOMweb: out of memory");
        dicomweb_client_destroy(c);
        return st;
    }
    *out = c;
    return VLM_OK;
}

void dicomweb_client_destroy(dicomweb_client *c)
{
    if (!c) return;
    dw_http_destroy(c->http);
    free(c->query);
    free(c->accept);
    free(c->viewport);
    free(c);
}

dw_http *dicomweb_client_http(dicomweb_client *c) { return c->http; }

/* ---- URLs --------------------------------------------------------------- */

static int url_start(dw_buf *u, const dicomweb_client *c, const char *st,
                     const char *se)
{
    int bad = dw_url_append(u, dw_http_base(c->http), 0);
    bad |= dw_url_append(u, "/studies", 0);
    if (st) {
        bad |= dw_url_append(u, "/", 0);
        bad |= dw_url_append(u, st, 1);
    }
    if (se) {
        bad |= dw_url_append(u, "/series/", 0);
        bad |= dw_url_append(u, se, 1);
    }
    return bad;
}

/* The URL of a listing, up to where limit= goes. */
static int listing_url(const dicomweb_client *c, const char *st, const char *se,
                       dw_buf *u)
{
    int bad = url_start(u, c, st, se);
    if (se) {
        bad |= dw_url_append(u, "/instances?", 0);
        for (size_t i = 0;
             i < sizeof INSTANCE_FIELDS / sizeof INSTANCE_FIELDS[0]; i++) {
            bad |= dw_url_append(u, "includefield=", 0);
            bad |= dw_url_append(u, INSTANCE_FIELDS[i], 0);
            bad |= dw_url_append(u, "&", 0);
        }
    } else if (st) {
        bad |= dw_url_append(u, "/series?", 0);
    } else {
        bad |= dw_url_append(u, "?", 0);
        if (c->query[0])
            bad |= dw_url_append(u, c->query, 0) | dw_url_append(u, "&", 0);
    }
    return bad;
}

static int open_listing(dicomweb_iter *it, dw_listing *l, const char *name,
                        const char *tag, const char *st, const char *se,
                        char *err)
{
    dw_buf url = {0};
    int rc = listing_url(it->c, st, se, &url)
                 ? VLM_ENOMEM
                 : dw_listing_start(l, name, tag, url.data);
    dw_buf_free(&url);
    if (rc) vlm_set_err(err, "DICOMweb: out of memory");
    return rc;
}

/* Next instance record across all studies and series: the open instance
 * listing, else the next series of the open study, else the next study. */
static int next_record(dicomweb_iter *it, const dw_record **rec, char *err)
{
    const dw_paging *pg = &it->c->paging;
    dw_http *h = it->c->http;
    for (;;) {
        size_t i;
        int rc;
        if (it->in_series) {
            rc = dw_listing_next(&it->instances, h, pg, &i, err);
            if (rc == 1) *rec = &it->instances.page.recs[i];
            if (rc != 0) return rc;
            it->in_series = 0;
        }
        if (it->in_study) {
            rc = dw_listing_next(&it->series, h, pg, &i, err);
            if (rc < 0) return rc;
            if (rc == 1) {
                rc = open_listing(it, &it->instances, "instances", NULL,
                                  it->study, it->series.page.uids[i], err);
                if (rc) return rc;
                it->in_series = 1;
                continue;
            }
            it->in_study = 0;
        }
        rc = dw_listing_next(&it->studies, h, pg, &i, err);
        if (rc <= 0) return rc;
        memcpy(it->study, it->studies.page.uids[i], sizeof it->study);
        rc = open_listing(it, &it->series, "series", "0020000E", it->study,
                          NULL, err);
        if (rc) return rc;
        it->in_study = 1;
    }
}

/* ---- rendering ---------------------------------------------------------- */

/* Documents, not pictures (our own SRs among them): never rendered. */
static int is_document(const dw_record *r)
{
    static const char *const kinds[] = {"SR", "KO", "PR", "DOC"};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(r->hdr.modality, kinds[i])) return 1;
    return !strncmp(r->hdr.sop_class_uid, "1.2.840.10008.5.1.4.1.1.88.", 27);
}

static int is_colour(const dw_record *r)
{
    return r->samples == 3 || !strncmp(r->hdr.photometric, "RGB", 3) ||
           !strncmp(r->hdr.photometric, "YBR", 3) ||
           !strncmp(r->hdr.photometric, "PALETTE", 7);
}

static void choose_window(const dicomweb_client *c, const dw_record *r,
                          dicom_header *h)
{
    if (is_colour(r)) return; /* windowed stays 0 */
    dicom_window_context ctx = {.has_stored = r->has_stored,
                                .stored_center = r->stored_center,
                                .stored_width = r->stored_width};
    snprintf(ctx.modality, sizeof ctx.modality, "%s", r->hdr.modality);
    snprintf(ctx.body_part, sizeof ctx.body_part, "%s", r->hdr.body_part);
    int bits = r->bits_stored > 0 && r->bits_stored <= 32 ? r->bits_stored : 16;
    double lo = r->is_signed ? -(double)(1ull << (bits - 1)) : 0;
    double hi = r->is_signed ? (double)(1ull << (bits - 1)) - 1
                             : (double)((1ull << bits) - 1);
    double a = lo * r->slope + r->intercept, b = hi * r->slope + r->intercept;
    ctx.range_lo = a < b ? a : b;
    ctx.range_hi = a < b ? b : a;
    dicom_window_resolve(&c->window, &ctx, &h->window);
    h->windowed = 1;
}

/* The rendered frame is bytes from the network: decoded like any file. */
static int decode_frame(const dw_buf *body, const char *sop_uid,
                        dicomweb_item *item)
{
    media_image m;
    int rc =
        media_decode(body->data, body->len, sop_uid, NULL, &m, item->error);
    if (rc == VLM_EUNSUPPORTED)
        vlm_set_err(item->error,
                    "DICOMweb instance %s: rendered answer is no image we "
                    "read (%zu bytes)",
                    sop_uid, body->len);
    if (rc) return rc == VLM_EUNSUPPORTED ? VLM_EFORMAT : rc;
    item->image = m.rgb; /* the item owns the pixels now */
    m.rgb = (img_rgb){0};
    media_image_free(&m);
    return VLM_OK;
}

static int render(dicomweb_iter *it, dicomweb_item *item, char *err)
{
    const dicomweb_client *c = it->c;
    dicom_header *h = &item->hdr;
    dw_buf url = {0}, body = {0};
    int bad = url_start(&url, c, h->study_uid, h->series_uid);
    bad |= dw_url_append(&url, "/instances/", 0) |
           dw_url_append(&url, h->sop_uid, 1);
    bad |= dw_url_append(&url, "/frames/1/rendered", 0);
    char q[160] = "";
    if (h->windowed)
        snprintf(q, sizeof q, "?window=%.10g,%.10g,linear", h->window.center,
                 h->window.width);
    bad |= dw_url_append(&url, q, 0);
    if (c->viewport[0]) {
        bad |= dw_url_append(&url, q[0] ? "&viewport=" : "?viewport=", 0);
        bad |= dw_url_append(&url, c->viewport, 1);
    }
    long code = 0;
    static const char *const image_types[] = {"image/", NULL};
    int rc = bad ? VLM_ENOMEM
                 : dw_http_get_buffer(c->http, url.data, c->accept, image_types,
                                      &body, &code, NULL, 0, item->error);
    if (rc == VLM_OK) rc = decode_frame(&body, h->sop_uid, item);
    dw_buf_free(&url);
    dw_buf_free(&body);
    item->status = rc;
    /* A stop, refused credentials or an unreachable server end the walk. */
    if (rc != VLM_OK &&
        (code == 401 || code == 403 || (rc == VLM_ENETWORK && code == 0) ||
         rc == VLM_EINTERRUPTED ||
         dw_http_check_stop(c->http, "rendering", NULL) != VLM_OK)) {
        vlm_set_err(err, "%s", item->error);
        return rc;
    }
    return VLM_OK;
}

/* ---- iterator ----------------------------------------------------------- */

int dicomweb_iter_create(dicomweb_client *c, dicomweb_want_fn want,
                         void *want_ctx, dicomweb_iter **out, char *err)
{
    *out = calloc(1, sizeof **out);
    if (!*out) {
        vlm_set_err(err, "DICOMweb: out of memory");
        return VLM_ENOMEM;
    }
    (*out)->c = c;
    (*out)->want = want;
    (*out)->want_ctx = want_ctx;
    return open_listing(*out, &(*out)->studies, "studies", "0020000D", NULL,
                        NULL, err);
}

void dicomweb_item_clear(dicomweb_item *item)
{
    img_rgb_free(&item->image);
    memset(item, 0, sizeof *item);
}

int dicomweb_iter_next(dicomweb_iter *it, dicomweb_item *item, char *err)
{
    dicomweb_item_clear(item);
    if (it->failed) {
        vlm_set_err(err, "DICOMweb: iterator already failed");
        return VLM_EINVAL;
    }
    for (;;) {
        const dw_record *rec = NULL;
        int rc = next_record(it, &rec, err);
        if (rc <= 0) {
            it->failed = rc < 0;
            return rc;
        }
        if (is_document(rec)) continue;
        it->seen++;
        item->hdr = rec->hdr;
        if (it->want && !it->want(it->want_ctx, &item->hdr)) {
            it->skipped++;
            memset(&item->hdr, 0, sizeof item->hdr);
            continue;
        }
        choose_window(it->c, rec, &item->hdr);
        rc = render(it, item, err);
        if (rc != VLM_OK) {
            dicomweb_item_clear(item);
            it->failed = 1;
            return rc;
        }
        return 1;
    }
}

size_t dicomweb_iter_seen(const dicomweb_iter *it) { return it->seen; }
size_t dicomweb_iter_skipped(const dicomweb_iter *it) { return it->skipped; }

void dicomweb_iter_destroy(dicomweb_iter *it)
{
    if (!it) return;
    dw_listing_free(&it->studies);
    dw_listing_free(&it->series);
    dw_listing_free(&it->instances);
    free(it);
}
