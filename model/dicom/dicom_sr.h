/*
 * dicom_sr.h — build a DICOM Basic Text SR that records a vlmindex triage
 * result for one study, for write-back to a PACS (STOW-RS).
 *
 * The document is marked VerificationFlag=UNVERIFIED, CompletionFlag=PARTIAL
 * and its first text item says "Research triage, not a diagnosis".  The
 * patient module is written with empty (type 2) values: the SR carries no
 * patient name, ID or birth date.  A new series and SOP instance UID are
 * generated each time.
 */
#ifndef VLM_DICOM_SR_H
#define VLM_DICOM_SR_H

#include <stddef.h>
#include <stdint.h>

#include "model/core/vlm_error.h"

typedef struct dicom_sr_finding {
    const char *series_uid; /* may be NULL */
    const char *sop_uid;    /* the best-scoring instance */
    double score;
} dicom_sr_finding;

typedef struct dicom_sr_request {
    const char *study_uid;  /* required: the study the SR belongs to */
    const char *accession;  /* may be NULL */
    const char *study_date; /* YYYYMMDD, may be NULL */
    const char *query;      /* the text query / class */
    const char *model;      /* model name */
    const char *window;     /* window description, e.g. "lung -600,1500" */
    const dicom_sr_finding *findings;
    size_t n_findings;
} dicom_sr_request;

/* Encode the SR as a Part-10 file in memory (free() *bytes).  sop_uid_out,
 * if not NULL, receives the new SOP Instance UID. */
int dicom_sr_build(const dicom_sr_request *req, uint8_t **bytes, size_t *len,
                   char sop_uid_out[65], char *err);

#define DICOM_SR_DISCLAIMER "Research triage, not a diagnosis."

#endif
