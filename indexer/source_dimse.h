/*
 * source_dimse.h — the instances of a DIMSE PACS (dimse/dimse.h) as an
 * ingest source: instances whose SOP Instance UID is already in the
 * collection are skipped before the C-GET (counted as unchanged); each
 * decoded instance becomes an EMBED item keyed by its SOP Instance UID,
 * or a FAIL item saying why.
 */
#ifndef VLM_SOURCE_DIMSE_H
#define VLM_SOURCE_DIMSE_H

#include "dimse/dimse.h"
#include "indexer/ingest.h"

/* opts must outlive the source; connecting happens in start(). */
int dimse_source_create(const dimse_opts *opts, ingest_source *out, char *err);

#endif
