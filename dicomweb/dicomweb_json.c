/*
 * dicomweb_json.c — read QIDO-RS results (DICOM JSON, PS3.18 F.2) with
 * json-c.  Only the tags named here are looked up; patient tags that
 * servers return unasked (PatientName, PatientID, BirthDate) are never
 * touched, so they cannot reach a struct, a log or the index.
 */
#include <json-c/json.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "dicomweb/dicomweb_internal.h"

json_object *dw_json_first_value(json_object *obj, const char *tag)
{
    json_object *el, *vals;
    if (!json_object_object_get_ex(obj, tag, &el) ||
        !json_object_object_get_ex(el, "Value", &vals) ||
        !json_object_is_type(vals, json_type_array) ||
        json_object_array_length(vals) == 0)
        return NULL;
    return json_object_array_get_idx(vals, 0);
}

static void get_string(json_object *obj, const char *tag, char *buf, size_t cap)
{
    json_object *v = dw_json_first_value(obj, tag);
    const char *s = v && json_object_is_type(v, json_type_string)
                        ? json_object_get_string(v)
                        : "";
    size_t n = strlen(s);
    if (n >= cap) n = cap - 1;
    for (size_t i = 0; i < n; i++) /* printable ASCII only, like the shim */
        buf[i] = (s[i] >= 32 && s[i] < 127) ? s[i] : '?';
    buf[n] = '\0';
}

/* DS/IS/US come as JSON numbers (Orthanc) or, from some servers, strings. */
static int get_number(json_object *obj, const char *tag, double *out)
{
    json_object *v = dw_json_first_value(obj, tag);
    if (!v) return 0;
    if (json_object_is_type(v, json_type_double) ||
        json_object_is_type(v, json_type_int)) {
        *out = json_object_get_double(v);
        return 1;
    }
    if (json_object_is_type(v, json_type_string)) {
        const char *s = json_object_get_string(v);
        char *end;
        *out = strtod(s, &end);
        return end != s;
    }
    return 0;
}

/* A value no int holds (1e300, NaN) is as good as absent: converting it
 * would be undefined behaviour (found by fuzz_qido). */
static int get_int(json_object *obj, const char *tag, int fallback)
{
    double v;
    return get_number(obj, tag, &v) && v >= INT_MIN && v <= INT_MAX ? (int)v
                                                                    : fallback;
}

static void read_record(json_object *o, dw_record *r)
{
    dicom_header *h = &r->hdr;
    get_string(o, "0020000D", h->study_uid, sizeof h->study_uid);
    get_string(o, "0020000E", h->series_uid, sizeof h->series_uid);
    get_string(o, "00080018", h->sop_uid, sizeof h->sop_uid);
    get_string(o, "00080016", h->sop_class_uid, sizeof h->sop_class_uid);
    get_string(o, "00080050", h->accession, sizeof h->accession);
    get_string(o, "00080060", h->modality, sizeof h->modality);
    get_string(o, "00180015", h->body_part, sizeof h->body_part);
    get_string(o, "00080020", h->study_date, sizeof h->study_date);
    get_string(o, "0008103E", h->series_description,
               sizeof h->series_description);
    get_string(o, "00280004", h->photometric, sizeof h->photometric);
    h->instance_number = get_int(o, "00200013", 0);
    h->rows = get_int(o, "00280010", 0);
    h->cols = get_int(o, "00280011", 0);
    h->frames = get_int(o, "00280008", 1);
    r->samples = get_int(o, "00280002", 1);
    r->bits_stored = get_int(o, "00280101", 16);
    r->is_signed = get_int(o, "00280103", 0);
    if (!get_number(o, "00281053", &r->slope) || r->slope == 0) r->slope = 1;
    if (!get_number(o, "00281052", &r->intercept)) r->intercept = 0;
    r->has_stored = get_number(o, "00281050", &r->stored_center) &&
                    get_number(o, "00281051", &r->stored_width) &&
                    r->stored_width >= 1;
}

/* ---- one answer's results ----------------------------------------------- */

static int page_grow(dw_page *p, char *err)
{
    size_t cap = p->cap ? p->cap * 2 : 64;
    if (cap > p->max) cap = p->max;
    void *nd = p->tag ? realloc(p->uids, cap * sizeof *p->uids)
                      : realloc(p->recs, cap * sizeof *p->recs);
    if (!nd) {
        vlm_set_err(err, "DICOMweb: out of memory reading a QIDO answer");
        return VLM_ENOMEM;
    }
    if (p->tag)
        p->uids = nd;
    else
        p->recs = nd;
    p->cap = cap;
    return VLM_OK;
}

int dw_page_add(void *page, json_object *obj, char *err)
{
    dw_page *p = page;
    if (p->objects >= p->max) {
        vlm_set_err(err,
                    "QIDO answer holds more than %zu results; refusing to "
                    "read further",
                    p->max);
        return VLM_ETOOBIG;
    }
    p->objects++;
    if (p->n == p->cap) {
        int rc = page_grow(p, err);
        if (rc != VLM_OK) return rc;
    }
    if (p->tag) {
        get_string(obj, p->tag, p->uids[p->n], sizeof p->uids[p->n]);
        p->n += p->uids[p->n][0] != '\0';
    } else {
        memset(&p->recs[p->n], 0, sizeof p->recs[p->n]);
        read_record(obj, &p->recs[p->n]);
        p->n += p->recs[p->n].hdr.sop_uid[0] != '\0';
    }
    return VLM_OK;
}

void dw_page_reset(void *page)
{
    dw_page *p = page;
    p->n = p->objects = 0;
}

void dw_page_free(dw_page *p)
{
    free(p->uids);
    free(p->recs);
    p->uids = NULL;
    p->recs = NULL;
    p->n = p->cap = p->objects = 0;
}

const char *dw_page_uid(const dw_page *p, size_t i)
{
    return p->tag ? p->uids[i] : p->recs[i].hdr.sop_uid;
}

/* Reads a whole answer held in memory into p. */
static int read_all(const char *body, size_t len, dw_page *p, char *err)
{
    dw_qido_stream *s;
    if (dw_qido_stream_create(len + 1, dw_page_add, p, &s) != VLM_OK) {
        vlm_set_err(err, "DICOMweb: out of memory");
        return VLM_ENOMEM;
    }
    int rc = dw_qido_stream_feed(s, body, len, err);
    if (rc == VLM_OK) rc = dw_qido_stream_finish(s, err);
    dw_qido_stream_destroy(s);
    if (rc != VLM_OK) dw_page_free(p);
    return rc;
}

int dw_json_uids(const char *body, size_t len, const char *tag,
                 char (**uids)[65], size_t *n, char *err)
{
    dw_page p = {.tag = tag, .max = (size_t)-1};
    int rc = read_all(body, len, &p, err);
    *uids = p.uids;
    *n = p.n;
    return rc;
}

int dw_json_instances(const char *body, size_t len, dw_record **recs, size_t *n,
                      char *err)
{
    dw_page p = {.max = (size_t)-1};
    int rc = read_all(body, len, &p, err);
    *recs = p.recs;
    *n = p.n;
    return rc;
}
