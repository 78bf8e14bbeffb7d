/*
 * image_source.h — load any image file we index (photo formats or DICOM)
 * into 8-bit RGB, for the paths that work on one file at a time (image
 * queries, captions, reranking).
 */
#ifndef VLM_IMAGE_SOURCE_H
#define VLM_IMAGE_SOURCE_H

#include "model/dicom/dicom.h"
#include "model/image/image.h"

/* window: DICOM VOI window (NULL = per-modality default). */
int image_source_load(const char *path, const dicom_window *window,
                      img_rgb *out, char *err);

#endif
