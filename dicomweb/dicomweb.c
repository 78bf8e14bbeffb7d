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
    int page_size;
};

typedef struct uid_level {
    char (*uids)[65];
    size_t n, next, offset;
    int more; /* another page may exist */
} uid_level;

struct dicomweb_iter {
    dicomweb_client *c;
    dicomweb_want_fn want;
    void *want_ctx;
    uid_level studies, series;
    char cur_study[65], cur_series[65]; /* "" = none chosen yet */
    dw_record *recs;
    size_t n_recs, next_rec, rec_offset;
    int recs_more;
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
    c->page_size = o->page_size > 0 ? o->page_size : 100;
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

static int url_page(dw_buf *u, const dicomweb_client *c, size_t offset)
{
    char page[64];
    snprintf(page, sizeof page, "limit=%d&offset=%zu", c->page_size, offset);
    return dw_url_append(u, page, 0);
}

/* ---- paging ------------------------------------------------------------- */

static int get_json(dicomweb_iter *it, const char *url, dw_buf *body, char *err)
{
    long code;
    return dw_http_get(it->c->http, url, "application/dicom+json", body, &code,
                       NULL, 0, err);
}

/* Next UID of a level, fetching the next page when needed.
 * 1 = *uid set, 0 = level exhausted, <0 = error. */
static int next_uid(dicomweb_iter *it, uid_level *lv, const char *tag,
                    const char *st, const char *query, const char **uid,
                    char *err)
{
    while (lv->next >= lv->n) {
        if (!lv->more) return 0;
        dw_buf url = {0}, body = {0};
        int bad = url_start(&url, it->c, st, NULL);
        bad |= dw_url_append(&url, st ? "/series?" : "?", 0);
        if (query && *query)
            bad |= dw_url_append(&url, query, 0) | dw_url_append(&url, "&", 0);
        bad |= url_page(&url, it->c, lv->offset);
        int rc = bad ? VLM_ENOMEM : get_json(it, url.data, &body, err);
        free(lv->uids);
        lv->uids = NULL;
        lv->n = lv->next = 0;
        if (rc == VLM_OK)
            rc = dw_json_uids(body.data, body.len, tag, &lv->uids, &lv->n, err);
        dw_buf_free(&url);
        dw_buf_free(&body);
        if (rc != VLM_OK) return rc;
        lv->offset += lv->n;
        lv->more = lv->n == (size_t)it->c->page_size;
    }
    *uid = lv->uids[lv->next++];
    return 1;
}

static void level_reset(uid_level *lv)
{
    free(lv->uids);
    memset(lv, 0, sizeof *lv);
    lv->more = 1;
}

static int fetch_instances(dicomweb_iter *it, const char *st, const char *se,
                           char *err)
{
    dw_buf url = {0}, body = {0};
    int bad = url_start(&url, it->c, st, se);
    bad |= dw_url_append(&url, "/instances?", 0);
    for (size_t i = 0; i < sizeof INSTANCE_FIELDS / sizeof INSTANCE_FIELDS[0];
         i++) {
        bad |= dw_url_append(&url, "includefield=", 0);
        bad |= dw_url_append(&url, INSTANCE_FIELDS[i], 0);
        bad |= dw_url_append(&url, "&", 0);
    }
    bad |= url_page(&url, it->c, it->rec_offset);
    int rc = bad ? VLM_ENOMEM : get_json(it, url.data, &body, err);
    free(it->recs);
    it->recs = NULL;
    it->n_recs = it->next_rec = 0;
    if (rc == VLM_OK)
        rc =
            dw_json_instances(body.data, body.len, &it->recs, &it->n_recs, err);
    dw_buf_free(&url);
    dw_buf_free(&body);
    if (rc != VLM_OK) return rc;
    it->rec_offset += it->n_recs;
    it->recs_more = it->n_recs == (size_t)it->c->page_size;
    return VLM_OK;
}

/* Next instance record across all studies and series: drain the instance
 * page, then the next instance page of this series, then the next series,
 * then the next study. */
static int next_record(dicomweb_iter *it, const dw_record **rec, char *err)
{
    for (;;) {
        if (it->next_rec < it->n_recs) {
            *rec = &it->recs[it->next_rec++];
            return 1;
        }
        int rc;
        if (it->cur_series[0] && it->recs_more) {
            if ((rc = fetch_instances(it, it->cur_study, it->cur_series,
                                      err)) != VLM_OK)
                return rc;
            continue;
        }
        const char *uid;
        it->cur_series[0] = '\0';
        rc = it->cur_study[0] ? next_uid(it, &it->series, "0020000E",
                                         it->cur_study, NULL, &uid, err)
                              : 0;
        if (rc < 0) return rc;
        if (rc == 1) {
            snprintf(it->cur_series, sizeof it->cur_series, "%s", uid);
            it->rec_offset = 0;
            it->recs_more = 1;
            continue;
        }
        rc = next_uid(it, &it->studies, "0020000D", NULL, it->c->query, &uid,
                      err);
        if (rc <= 0) return rc;
        snprintf(it->cur_study, sizeof it->cur_study, "%s", uid);
        level_reset(&it->series);
    }
}

/* ---- rendering ---------------------------------------------------------- */

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
    char ctype[128];
    int rc = bad ? VLM_ENOMEM
                 : dw_http_get(c->http, url.data, c->accept, &body, &code,
                               ctype, sizeof ctype, item->error);
    if (rc == VLM_OK && strncmp(ctype, "image/", 6)) {
        vlm_set_err(item->error,
                    "DICOMweb instance %s: rendered answer has "
                    "Content-Type \"%s\", not an image",
                    h->sop_uid, ctype);
        rc = VLM_EFORMAT;
    }
    if (rc == VLM_OK) rc = decode_frame(&body, h->sop_uid, item);
    dw_buf_free(&url);
    dw_buf_free(&body);
    item->status = rc;
    /* Refused credentials or an unreachable server end the whole walk. */
    if (rc != VLM_OK &&
        (code == 401 || code == 403 || (rc == VLM_ENETWORK && code == 0))) {
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
    level_reset(&(*out)->studies);
    level_reset(&(*out)->series);
    return VLM_OK;
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
    free(it->studies.uids);
    free(it->series.uids);
    free(it->recs);
    free(it);
}
