/*
 * llava_fixture.h — where the llava-tiny-llama fixture lives, and reading
 * its expected.safetensors, for the tests of model/llava.
 */
#ifndef VLM_TESTS_LLAVA_FIXTURE_H
#define VLM_TESTS_LLAVA_FIXTURE_H

#include <stdint.h>

#include "model/weights/safetensors.h"

/* $VLM_FIXTURES/llava-tiny-llama (static buffer), or skips the test with a
 * message when the fixtures are absent. */
const char *llava_fixture_dir(void);
/* Path of a file in it (static buffer, overwritten by the next call). */
const char *llava_fixture_path(const char *name);

/* The named tensor of expected.safetensors as malloc'd floats / ints;
 * *n gets numel (may be NULL).  Fails the test when absent. */
float *llava_expected_f32(const st_file *f, const char *name, int64_t *n);
int32_t *llava_expected_i32(const st_file *f, const char *name, int64_t *n);

/* max |a - b| / max |b| over n values. */
double llava_rel_diff(const float *a, const float *b, int64_t n);

#endif
