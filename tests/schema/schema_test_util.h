/*
 * schema_test_util.h — helpers for the schema tests: scratch folders,
 * deterministic random unit vectors, brute-force top-k.
 */
#ifndef VLM_TESTS_SCHEMA_UTIL_H
#define VLM_TESTS_SCHEMA_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "schema/collection.h"

/* mkdtemp under $TMPDIR (or /tmp); returns a malloc'ed path. */
char *scratch_dir(void);
/* rm -rf path, then free(path). */
void scratch_remove(char *path);

/* n unit vectors of `dims` floats from a fixed seed. */
float *random_unit_vectors(size_t n, int dims, uint64_t seed);

/* Opens DIR (created) and binds a test model of `dims`. */
collection *open_test_collection(const char *dir, int dims);

/* Adds vectors[i] as DIR/img<i>.jpg; returns ids in ids[i]. */
void add_test_images(collection *c, const char *root, const float *vecs,
                     size_t n, int dims, int64_t *ids);

/* Exact top-k ids by inner product over (ids, vecs); out_ids gets k. */
void brute_force_topk(const float *q, const float *vecs, const int64_t *ids,
                      size_t n, int dims, int k, int64_t *out_ids,
                      float *out_scores);

#endif
