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

#include "model/core/dtype_convert.h"
#include "model/core/tensor.h"
#include "model/core/vlm_error.h"

/* The element types and the tensor view are model/core's (tensor.h); these
 * are their names in this room's API. */
typedef vlm_dtype st_dtype;
#define ST_F64      VLM_DTYPE_F64
#define ST_F32      VLM_DTYPE_F32
#define ST_F16      VLM_DTYPE_F16
#define ST_BF16     VLM_DTYPE_BF16
#define ST_I64      VLM_DTYPE_I64
#define ST_I32      VLM_DTYPE_I32
#define ST_I16      VLM_DTYPE_I16
#define ST_I8       VLM_DTYPE_I8
#define ST_U64      VLM_DTYPE_U64
#define ST_U32      VLM_DTYPE_U32
#define ST_U16      VLM_DTYPE_U16
#define ST_U8       VLM_DTYPE_U8
#define ST_BOOL     VLM_DTYPE_BOOL

#define ST_MAX_DIMS VLM_TENSOR_MAX_DIMS

/* name: owned by the file/checkpoint; data: into the read-only mapping;
 * path: the file the tensor lives in. */
typedef vlm_tensor st_tensor;

static inline size_t st_dtype_size(st_dtype t) { return vlm_dtype_size(t); }
static inline const char *st_dtype_name(st_dtype t)
{
    return vlm_dtype_name(t);
}

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

/* ---- dtype conversion (model/core/dtype_convert.h) ------------------- */
static inline int st_tensor_to_f32(const st_tensor *t, float *dst, size_t n,
                                   char *err)
{
    return vlm_tensor_to_f32(t, dst, n, err);
}
static inline int st_tensor_to_i32(const st_tensor *t, int32_t *dst, size_t n,
                                   char *err)
{
    return vlm_tensor_to_i32(t, dst, n, err);
}
static inline float st_f16_to_f32(uint16_t h) { return vlm_f16_to_f32(h); }
static inline float st_bf16_to_f32(uint16_t b) { return vlm_bf16_to_f32(b); }
static inline uint16_t st_f32_to_bf16(float f) { return vlm_f32_to_bf16(f); }

#endif
