/*
 * schema_test_util.h — helpers for the schema tests: scratch folders and
 * the suite fixtures built on them, SQL probes, deterministic random unit
 * vectors, brute-force top-k.
 */
#ifndef VLM_TESTS_SCHEMA_UTIL_H
#define VLM_TESTS_SCHEMA_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "schema/collection.h"

/* mkdtemp under $TMPDIR (or /tmp); returns a malloc'ed path. */
char *scratch_dir(void);
/* rm -rf path, then free(path). */
void scratch_remove(char *path);

/* The scratch fixture (TestSuite .init / .fini): each test, a process of
 * its own under Criterion, gets a new empty folder test_dir and an empty
 * message buffer test_err. */
extern char *test_dir;
extern char test_err[VLM_ERR_MAX];
void scratch_fixture_init(void);
void scratch_fixture_fini(void);

/* The vector-index fixture (.init / .fini): the scratch fixture plus
 * test_coll, a collection in test_dir bound to a test model of
 * VEC_FIXTURE_DIMS, holding test_vecs, VEC_FIXTURE_N random unit vectors
 * (seed 42) added as /v/img<i>.jpg with the ids test_ids. */
#define VEC_FIXTURE_DIMS 32
#define VEC_FIXTURE_N    600
extern collection *test_coll;
extern float *test_vecs;
extern int64_t test_ids[VEC_FIXTURE_N];
void vector_fixture_init(void);
void vector_fixture_fini(void);

/* Runs sql on db (asserts it succeeds). */
void exec_sql(sqlite3 *db, const char *sql);
/* The first column of the first row of sql on c's database (asserts a
 * row comes back). */
int64_t count_sql(collection *c, const char *sql);

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
