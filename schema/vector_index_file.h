/*
 * vector_index_file.h — the on-disk form of the vector index (internal to
 * schema/): FAISS's own serialisation followed by a fixed 48-byte trailer
 *
 *     "VLMVIDX1" | generation i64 | ntotal i64 | dims i32 | kind i32 |
 *     trained_on i64 | faiss_bytes u64          (little-endian)
 *
 * FAISS ignores the trailing bytes, so the file stays readable by any FAISS
 * tool.  The trailer's faiss_bytes must equal file size - 48, which catches
 * truncated and foreign files.  Writes are atomic: temp file, fsync,
 * rename, fsync of the folder.
 */
#ifndef VLM_SCHEMA_VECTOR_INDEX_FILE_H
#define VLM_SCHEMA_VECTOR_INDEX_FILE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <faiss/c_api/Index_c.h>

#include "model/core/vlm_error.h"

typedef struct {
    int64_t generation; /* SQLite meta.generation the index reflects */
    int64_t ntotal;
    int32_t dims;
    int32_t kind;       /* enum vector_index_kind */
    int64_t trained_on; /* IVF: vectors in the collection at training */
} vindex_trailer;

/* Loads path.  VLM_ENOTFOUND if absent, VLM_EFORMAT if corrupt (err says
 * why).  The inverted lists are memory-mapped (read-only, *mmapped = true) when
 * the file's generation equals mmap_generation: a current index needs no
 * changes, and mapping it spares a one-shot search from reading it all. */
int vindex_file_load(const char *path, int64_t mmap_generation,
                     vindex_trailer *t, FaissIndex **out, bool *mmapped,
                     char *err);

/* Atomically replaces path with idx + trailer; new file gets `mode`. */
int vindex_file_save(const char *path, const FaissIndex *idx,
                     const vindex_trailer *t, mode_t mode, char *err);

#endif
