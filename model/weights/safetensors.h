/*
 * safetensors.h — validated, memory-mapped safetensors files and checkpoints.
 *
 * Format: 8-byte little-endian header length N, N bytes of JSON
 * {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
 *  "__metadata__": {"key": "string", ...}}, then the raw little-endian data.
 *
 * Opening a file validates everything before any tensor is handed out: the
 * header length lies within the file, the JSON is valid, every dtype is known,
 * shape x dtype size equals the byte span, spans lie inside the data area and
 * do not overlap.  Tensor data is never copied: `data` points into the
 * read-only mapping, so pages of tensors nobody reads are never touched.
 */
#ifndef VLM_SAFETENSORS_H
#define VLM_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "model/core/vlm_error.h"

typedef enum st_dtype {
    ST_F64,
    ST_F32,
    ST_F16,
    ST_BF16,
    ST_I64,
    ST_I32,
    ST_I16,
    ST_I8,
    ST_U64,
    ST_U32,
    ST_U16,
    ST_U8,
    ST_BOOL,
} st_dtype;

#define ST_MAX_DIMS 8

typedef struct st_tensor {
    const char *name; /* owned by the file/checkpoint */
    st_dtype dtype;
    int ndim; /* 0 for a scalar */
    int64_t shape[ST_MAX_DIMS];
    int64_t numel;    /* product of shape (1 for a scalar) */
    const void *data; /* into the read-only mapping, not aligned beyond 1 */
    size_t nbytes;
    const char *path; /* file this tensor lives in (for messages) */
} st_tensor;

size_t st_dtype_size(st_dtype t);
const char *st_dtype_name(st_dtype t);

/* ---- one file ---------------------------------------------------------- */
typedef struct st_file st_file;

/* mmap + validate `path`.  On failure *out is NULL and err names the file. */
int st_file_open(const char *path, st_file **out, char *err);

/* Validate an in-memory image of a safetensors file (used by the fuzzer and
 * by st_file_open).  `buf` must outlive the returned handle; `label` names it
 * in messages. */
int st_file_from_buffer(const void *buf, size_t len, const char *label,
                        st_file **out, char *err);

void st_file_close(st_file *f);

int st_file_count(const st_file *f);
const st_tensor *st_file_tensor(const st_file *f, int i);
const st_tensor *st_file_find(const st_file *f, const char *name);
/* A string value from "__metadata__", or NULL. */
const char *st_file_metadata(const st_file *f, const char *key);

/* ---- a checkpoint folder: model.safetensors or a sharded set ------------ */
typedef struct st_checkpoint st_checkpoint;

/* Opens DIR/model.safetensors, or every shard named by
 * DIR/model.safetensors.index.json ("weight_map").  Tensor names must be
 * unique across shards. */
int st_checkpoint_open(const char *dir, st_checkpoint **out, char *err);
void st_checkpoint_close(st_checkpoint *c);
const st_tensor *st_checkpoint_find(const st_checkpoint *c, const char *name);
int st_checkpoint_count(const st_checkpoint *c);
const st_tensor *st_checkpoint_tensor(const st_checkpoint *c, int i);

/* Requires `name` to exist with exactly the given shape (ndim dims), and a
 * floating dtype (F32/F16/BF16).  On failure err says which tensor, what was
 * expected and what was found. */
int st_checkpoint_require(const st_checkpoint *c, const char *name, int ndim,
                          const int64_t *shape, const st_tensor **out,
                          char *err);

/* ---- dtype conversion -------------------------------------------------- */
/* Converts t (F32/F16/BF16, or I32/I64/U8 for integer fixture data) into n
 * floats at dst; n must equal t->numel. */
int st_tensor_to_f32(const st_tensor *t, float *dst, size_t n, char *err);
/* Same for integer tensors into int32 (I32/I64/U8/I16/U16). */
int st_tensor_to_i32(const st_tensor *t, int32_t *dst, size_t n, char *err);

float st_f16_to_f32(uint16_t h);
float st_bf16_to_f32(uint16_t b);
uint16_t st_f32_to_bf16(float f); /* round-to-nearest-even */

#endif
