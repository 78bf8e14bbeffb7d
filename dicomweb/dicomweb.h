/*
 * dicomweb.h — a DICOMweb client (libcurl + json-c) that walks a PACS and
 * yields one rendered image per SOP instance, and writes a triage result
 * back as a Basic Text SR.
 *
 * Search is QIDO-RS: /studies?QUERY (paged with limit/offset), then
 * /studies/{st}/series, then /studies/{st}/series/{se}/instances, each
 * paged.  Each instance is fetched with WADO-RS
 * .../instances/{sop}/frames/1/rendered?window=C,W,linear — always with an
 * explicit window resolved on the client (the Orthanc plugin ignores the
 * stored window and stretches min..max otherwise) — and decoded with
 * media_decode() like every other untrusted image.  Colour instances are
 * rendered without a window.  Documents (modality SR, KO, PR, DOC, or an
 * SR SOP class — our own triage reports among them) are passed over.
 *
 * Security rules this module enforces:
 *  - credentials come only from the environment (VLMINDEX_DICOMWEB_TOKEN as
 *    a Bearer token, or VLMINDEX_DICOMWEB_USER + VLMINDEX_DICOMWEB_PASSWORD
 *    for HTTP Basic) or from a netrc file (opts.netrc_file or
 *    VLMINDEX_DICOMWEB_NETRC) that must not be group/world accessible;
 *    never from the URL (user:pass@ is refused), never printed;
 *  - TLS peer and host verification are always on; opts.ca_file adds a CA
 *    bundle; there is deliberately no switch to turn verification off;
 *    plain http:// is accepted only for loopback hosts (test rigs);
 *  - queries filtering on PatientName/PatientID/PatientBirthDate are
 *    refused (URLs end up in proxy logs), and patient fields in QIDO
 *    answers are never read;
 *  - error messages name the URL path, never the query string or secrets.
 * Timeouts are per request; transport errors and HTTP 429/5xx are retried
 * with exponential backoff up to opts.max_retries times.
 *
 * Ending.  A hostile or broken server cannot keep a walk going:
 *  - paging of each listing (studies, a study's series, a series'
 *    instances) stops when a page brings fewer than `limit` results, when
 *    a page repeats a UID the listing already gave, when a page brings
 *    more than `limit` (the server ignores paging: that answer is the whole
 *    list), or after opts.max_pages pages; each stop is noted through
 *    opts.log with its reason;
 *  - QIDO answers are read as they arrive, one result object at a time
 *    (json-c's tokener), so memory is bounded by opts.max_record_bytes per
 *    result and 10,000 results per answer, whatever the answer's size;
 *  - each try has a timeout, a stall timeout and a connect timeout, and the
 *    whole walk an optional deadline (VLM_ETOOBIG when it passes);
 *  - opts.cancel ends the request in flight within 100 ms
 *    (VLM_EINTERRUPTED); nothing is half-written, since the caller writes;
 *  - answers of the wrong Content-Type are refused before their body is
 *    read; redirects are never followed (credentials stay with the
 *    configured origin) and are reported as such.
 */
#ifndef VLM_DICOMWEB_H
#define VLM_DICOMWEB_H

#include <signal.h>
#include <stddef.h>

#include "model/core/vlm_error.h"
#include "model/dicom/dicom.h"
#include "model/dicom/dicom_sr.h"
#include "model/image/image.h"

typedef struct dicomweb_opts {
    const char *
        base_url; /* "https://pacs/dicom-web"; a "dicomweb+" prefix is stripped */
    const char *
        query; /* QIDO study filter, e.g. "ModalitiesInStudy=CT&StudyDate=20240101-" */
    dicom_window
        window;         /* requested window; DEFAULT = per modality (dicom.h) */
    const char *accept; /* "image/png" (default, lossless) or "image/jpeg" */
    const char *viewport; /* optional "W,H" passed as viewport= */
    const char
        *ca_file; /* extra CA bundle (PEM) for TLS; NULL = system store */
    const char *netrc_file; /* optional; must be mode 0600 or stricter */
    long timeout_s;         /* whole request; 0 = 60 */
    long connect_timeout_s; /* 0 = 10 */
    int max_retries;        /* retries after the first try; <0 = none, 0 = 3 */
    int page_size;          /* QIDO limit per request; 0 = 100 */
    unsigned backoff_ms;    /* first retry delay, doubled each time; 0 = 500 */
    /* Bounds that make every walk end (see "Ending" above). */
    double deadline_s;    /* whole walk, from client creation; 0 = none */
    long stall_timeout_s; /* no byte received this long fails a try; 0 = 30 */
    int max_pages;        /* pages per listing before it stops; 0 = 1000 */
    size_t max_record_bytes; /* one QIDO result object; 0 = 1 MiB */
    size_t max_body_bytes;   /* a rendered frame or STOW answer; 0 = 256 MiB */
    /* Set by a signal handler: the request in flight ends within 100 ms
     * and the walk reports VLM_EINTERRUPTED.  May be NULL. */
    volatile sig_atomic_t *cancel;
    /* Notes on paging decisions ("paging studies stopped: ..."); they name
     * levels and counts, never UIDs or patient data.  May be NULL. */
    void (*log)(void *ctx, const char *msg);
    void *log_ctx;
} dicomweb_opts;

typedef struct dicomweb_client dicomweb_client;

/* Checks the URL and credentials (netrc permissions) up front. */
int dicomweb_client_create(const dicomweb_opts *opts, dicomweb_client **out,
                           char *err);
void dicomweb_client_destroy(dicomweb_client *c);

/* One instance.  When status is VLM_OK, image holds the rendered frame;
 * otherwise error says why this one instance failed (e.g. HTTP 415). */
typedef struct dicomweb_item {
    dicom_header hdr; /* UIDs, modality, ..., and the window requested */
    img_rgb image;
    int status;
    char error[VLM_ERR_MAX];
} dicomweb_item;

void dicomweb_item_clear(dicomweb_item *item); /* frees the image, zeroes */

/* Optional filter called before rendering: return 0 to skip an instance
 * (e.g. its SOP instance UID is already indexed), 1 to fetch it. */
typedef int (*dicomweb_want_fn)(void *ctx, const dicom_header *hdr);

typedef struct dicomweb_iter dicomweb_iter;

int dicomweb_iter_create(dicomweb_client *c, dicomweb_want_fn want,
                         void *want_ctx, dicomweb_iter **out, char *err);

/* 1: *item filled (check item->status); 0: no more instances;
 * <0: fatal (search failed, authentication refused: "HTTP 401"), after
 * which the iterator yields nothing more.  Clears *item first. */
int dicomweb_iter_next(dicomweb_iter *it, dicomweb_item *item, char *err);

/* Instances seen by the search so far, and how many `want` skipped. */
size_t dicomweb_iter_seen(const dicomweb_iter *it);
size_t dicomweb_iter_skipped(const dicomweb_iter *it);

void dicomweb_iter_destroy(dicomweb_iter *it);

/* STOW-RS: build a Basic Text SR (dicom_sr.h) and store it into
 * req->study_uid.  sop_uid_out (may be NULL) gets the new instance UID.
 * Write-back is an explicit opt-in of the caller. */
int dicomweb_store_sr(dicomweb_client *c, const dicom_sr_request *req,
                      char sop_uid_out[65], char *err);

#endif
