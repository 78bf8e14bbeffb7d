/*
 * dicomweb_internal.h — pieces shared by the dicomweb_*.c files: the HTTP
 * transport (dicomweb_http.c) and the QIDO JSON reader (dicomweb_json.c).
 * Not part of the public API.
 */
#ifndef VLM_DICOMWEB_INTERNAL_H
#define VLM_DICOMWEB_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "dicomweb/dicomweb.h"
#include "dicomweb/dw_uid_set.h"

/* ---- HTTP --------------------------------------------------------------- */

typedef struct dw_buf {
    char *data; /* NUL-terminated for convenience */
    size_t len, cap;
} dw_buf;

void dw_buf_free(dw_buf *b);

typedef struct dw_http dw_http;

int dw_http_create(const dicomweb_opts *o, dw_http **out, char *err);
void dw_http_destroy(dw_http *h);

/* The base URL without a trailing slash and without "dicomweb+". */
const char *dw_http_base(const dw_http *h);

/* Where a successful (2xx) answer's body goes, chunk by chunk.  reset()
 * runs before every try (a retry starts the body again); write() returns
 * VLM_OK or a status that aborts the transfer, with err set.  The bodies
 * of failed answers are discarded, never buffered. */
typedef struct dw_sink {
    void (*reset)(void *ctx);
    int (*write)(void *ctx, const char *p, size_t n, char *err);
    void *ctx;
    /* Content-Type prefixes accepted ("application/dicom+json", ...,
     * NULL-terminated); an answer with another type fails with VLM_EFORMAT
     * before its body is read.  NULL = anything. */
    const char *const *ctypes;
} dw_sink;

/* One request with retries, bounded by the per-request timeout, the stall
 * timeout, the client's overall deadline (VLM_ETOOBIG when it passes) and
 * the cancel flag (VLM_EINTERRUPTED, noticed within 100 ms).  VLM_OK only
 * for HTTP 2xx; otherwise err says "GET /dicom-web/studies: HTTP 401 ..."
 * (the path, never the query string).  A redirect is never followed.
 * `*code` gets the last HTTP status (0 if none); ctype (may be NULL) the
 * answer's Content-Type.  body (POST only, may be NULL) collects the
 * answer up to the client's body limit. */
int dw_http_get(dw_http *h, const char *url, const char *accept,
                const dw_sink *sink, long *code, char *ctype, size_t ctcap,
                char *err);
int dw_http_post(dw_http *h, const char *url, const char *content_type,
                 const void *data, size_t len, const char *accept, dw_buf *body,
                 long *code, char *err);

/* dw_http_get into a buffer, refusing more than the client's body limit
 * (VLM_ETOOBIG). */
int dw_http_get_buffer(dw_http *h, const char *url, const char *accept,
                       const char *const *ctypes, dw_buf *body, long *code,
                       char *ctype, size_t ctcap, char *err);

/* Requests made so far (every try counts). */
unsigned long dw_http_requests(const dw_http *h);

/* VLM_EINTERRUPTED / VLM_ETOOBIG (deadline) with err set, else VLM_OK. */
int dw_http_check_stop(dw_http *h, const char *what, char *err);

/* The client's notes channel (paging decisions); never carries PHI. */
void dw_http_note(const dw_http *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Percent-encode a UID or value for a URL path/query (UIDs pass as-is). */
int dw_url_append(dw_buf *b, const char *text, int encode);

/* The client's transport (dicomweb.c owns the client struct). */
dw_http *dicomweb_client_http(dicomweb_client *c);

/* ---- QIDO JSON ---------------------------------------------------------- */

/* The fields of one QIDO instance record we use (no patient fields). */
typedef struct dw_record {
    dicom_header hdr;
    int samples; /* 00280002, 1 when absent */
    int has_stored;
    double stored_center, stored_width;
    int bits_stored, is_signed; /* 00280101 / 00280103 */
    double slope, intercept;    /* 00281053 / 00281052 */
} dw_record;

/* Reads a QIDO answer as it arrives (dicomweb_qido_stream.c): each
 * element of the top-level array is parsed on its own by json-c's tokener
 * and handed to fn, then freed.  An element over max_record bytes fails
 * with VLM_ETOOBIG, malformed JSON with VLM_EFORMAT. */
typedef int (*dw_qido_record_fn)(void *ctx, json_object *obj, char *err);
typedef struct dw_qido_stream dw_qido_stream;

int dw_qido_stream_create(size_t max_record, dw_qido_record_fn fn, void *ctx,
                          dw_qido_stream **out);
void dw_qido_stream_reset(dw_qido_stream *s);
int dw_qido_stream_feed(dw_qido_stream *s, const char *p, size_t n, char *err);
/* VLM_OK when the array was closed (or the body was empty). */
int dw_qido_stream_finish(dw_qido_stream *s, char *err);
size_t dw_qido_stream_count(const dw_qido_stream *s); /* elements so far */
void dw_qido_stream_destroy(dw_qido_stream *s);

/* The results of one QIDO answer: UIDs of `tag` (a study or series
 * listing) or, when tag is NULL, instance records.  Objects without the
 * UID are dropped.  More than `max` objects in one answer fail with
 * VLM_ETOOBIG (a server that ignores limit= cannot grow memory). */
typedef struct dw_page {
    const char *tag;
    char (*uids)[65];
    dw_record *recs;
    size_t n, cap, max, objects;
} dw_page;

int dw_page_add(void *page, json_object *obj, char *err); /* a record fn */
void dw_page_reset(void *page); /* n = objects = 0, memory kept */
void dw_page_free(dw_page *p);
const char *dw_page_uid(const dw_page *p, size_t i); /* the i-th UID */

/* Value[0] of `tag` ("0020000D") in one DICOM JSON object, or NULL. */
json_object *dw_json_first_value(json_object *obj, const char *tag);

/* The patient/study attributes of study_uid, read over QIDO for an SR
 * (dicomweb_study_context.c): VLM_ENOTFOUND when the server does not hold
 * the study.  PHI: the caller wipes *out (dicom_sr_context_wipe). */
int dw_fetch_sr_context(dw_http *h, const char *study_uid,
                        dicom_sr_context *out, char *err);

/* Whole-buffer forms (tests, fuzzing): first string value of `tag`
 * ("0020000D") of each object in a QIDO array, or the instance records. */
int dw_json_uids(const char *body, size_t len, const char *tag,
                 char (**uids)[65], size_t *n, char *err);

int dw_json_instances(const char *body, size_t len, dw_record **recs, size_t *n,
                      char *err);

/* ---- paged listings (dicomweb_listing.c) ------------------------------- */

typedef struct dw_paging {
    int page_size, max_pages;
    size_t max_record;
} dw_paging;

typedef struct dw_listing {
    const char *name; /* "studies", "series", "instances": for notes */
    dw_buf prefix;    /* the URL up to where limit= goes ("...?a=b&") */
    dw_page page;     /* the current page's fresh results */
    size_t next, offset;
    int pages, more;
    dw_uid_set seen; /* every UID the listing gave */
} dw_listing;

/* (Re)starts a listing; tag as in dw_page (NULL = instance records). */
int dw_listing_start(dw_listing *l, const char *name, const char *tag,
                     const char *url_prefix);
/* 1: *idx is the next result in l->page; 0: the listing ended (the reason
 * noted through the client's log when it was not a short page); <0: the
 * request failed, err says why. */
int dw_listing_next(dw_listing *l, dw_http *h, const dw_paging *cfg,
                    size_t *idx, char *err);
void dw_listing_free(dw_listing *l);

#endif
