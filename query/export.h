/*
 * export.h — a collection's embeddings and metadata for the user's own
 * notebooks (`vlmindex export`).
 *
 *   EXPORT_NPY          OUT/embeddings.npy  float32 [N, dims], C order
 *                       (NumPy's .npy format 1.0, little-endian '<f4')
 *                       OUT/metadata.jsonl  line i describes row i: id,
 *                       path (+ path_b64, docs/output.md), width, height,
 *                       format, bytes, date, date_source, camera
 *   EXPORT_SAFETENSORS  one file OUT: tensors "embeddings" F32 [N, dims]
 *                       and "ids" I64 [N]; __metadata__ holds the model
 *                       ("model", "model_id", "dims") and "metadata_jsonl"
 *                       (the same lines as metadata.jsonl)
 * Rows are in ascending id order; vectors are L2-normalised (as stored).
 * Files are written to a temporary name and renamed when complete.
 */
#ifndef VLM_EXPORT_H
#define VLM_EXPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "schema/collection.h"

typedef enum export_format {
    EXPORT_NPY,
    EXPORT_SAFETENSORS,
} export_format;

typedef struct export_options {
    export_format format;
    const char *out;                 /* folder (npy) or file (safetensors) */
    const char *in_dir;              /* only images under it, or NULL */
    const collection_filter *filter; /* metadata filters, or NULL */
    bool overwrite;                  /* replace existing files */
} export_options;

/* *n_rows: how many rows were written. */
int export_collection(collection *c, const export_options *o,
                      int64_t *n_rows, char *err);

#endif
