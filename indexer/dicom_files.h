/*
 * dicom_files.h — the de-identified DICOM fields of an indexed image (UIDs,
 * accession, modality, body part, study date, series description,
 * instance number, window) into the collection's `dicom` table, in the
 * same transaction as the image row.  Patient name, ID and birth date are
 * never read.
 */
#ifndef VLM_DICOM_FILES_H
#define VLM_DICOM_FILES_H

#include "model/dicom/dicom.h"
#include "schema/collection.h"

/* Stores the DICOM fields of image `id` (NULL hdr = nothing to store). */
int dicom_files_store(collection *c, int64_t id, const dicom_header *hdr,
                      char *err);

#endif
