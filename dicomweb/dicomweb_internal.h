/*
 * dicomweb_internal.h — pieces shared by the dicomweb_*.c files: the HTTP
 * transport (dicomweb_http.c) and the QIDO JSON reader (dicomweb_json.c).
 * Not part of the public API.
 */
#ifndef VLM_DICOMWEB_INTERNAL_H
#define VLM_DICOMWEB_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "dicomweb/dicomweb.h"

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

/* GET/POST with retries.  VLM_OK only for HTTP 2xx; otherwise err says
 * "GET /dicom-web/studies: HTTP 401 Unauthorized ...".  `*code` gets the
 * last HTTP status (0 if none).  ctype (may be NULL) gets Content-Type. */
int dw_http_get(dw_http *h, const char *url, const char *accept, dw_buf *body,
                long *code, char *ctype, size_t ctcap, char *err);
int dw_http_post(dw_http *h, const char *url, const char *content_type,
                 const void *data, size_t len, const char *accept, dw_buf *body,
                 long *code, char *err);

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

/* First string value of `tag` ("0020000D") of each object in a QIDO array. */
int dw_json_uids(const char *body, size_t len, const char *tag,
                 char (**uids)[65], size_t *n, char *err);

int dw_json_instances(const char *body, size_t len, dw_record **recs, size_t *n,
                      char *err);

#endif
