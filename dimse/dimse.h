/*
 * dimse.h — a DIMSE source: the instances a classic PACS (no DICOMweb)
 * holds, found with Study Root C-FIND (study, then series, then instance
 * level) and fetched one by one with C-GET, through DCMTK's network
 * library in the loadable module libvlm_dcmtk.so.  Each instance arrives
 * as Part-10 bytes in memory and is decoded with media_decode(), the
 * sandboxed path every untrusted file takes.
 *
 * URL: dimse://CALLED_AE@HOST:PORT[?calling=AE&timeout=SEC]
 *   CALLED_AE   the PACS's AE title (required); HOST, PORT its address
 *   calling     our AE title (default VLMINDEX), as the PACS knows it
 *   timeout     seconds for connect, association and each DIMSE message
 *               (default 30)
 * Filters: the same text as DICOMweb's --query ("ModalitiesInStudy=CT,CR&
 * StudyDate=20240101-"), study-level keys only (see DIMSE_STUDY_KEYS in
 * dimse.c); a comma in a value becomes DICOM's backslash (several
 * values); patient keys are refused.  Plain DIMSE is unencrypted: the
 * PACS must be on a trusted network (DICOM TLS is not supported yet).
 */
#ifndef VLM_DIMSE_H
#define VLM_DIMSE_H

#include <signal.h>

#include "model/core/vlm_error.h"
#include "model/dicom/dicom.h"
#include "model/image/image.h"

typedef struct dimse_opts {
    const char *url;   /* dimse://AE@host:port?... */
    const char *query; /* study filter, as for DICOMweb; may be NULL */
    dicom_window window;
    volatile sig_atomic_t *cancel; /* checked between DIMSE operations */
} dimse_opts;

typedef struct dimse_client dimse_client;

/* Checks the URL and the query, loads the DCMTK module and associates. */
int dimse_client_create(const dimse_opts *o, dimse_client **out, char *err);
void dimse_client_destroy(dimse_client *c);

/* "dimse://AE@host:port/studies/ST/series/SE/instances/SOP" for a row. */
void dimse_instance_url(const dimse_client *c, const char *study,
                        const char *series, const char *sop, char *buf,
                        size_t cap);

typedef struct dimse_item {
    dicom_header hdr; /* from the decoded instance (no patient fields) */
    img_rgb image;
    int status; /* VLM_OK, or why this one instance failed (error) */
    char error[VLM_ERR_MAX];
} dimse_item;

void dimse_item_clear(dimse_item *item);

/* Return 0 to skip an instance (already indexed) before it is fetched. */
typedef int (*dimse_want_fn)(void *ctx, const char *sop_uid);

typedef struct dimse_iter dimse_iter;

/* Runs the C-FINDs (the UIDs are kept: 3 x 65 bytes per instance). */
int dimse_iter_create(dimse_client *c, dimse_want_fn want, void *want_ctx,
                      dimse_iter **out, char *err);
/* 1: *item filled (check item->status); 0: done; <0: fatal (association
 * lost, interrupted). */
int dimse_iter_next(dimse_iter *it, dimse_item *item, char *err);
size_t dimse_iter_total(const dimse_iter *it); /* instances found */
size_t dimse_iter_skipped(const dimse_iter *it);
void dimse_iter_destroy(dimse_iter *it);

#endif
