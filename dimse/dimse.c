/*
 * dimse.c — the DIMSE client and its iterator: C-FIND studies, then each
 * study's series, then each series' instances; then C-GET and decode one
 * instance per next().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dimse/dimse_internal.h"
#include "media/media_decode.h"

#define MAX_INSTANCES 2000000 /* UIDs held: 3 x 65 bytes each */

struct dimse_client {
    const dimse_module_ops *ops;
    dimse_conn *conn;
    dimse_target t;
    dicom_window window;
    volatile sig_atomic_t *cancel;
};

typedef struct uid3 {
    char study[65], series[65], sop[65];
} uid3;

struct dimse_iter {
    dimse_client *c;
    dimse_want_fn want;
    void *want_ctx;
    uid3 *found;
    size_t n, cap, next, skipped;
};

int dimse_client_create(const dimse_opts *o, dimse_client **out, char *err)
{
    *out = NULL;
    dimse_client *c = calloc(1, sizeof *c);
    if (!c) return VLM_ENOMEM;
    c->window = o->window;
    c->cancel = o->cancel;
    int rc = dimse_parse_url(o->url ? o->url : "", &c->t, err);
    if (rc == VLM_OK) rc = dimse_parse_query(o->query, &c->t, err);
    if (rc == VLM_OK && !(c->ops = dimse_module(err))) rc = VLM_EUNSUPPORTED;
    if (rc == VLM_OK) {
        dimse_peer p = {c->t.host, c->t.port, c->t.called, c->t.calling,
                        c->t.timeout_s};
        rc = c->ops->open(&p, &c->conn, err);
    }
    if (rc != VLM_OK) {
        dimse_client_destroy(c);
        return rc;
    }
    *out = c;
    return VLM_OK;
}

void dimse_client_destroy(dimse_client *c)
{
    if (!c) return;
    if (c->conn) c->ops->close(c->conn);
    free(c);
}

void dimse_instance_url(const dimse_client *c, const char *study,
                        const char *series, const char *sop, char *buf,
                        size_t cap)
{
    snprintf(buf, cap, "dimse://%s@%s:%d/studies/%s/series/%s/instances/%s",
             c->t.called, c->t.host, c->t.port, study, series, sop);
}

/* ---- the C-FINDs ---------------------------------------------------------- */

typedef struct uid_list {
    char (*v)[65];
    size_t n, cap;
    int oom;
} uid_list;

static int add_uid(void *ctx, const char *uid)
{
    uid_list *l = ctx;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        void *nv =
            cap <= MAX_INSTANCES ? realloc(l->v, cap * sizeof *l->v) : NULL;
        if (!nv) return l->oom = 1;
        l->v = nv;
        l->cap = cap;
    }
    snprintf(l->v[l->n++], 65, "%s", uid);
    return 0;
}

/* UIDs of one level under the given parents. */
static int find_level(dimse_client *c, const char *level, const char *study,
                      const char *series, uid_list *out, char *err)
{
    if (c->cancel && *c->cancel) {
        vlm_set_err(err, "DIMSE: interrupted");
        return VLM_EINTERRUPTED;
    }
    dimse_key keys[DIMSE_MAX_KEYS + 2];
    int n = 0;
    if (!study)
        for (; n < c->t.n_keys; n++) keys[n] = c->t.keys[n];
    if (study) keys[n++] = (dimse_key){"StudyInstanceUID", study};
    if (series) keys[n++] = (dimse_key){"SeriesInstanceUID", series};
    const char *ret = series  ? "SOPInstanceUID"
                      : study ? "SeriesInstanceUID"
                              : "StudyInstanceUID";
    memset(out, 0, sizeof *out);
    int rc = c->ops->find(c->conn, level, keys, n, ret, add_uid, out, err);
    if (rc == VLM_OK && out->oom) {
        vlm_set_err(err, "DIMSE: more than %d results, or out of memory",
                    MAX_INSTANCES);
        rc = VLM_ETOOBIG;
    }
    return rc;
}

static int add_found(dimse_iter *it, const char *st, const char *se,
                     const char *sop)
{
    if (it->n == it->cap) {
        size_t cap = it->cap ? it->cap * 2 : 256;
        void *nv = cap <= MAX_INSTANCES ? realloc(it->found, cap * sizeof(uid3))
                                        : NULL;
        if (!nv) return VLM_ETOOBIG;
        it->found = nv;
        it->cap = cap;
    }
    uid3 *u = &it->found[it->n++];
    snprintf(u->study, 65, "%s", st);
    snprintf(u->series, 65, "%s", se);
    snprintf(u->sop, 65, "%s", sop);
    return VLM_OK;
}

/* Every instance of one study: its series, then their instances. */
static int find_study(dimse_iter *it, const char *st, char *err)
{
    uid_list series, sops;
    int rc = find_level(it->c, "SERIES", st, NULL, &series, err);
    for (size_t i = 0; rc == VLM_OK && i < series.n; i++) {
        rc = find_level(it->c, "IMAGE", st, series.v[i], &sops, err);
        for (size_t k = 0; rc == VLM_OK && k < sops.n; k++)
            rc = add_found(it, st, series.v[i], sops.v[k]);
        free(sops.v);
    }
    free(series.v);
    if (rc == VLM_ETOOBIG) vlm_set_err(err, "DIMSE: too many instances");
    return rc;
}

int dimse_iter_create(dimse_client *c, dimse_want_fn want, void *want_ctx,
                      dimse_iter **out, char *err)
{
    dimse_iter *it = calloc(1, sizeof *it);
    if (!(*out = it)) return VLM_ENOMEM;
    it->c = c;
    it->want = want;
    it->want_ctx = want_ctx;
    uid_list studies;
    int rc = find_level(c, "STUDY", NULL, NULL, &studies, err);
    for (size_t i = 0; rc == VLM_OK && i < studies.n; i++)
        rc = find_study(it, studies.v[i], err);
    free(studies.v);
    if (rc != VLM_OK) {
        dimse_iter_destroy(it);
        *out = NULL;
    }
    return rc;
}

/* ---- fetching ------------------------------------------------------------- */

void dimse_item_clear(dimse_item *item)
{
    img_rgb_free(&item->image);
    memset(item, 0, sizeof *item);
}

/* C-GET and decode one instance; failures belong to the item. */
static int fetch(dimse_iter *it, const uid3 *u, dimse_item *item)
{
    char name[300];
    dimse_instance_url(it->c, u->study, u->series, u->sop, name, sizeof name);
    uint8_t *bytes = NULL;
    size_t len = 0;
    int rc = it->c->ops->get(it->c->conn, u->study, u->series, u->sop, &bytes,
                             &len, item->error);
    media_image m = {0};
    media_decode_opts mo = {.window = it->c->window};
    if (rc == VLM_OK) rc = media_decode(bytes, len, name, &mo, &m, item->error);
    free(bytes);
    if (rc == VLM_OK && !m.dicom) {
        vlm_set_err(item->error, "%s: not a DICOM image", name);
        rc = VLM_EFORMAT;
    }
    if (rc == VLM_OK) {
        item->hdr = *m.dicom;
        item->image = m.rgb;
        m.rgb = (img_rgb){0};
    }
    media_image_free(&m);
    item->status = rc;
    return rc;
}

int dimse_iter_next(dimse_iter *it, dimse_item *item, char *err)
{
    dimse_item_clear(item);
    for (; it->next < it->n; it->next++) {
        const uid3 *u = &it->found[it->next];
        if (it->want && !it->want(it->want_ctx, u->sop)) {
            it->skipped++;
            continue;
        }
        if (it->c->cancel && *it->c->cancel) {
            vlm_set_err(err, "DIMSE: interrupted");
            return VLM_EINTERRUPTED;
        }
        it->next++;
        int rc = fetch(it, u, item);
        if (rc == VLM_ENETWORK) { /* the association is gone */
            vlm_set_err(err, "%s", item->error);
            return rc;
        }
        if (rc != VLM_OK) { /* keep the UIDs for the FAIL row */
            snprintf(item->hdr.study_uid, 65, "%s", u->study);
            snprintf(item->hdr.series_uid, 65, "%s", u->series);
            snprintf(item->hdr.sop_uid, 65, "%s", u->sop);
        }
        return 1;
    }
    return 0;
}

size_t dimse_iter_total(const dimse_iter *it) { return it->n; }
size_t dimse_iter_skipped(const dimse_iter *it) { return it->skipped; }

void dimse_iter_destroy(dimse_iter *it)
{
    if (!it) return;
    free(it->found);
    free(it);
}
