/*
 * dicom_validate.h — bound check of a Part-10 file before GDCM sees it.
 *
 * Debian's GDCM is built with assertions on: a truncated header or a length
 * running past the end of the file aborts the process instead of returning
 * an error.  This walker follows the element structure (meta group, data
 * set, undefined-length sequences, encapsulated pixel fragments) with every
 * length checked against the buffer.  It is a bound check, not a shape
 * check: it refuses a file only when a length or header runs past the end,
 * when the meta group names no transfer syntax, or when there is no pixel
 * data at all, or a meta group element without a valid VR (GDCM asserts on
 * those); anything else it does not understand ends the walk and is left to
 * GDCM.  After the pixel data only higher tags may follow: a lower one
 * means the pixel data's lengths do not add up.  Deflated data sets are not walked past the meta group.
 * Values are never looked at, so no patient field is ever read here.
 */
#ifndef VLM_DICOM_VALIDATE_H
#define VLM_DICOM_VALIDATE_H

#include <stddef.h>

#include "model/core/vlm_error.h"

/* VLM_OK; VLM_EFORMAT with err naming `label` and the byte offset
 * ("scan.dcm: corrupt DICOM: truncated (at byte 282)"); VLM_EUNSUPPORTED
 * for a well-formed file without pixel data. */
int dicom_validate(const void *bytes, size_t len, const char *label, char *err);

/* The same, but a structure the walk does not understand is refused too:
 * for bare data sets (no preamble), whose encoding was only guessed. */
int dicom_validate_strict(const void *bytes, size_t len, const char *label,
                          char *err);

/* The file meta group alone: its transfer syntax UID (into ts) and where
 * the data set starts.  Errors as dicom_validate. */
int dicom_meta_group(const void *bytes, size_t len, char *ts, size_t cap,
                     size_t *data_set_at, const char *label, char *err);

#endif
