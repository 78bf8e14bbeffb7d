/*
 * dicomweb_study_context.c — the one place the DICOMweb client reads
 * patient attributes: just before an SR is written, the study's Patient
 * module and Study attributes are asked for over QIDO, so the SR files
 * under the same patient and study.  The values go into a caller's
 * dicom_sr_context and nowhere else (no log, no error text, no index);
 * the URL carries only the Study Instance UID.
 */
#include <stdio.h>
#include <string.h>

#include "dicomweb/dicomweb_internal.h"

static const char *const CONTEXT_FIELDS[] = {
    "00080020", "00080030", "00080050", "00080090", "00100010",
    "00100020", "00100021", "00100030", "00100040", "00200010",
};

static const char *const QIDO_TYPES[] = {"application/dicom+json",
                                         "application/json", NULL};

/* Copies UTF-8 text, dropping control characters and backslashes (a
 * backslash would split the value), cut at a character boundary. */
static void copy_text(char *dst, size_t cap, const char *src)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)src; *p; p++) {
        if (*p < 32 || *p == 127 || *p == '\\') continue;
        if (n + 1 >= cap) break;
        dst[n++] = (char)*p;
    }
    while (n > 0 && ((unsigned char)dst[n - 1] & 0xC0) == 0x80) n--;
    if (n > 0 && ((unsigned char)dst[n - 1] & 0xC0) == 0xC0) n--;
    dst[n] = '\0';
}

/* A PN value is an object of component groups (PS3.18 F.2.2). */
static void person_name(json_object *v, char *dst, size_t cap)
{
    static const char *const groups[] = {"Alphabetic", "Ideographic",
                                         "Phonetic"};
    char joined[600] = "";
    int last = -1;
    for (int i = 0; i < 3; i++) {
        json_object *g;
        if (json_object_object_get_ex(v, groups[i], &g) &&
            json_object_is_type(g, json_type_string))
            last = i;
    }
    for (int i = 0; i <= last; i++) {
        json_object *g;
        const char *s = json_object_object_get_ex(v, groups[i], &g) &&
                                json_object_is_type(g, json_type_string)
                            ? json_object_get_string(g)
                            : "";
        size_t len = strlen(joined);
        snprintf(joined + len, sizeof joined - len, "%s%s", i ? "=" : "", s);
    }
    copy_text(dst, cap, joined);
    explicit_bzero(joined, sizeof joined);
}

static void field(json_object *obj, const char *tag, char *dst, size_t cap)
{
    json_object *v = dw_json_first_value(obj, tag);
    dst[0] = '\0';
    if (v && json_object_is_type(v, json_type_object))
        person_name(v, dst, cap);
    else if (v && json_object_is_type(v, json_type_string))
        copy_text(dst, cap, json_object_get_string(v));
}

typedef struct context_read {
    dicom_sr_context *ctx;
    size_t results;
} context_read;

static int read_context(void *p, json_object *obj, char *err)
{
    (void)err;
    context_read *r = p;
    if (r->results++) return VLM_OK; /* the first match only */
    dicom_sr_context *c = r->ctx;
    field(obj, "00100010", c->patient_name, sizeof c->patient_name);
    field(obj, "00100020", c->patient_id, sizeof c->patient_id);
    field(obj, "00100021", c->issuer_of_patient_id,
          sizeof c->issuer_of_patient_id);
    field(obj, "00100030", c->birth_date, sizeof c->birth_date);
    field(obj, "00100040", c->sex, sizeof c->sex);
    field(obj, "00080020", c->study_date, sizeof c->study_date);
    field(obj, "00080030", c->study_time, sizeof c->study_time);
    field(obj, "00080090", c->referring_physician,
          sizeof c->referring_physician);
    field(obj, "00200010", c->study_id, sizeof c->study_id);
    field(obj, "00080050", c->accession, sizeof c->accession);
    return VLM_OK;
}

static void reset_context(void *p)
{
    context_read *r = p;
    dicom_sr_context_wipe(r->ctx);
    r->results = 0;
}

typedef struct context_sink {
    dw_qido_stream *s;
    context_read *r;
} context_sink;

static void sink_reset(void *p)
{
    context_sink *cs = p;
    dw_qido_stream_reset(cs->s);
    reset_context(cs->r);
}

static int sink_write(void *p, const char *b, size_t n, char *err)
{
    return dw_qido_stream_feed(((context_sink *)p)->s, b, n, err);
}

static int context_url(dw_http *h, const char *study_uid, dw_buf *u)
{
    int bad = dw_url_append(u, dw_http_base(h), 0);
    bad |= dw_url_append(u, "/studies?StudyInstanceUID=", 0);
    bad |= dw_url_append(u, study_uid, 1);
    for (size_t i = 0; i < sizeof CONTEXT_FIELDS / sizeof CONTEXT_FIELDS[0];
         i++) {
        bad |= dw_url_append(u, "&includefield=", 0);
        bad |= dw_url_append(u, CONTEXT_FIELDS[i], 0);
    }
    return bad | dw_url_append(u, "&limit=2", 0);
}

int dw_fetch_sr_context(dw_http *h, const char *study_uid,
                        dicom_sr_context *out, char *err)
{
    context_read r = {.ctx = out};
    context_sink cs = {.r = &r};
    dw_buf url = {0};
    dicom_sr_context_wipe(out);
    int rc = context_url(h, study_uid, &url) ||
                     dw_qido_stream_create(1u << 20, read_context, &r, &cs.s)
                 ? VLM_ENOMEM
                 : VLM_OK;
    dw_sink sink = {sink_reset, sink_write, &cs, QIDO_TYPES};
    long code = 0;
    if (rc == VLM_OK)
        rc = dw_http_get(h, url.data, "application/dicom+json", &sink, &code,
                         NULL, 0, err);
    if (rc == VLM_OK) rc = dw_qido_stream_finish(cs.s, err);
    if (rc == VLM_OK && r.results == 0) {
        vlm_set_err(err,
                    "DICOMweb: the server holds no study %s; no SR written "
                    "(it would file under an unknown patient)",
                    study_uid);
        rc = VLM_ENOTFOUND;
    }
    if (rc == VLM_ENOMEM) vlm_set_err(err, "DICOMweb: out of memory");
    if (rc != VLM_OK) dicom_sr_context_wipe(out);
    dw_qido_stream_destroy(cs.s);
    dw_buf_free(&url);
    return rc;
}
