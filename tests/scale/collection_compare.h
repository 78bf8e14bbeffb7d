/*
 * collection_compare.h — do two collections hold the same images?  For
 * the shard tests: a merged collection against a single-machine add.
 */
#ifndef VLM_TEST_COLLECTION_COMPARE_H
#define VLM_TEST_COLLECTION_COMPARE_H

#include <stddef.h>

/* Rows matched by path (ids may differ): the same paths, roots, sizes,
 * mtimes, content hashes, statuses, and embeddings within `tol` (max
 * absolute difference per component).  0 when equal; else 1 with the
 * first difference in why[size] (or -1 when one cannot be read). */
int collection_compare(const char *dir_a, const char *dir_b, float tol,
                       char *why, size_t size);

#endif
