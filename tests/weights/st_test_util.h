/*
 * st_test_util.h — helpers for the weights tests: temp folders, fixture
 * lookup, and writing (possibly deliberately broken) safetensors files.
 */
#ifndef VLM_ST_TEST_UTIL_H
#define VLM_ST_TEST_UTIL_H

#include <stddef.h>

#include "model/weights/safetensors.h"

/* $VLM_FIXTURES/rel, malloc'd; NULL when the fixtures folder is absent. */
char *stt_fixture(const char *rel);

/* Skips the current Criterion test when the fixtures are missing. */
#define STT_FIXTURE_OR_SKIP(var, rel)                       \
    char *var = stt_fixture(rel);                           \
    if (!var)                                               \
    cr_skip_test("fixtures not found (set VLM_FIXTURES to " \
                 "../shared/fixtures)")

/* A fresh folder under $TMPDIR (malloc'd), and its recursive removal. */
char *stt_tempdir(void);
void stt_rmtree(const char *dir);

/* dir/name, malloc'd. */
char *stt_join(const char *dir, const char *name);

/* Writes raw bytes to dir/name; returns the malloc'd path. */
char *stt_write_raw(const char *dir, const char *name, const void *buf,
                    size_t len);

/* Writes a safetensors file: 8-byte length of `header` (or `declared_len`
 * when it is not (size_t)-1), the header text, then `data`. */
char *stt_write_st(const char *dir, const char *name, const char *header,
                   size_t declared_len, const void *data, size_t data_len);

/* Writes a valid safetensors file holding copies of tensors[0..n). */
char *stt_write_tensors(const char *dir, const char *name,
                        const st_tensor *const *tensors, int n);

/* Writes model-0000K-of-0000N.safetensors (K = 1..n_shards, n_shards <= 9)
 * holding src's tensors in order, plus model.safetensors.index.json. */
void stt_write_sharded(const char *dir, const st_file *src, int n_shards);

#endif
