/*
 * dicomweb_json.c — read QIDO-RS answers (DICOM JSON, PS3.18 F.2) with
 * json-c.  Only the tags named here are looked up; patient tags that
 * servers return unasked (PatientName, PatientID, BirthDate) are never
 * touched, so they cannot reach a struct, a log or the index.
 */
#include <json-c/json.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "dicomweb/dicomweb_internal.h"

/* Value[0] of `tag` in one DICOM JSON object, or NULL. */
static json_object *first_value(json_object *obj, const char *tag)
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
    json_object *v = first_value(obj, tag);
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
    json_object *v = first_value(obj, tag);
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

static json_object *parse_array(const char *body, size_t len, char *err)
{
    if (len == 0) return json_object_new_array(); /* 204: no matches */
    json_tokener *tok = json_tokener_new();
    json_object *root = tok ? json_tokener_parse_ex(tok, body, (int)len) : NULL;
    if (tok) json_tokener_free(tok);
    if (!root || !json_object_is_type(root, json_type_array)) {
        json_object_put(root);
        vlm_set_err(err, "DICOMweb: QIDO answer is not a DICOM JSON array");
        return NULL;
    }
    return root;
}

int dw_json_uids(const char *body, size_t len, const char *tag,
                 char (**uids)[65], size_t *n, char *err)
{
    *uids = NULL;
    *n = 0;
    json_object *root = parse_array(body, len, err);
    if (!root) return VLM_EFORMAT;
    size_t count = json_object_array_length(root);
    *uids = calloc(count ? count : 1, sizeof **uids);
    if (!*uids) {
        json_object_put(root);
        return VLM_ENOMEM;
    }
    for (size_t i = 0; i < count; i++) {
        get_string(json_object_array_get_idx(root, i), tag, (*uids)[*n], 65);
        if ((*uids)[*n][0]) (*n)++;
    }
    json_object_put(root);
    return VLM_OK;
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

int dw_json_instances(const char *body, size_t len, dw_record **recs, size_t *n,
                      char *err)
{
    *recs = NULL;
    *n = 0;
    json_object *root = parse_array(body, len, err);
    if (!root) return VLM_EFORMAT;
    size_t count = json_object_array_length(root);
    *recs = calloc(count ? count : 1, sizeof **recs);
    if (!*recs) {
        json_object_put(root);
        return VLM_ENOMEM;
    }
    for (size_t i = 0; i < count; i++) {
        read_record(json_object_array_get_idx(root, i), &(*recs)[*n]);
        if ((*recs)[*n].hdr.sop_uid[0]) (*n)++;
    }
    json_object_put(root);
    return VLM_OK;
}
