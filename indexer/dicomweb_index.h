/*
 * dicomweb_index.h — `vlmindex add dicomweb+https://host/dicom-web`:
 * index the instances a QIDO-RS query finds, incrementally by SOP
 * Instance UID (instances already in the collection are not fetched).
 *
 * Each instance becomes an image row whose path is its WADO-RS URL
 * (https://host/dicom-web/studies/S/series/R/instances/I, no credentials,
 * no query string) plus its de-identified DICOM fields.  Batches are
 * committed like folder indexing; an authentication or transport failure
 * before any instance arrives leaves the collection untouched.
 */
#ifndef VLM_DICOMWEB_INDEX_H
#define VLM_DICOMWEB_INDEX_H

#include "dicomweb/dicomweb.h"
#include "indexer/indexer.h"

int dicomweb_index(collection *c, vector_index *vi, clip_model *m,
                   const dicomweb_opts *web, const indexer_options *o,
                   indexer_summary *s, char *err);

#endif
