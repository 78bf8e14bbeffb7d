/*
 * dicom_writer.h — a minimal DICOM Part-10 writer (Explicit VR Little
 * Endian) into memory: enough for a Basic Text SR to send back to a PACS and
 * for synthetic test images.  It is not a general DICOM toolkit.
 *
 * Elements must be added in ascending tag order within each data set (the
 * writer checks and fails otherwise).  Sequences and items use undefined
 * length with delimiters.  Values are padded to even length as PS3.5 says
 * (UI with NUL, text with space, OB/OW with NUL).  The first error is kept
 * and reported by dicom_writer_finish; the add calls never print.
 */
#ifndef VLM_DICOM_WRITER_H
#define VLM_DICOM_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "model/core/vlm_error.h"

typedef struct dicom_writer dicom_writer;

/* Starts the file: preamble, "DICM" and the file meta group. */
dicom_writer *dicom_writer_create(const char *sop_class_uid,
                                  const char *sop_instance_uid);
void dicom_writer_destroy(dicom_writer *w);

/* Text-like VRs (AE AS CS DA DS DT IS LO LT PN SH ST TM UI UT ...). */
void dicom_writer_string(dicom_writer *w, uint16_t group, uint16_t elem,
                         const char *vr, const char *value);
void dicom_writer_us(dicom_writer *w, uint16_t group, uint16_t elem,
                     uint16_t value);
/* Binary VRs: OB or OW (OW data is taken as little-endian bytes). */
void dicom_writer_bytes(dicom_writer *w, uint16_t group, uint16_t elem,
                        const char *vr, const void *data, size_t len);

void dicom_writer_seq_begin(dicom_writer *w, uint16_t group, uint16_t elem);
void dicom_writer_item_begin(dicom_writer *w);
void dicom_writer_item_end(dicom_writer *w);
void dicom_writer_seq_end(dicom_writer *w);

/* Hands over the encoded bytes (free() them) or the first error. */
int dicom_writer_finish(dicom_writer *w, uint8_t **bytes, size_t *len,
                        char *err);

/* A fresh UID under the 2.25 (UUID-derived) root, at most 64 chars. */
int dicom_uid_generate(char out[65], char *err);

#endif
