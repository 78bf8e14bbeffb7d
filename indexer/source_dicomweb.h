/*
 * source_dicomweb.h — the instances of a DICOMweb server as an ingest
 * source: QIDO-RS finds them, instances whose SOP Instance UID is already
 * in the collection are skipped before anything is fetched (counted as
 * unchanged), and each rendered frame becomes an EMBED item keyed by its
 * SOP Instance UID (or a FAIL item saying why this instance failed).
 */
#ifndef VLM_SOURCE_DICOMWEB_H
#define VLM_SOURCE_DICOMWEB_H

#include "dicomweb/dicomweb.h"
#include "indexer/ingest.h"

/* web must outlive the source; connecting happens in start(). */
int dicomweb_source_create(const dicomweb_opts *web, ingest_source *out,
                           char *err);

#endif
