/*
 * dicom_container.h — internal: bare data sets (no preamble) recognised by
 * content, and wrapped in a Part-10 header so that the bound check and GDCM
 * read them like any other file; deflated data sets, inflated before
 * either sees them.  dicom_sniff (dicom.h) is built on this.
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

/* 1 if the two bytes are one of the standard's VRs; *is_long says whether
 * it has the 4-byte length form (OB, OW, SQ, UN, UT, ...). */
int dicom_known_vr(const uint8_t *vr, int *is_long);

/* A malloc'ed copy of the bytes behind a preamble, "DICM" and (for a bare
 * data set, ts != "") a file meta group naming `ts`. */
int dicom_wrap_part10(const void *bytes, size_t len, const char *ts,
                      uint8_t **out, size_t *out_len);

/* Raw-inflates a deflated data set (PS3.5 A.5) into a malloc'ed buffer of
 * at most `limit` bytes; a truncated or damaged stream is VLM_EFORMAT, a
 * larger one VLM_ETOOBIG, with err naming `label`. */
int dicom_inflate(const void *bytes, size_t len, size_t limit, uint8_t **out,
                  size_t *out_len, const char *label, char *err);

#endif
