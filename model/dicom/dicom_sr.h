/*
 * dicom_sr.h — build a DICOM Basic Text SR that records a vlmindex triage
 * result for one study, for write-back to a PACS (STOW-RS).
 *
 * The document is marked VerificationFlag=UNVERIFIED, CompletionFlag=PARTIAL
 * and its first text item says "Research triage, not a diagnosis".  A new
 * series and SOP instance UID are generated each time.
 *
 * Patient and study attributes: a PACS files an instance by PatientID +
 * StudyInstanceUID, so an SR with an empty patient module lands under a
 * phantom patient.  The caller therefore passes the study's own Patient
 * module and Study attributes (req->context), read from the PACS just
 * before writing (dicomweb_store_sr does this over QIDO).  They are held
 * in memory only and wiped after use; without a context the patient
 * module is written empty (type 2), as for a study the PACS does not hold.
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

/* The study's identity as the PACS holds it (values as in DICOM, UTF-8).
 * PHI: never log, print or store it; dicom_sr_context_wipe() when done. */
typedef struct dicom_sr_context {
    char patient_name[200], patient_id[65], issuer_of_patient_id[65];
    char birth_date[9], sex[17];
    char study_date[9], study_time[17], referring_physician[200];
    char study_id[17], accession[17];
} dicom_sr_context;

void dicom_sr_context_wipe(dicom_sr_context *ctx);

typedef struct dicom_sr_request {
    const char *study_uid;  /* required: the study the SR belongs to */
    const char *accession;  /* may be NULL */
    const char *study_date; /* YYYYMMDD, may be NULL */
    const char *query;      /* the text query / class */
    const char *model;      /* model name */
    const char *window;     /* window description, e.g. "lung -600,1500" */
    const dicom_sr_finding *findings;
    size_t n_findings;
    /* The study's patient/study attributes (overriding accession and
     * study_date), or NULL for an empty patient module. */
    const dicom_sr_context *context;
} dicom_sr_request;

/* Encode the SR as a Part-10 file in memory (wipe and free() *bytes: it
 * holds the context's values).  sop_uid_out,
 * if not NULL, receives the new SOP Instance UID. */
int dicom_sr_build(const dicom_sr_request *req, uint8_t **bytes, size_t *len,
                   char sop_uid_out[65], char *err);

#define DICOM_SR_DISCLAIMER "Research triage, not a diagnosis."

#endif
