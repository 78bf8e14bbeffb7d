/*
 * dicom_validate.h — structural check of a Part-10 file before GDCM sees it.
 *
 * Debian's GDCM is built with assertions on: a truncated header or a length
 * running past the end of the file aborts the process instead of returning
 * an error.  This walker parses the element structure (meta group, data
 * set, nested sequences, encapsulated pixel fragments) with every length
 * checked against the buffer, and checks that native pixel data is as long
 * as Rows × Columns × Samples × bytes × Frames says.  Deflated transfer
 * syntaxes are not walked past the meta group.  Values are not looked at
 * beyond the few image-geometry tags (never patient fields).
 */
#ifndef VLM_DICOM_VALIDATE_H
#define VLM_DICOM_VALIDATE_H

#include <stddef.h>

#include "model/core/vlm_error.h"

/* VLM_OK, or VLM_EFORMAT with err naming `label` and the byte offset. */
int dicom_validate(const void *bytes, size_t len, const char *label, char *err);

#endif
