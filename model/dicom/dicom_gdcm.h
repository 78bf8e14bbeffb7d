/*
 * dicom_gdcm.h — internal to the GDCM module (libvlm_gdcm.so): reading the
 * attributes the display pipeline needs out of a parsed GDCM data set.
 *
 * PHI: only the tags named in dicom_attributes.cpp are ever looked at;
 * patient name/ID/birth date are never read.
 */
#ifndef VLM_DICOM_GDCM_H
#define VLM_DICOM_GDCM_H

#include <cstddef>
#include <cstdint>

#include <gdcmDataSet.h>

#include "model/dicom/dicom_shim.h"

namespace vlm_gdcm
{

/* The value bytes of a tag, or nullptr when absent or empty. */
const gdcm::ByteValue *value_of(const gdcm::DataSet &ds, uint16_t g,
                                uint16_t e);

/* Printable copy of a text value, trimmed of DICOM padding; "" if absent. */
void tag_string(const gdcm::DataSet &ds, uint16_t g, uint16_t e, char *buf,
                size_t cap);

/* Value `index` of a multi-valued DS/IS ("-600\40": index 1 is 40).
 * 0 when absent or not a finite number. */
int tag_number(const gdcm::DataSet &ds, uint16_t g, uint16_t e, int index,
               double *out);

/* A US value (host order; GDCM swaps explicit big endian on reading). */
int tag_us(const gdcm::DataSet &ds, uint16_t g, uint16_t e, unsigned *out);

/* Identifiers for the header (never patient fields) and NumberOfFrames. */
void read_header(const gdcm::DataSet &ds, dicom_header *h);

/* Rows, columns, samples, bits, signedness, planar configuration and
 * photometric interpretation, checked for what we can decode. */
int read_pixel_format(const gdcm::DataSet &ds, dicom_raw *raw, char *err,
                      const char *label);

/* Rescale / Modality LUT Sequence, window / VOI LUT Sequence (the frame's
 * functional groups first, as PS3.3 C.7.6.16 says), palette tables. */
void read_display_attributes(const gdcm::DataSet &ds, dicom_raw *raw);

} // namespace vlm_gdcm

#endif
