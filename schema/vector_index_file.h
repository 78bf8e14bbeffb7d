/*
 * vector_index_file.h — the on-disk form of the vector index (internal to
 * schema/):
 *
 *   FAISS's own serialisation (vector_index_layout.h)
 *   list table  "VLMLSUM1" | nlist u64 | head u64 | nlist x list u64
 *   trailer     "VLMVIDX2" | generation i64 | ntotal i64 | dims i32 |
 *               kind i32 | trained_on i64 | faiss_bytes u64 |
 *               checksum u64 | table u64 | self u64      (72 bytes, LE)
 *
 * All hashes are XXH3-64: `head` of the FAISS bytes before the first list
 * (headers, quantizer, codec tables), `list` of each list's bytes (codes
 * and ids), `checksum` of all FAISS bytes, `table` of the list table,
 * `self` of the trailer's first 64 bytes (a damaged generation must not
 * pass for a current one).  FAISS ignores trailing bytes, so the file
 * stays readable by any FAISS tool.
 *
 * Loading checks the trailer, the table, the FAISS structure against both
 * and against the model's dims, and the head; then either maps the lists
 * (their bytes are checked one list at a time, the first time a search
 * probes it: vindex_mapping_check_list) or reads them into memory after
 * checking the whole checksum.  Files of the first format ("VLMVIDX1") are
 * reported as old and rebuilt.  Writes are atomic: temp file, fsync,
 * rename, fsync of the folder.
 */
#ifndef VLM_SCHEMA_VECTOR_INDEX_FILE_H
#define VLM_SCHEMA_VECTOR_INDEX_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <faiss/c_api/Index_c.h>

#include "model/core/vlm_error.h"
#include "schema/vector_index_layout.h"

#define VINDEX_TRAILER_BYTES 72

typedef struct {
    int64_t generation; /* SQLite meta.generation the index reflects */
    int64_t ntotal;
    int32_t dims;
    int32_t kind;         /* enum vector_index_kind */
    int64_t trained_on;   /* IVF: vectors in the collection at training */
    uint64_t faiss_bytes; /* the rest is set by save and load */
    uint64_t checksum;
    uint64_t table_hash;
} vindex_trailer;

/* A loaded file whose lists FAISS maps: our own read-only view of it, to
 * check each list before a search relies on it. */
typedef struct {
    const unsigned char *base; /* the whole file */
    size_t size;
    vindex_layout layout;
    uint64_t *list_hash;    /* nlist, from the checked table */
    unsigned char *checked; /* nlist flags: hash verified */
} vindex_mapping;

typedef struct {
    int32_t dims;            /* the collection model's */
    int64_t mmap_generation; /* map the lists when the file is at this one */
    int64_t verify_bytes;    /* mapped files up to this size: checksum all
                                at load; < 0: never (lists still checked) */
} vindex_load_opts;

/* Loads path (see above).  *map is set when the lists are mapped (free
 * with vindex_mapping_free), NULL otherwise.  VLM_ENOTFOUND if absent,
 * VLM_EFORMAT if damaged, old or of other dims (err says which). */
int vindex_file_load(const char *path, const vindex_load_opts *o,
                     vindex_trailer *t, FaissIndex **out, vindex_mapping **map,
                     char *err);

/* Checks list l the first time it is asked: VLM_OK, or VLM_EFORMAT with
 * the reason in why. */
int vindex_mapping_check_list(vindex_mapping *m, uint64_t l, char *why,
                              size_t why_size);
void vindex_mapping_free(vindex_mapping *m);

/* Everything a load checks plus the whole checksum, without loading:
 * VLM_OK (healthy), VLM_ENOTFOUND, VLM_EFORMAT (err says what is wrong),
 * VLM_EIO.  *bytes = file size when it exists. */
int vindex_file_check(const char *path, int32_t dims, vindex_trailer *t,
                      int64_t *bytes, char *err);

/* Atomically replaces path with idx + list table + trailer (t's hashes
 * and faiss_bytes are set); the new file gets `mode`. */
int vindex_file_save(const char *path, const FaissIndex *idx, vindex_trailer *t,
                     mode_t mode, char *err);

#endif
