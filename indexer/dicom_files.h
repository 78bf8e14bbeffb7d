/*
 * dicom_files.h — local DICOM files as an image source for the indexer.
 *
 * Plugs into indexer_options: dicom files are recognised by content (the
 * DICM marker), decoded through model/dicom with the requested VOI window,
 * and their de-identified header fields (UIDs, accession, modality, body
 * part, study date, series description, instance number, window) are
 * written to the collection's `dicom` table in the same transaction as the
 * image row.  Patient name, ID and birth date are never read.
 */
#ifndef VLM_DICOM_FILES_H
#define VLM_DICOM_FILES_H

#include "indexer/indexer.h"
#include "model/dicom/dicom.h"

typedef struct dicom_files {
    dicom_window window; /* requested window (kind DEFAULT = per modality) */
} dicom_files;

/* Fills the extra_decoder / after_put hooks of o to read DICOM with `df`
 * (which must outlive the indexing run). */
void dicom_files_attach(dicom_files *df, indexer_options *o);

/* Stores the DICOM fields of an indexed image (NULL hdr = nothing). */
int dicom_files_store(collection *c, int64_t id, const dicom_header *hdr,
                      char *err);

#endif
