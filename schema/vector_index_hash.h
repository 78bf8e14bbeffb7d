/*
 * vector_index_hash.h — (internal to schema/) the byte-level helpers of
 * vectors.faiss: XXH3-64 of memory and of file ranges, little-endian
 * fields, and a FAISS write that hashes the bytes as they go out.
 */
#ifndef VLM_SCHEMA_VECTOR_INDEX_HASH_H
#define VLM_SCHEMA_VECTOR_INDEX_HASH_H

#include <stddef.h>
#include <stdint.h>

#include <faiss/c_api/Index_c.h>

#include "model/core/vlm_error.h"

uint64_t vindex_hash(const void *data, size_t n);

/* XXH3-64 of bytes [off, off + len) of fd (pread, 1 MiB at a time). */
int vindex_hash_fd(int fd, const char *path, uint64_t off, uint64_t len,
                   uint64_t *out, char *err);

void vindex_put_le(unsigned char *p, uint64_t v, int bytes);
uint64_t vindex_get_le(const unsigned char *p, int bytes);

/* faiss_write_index of idx at the start of fd; *bytes and *hash describe
 * what was written. */
int vindex_write_hashed(int fd, const char *path, const FaissIndex *idx,
                        uint64_t *bytes, uint64_t *hash, char *err);

#endif
