/*
 * dicom_container.h — internal: bare data sets (no preamble) recognised by
 * content, and wrapped in a Part-10 header so that the bound check and GDCM
 * read them like any other file.  dicom_sniff (dicom.h) is built on this.
 */
#ifndef VLM_DICOM_CONTAINER_H
#define VLM_DICOM_CONTAINER_H

#include <stddef.h>
#include <stdint.h>

#include "model/dicom/dicom.h"

/* For bytes without preamble + "DICM": the transfer syntax UID of a bare
 * data set ("" when the bytes start with a file meta group instead), or
 * NULL when they are not one.  NULL for files that have the preamble. */
const char *dicom_bare_syntax(const void *bytes, size_t len);

/* A malloc'ed copy of the bytes behind a preamble, "DICM" and (for a bare
 * data set, ts != "") a file meta group naming `ts`. */
int dicom_wrap_part10(const void *bytes, size_t len, const char *ts,
                      uint8_t **out, size_t *out_len);

#endif
