/*
 * clip_fixture.h — helpers for the CLIP tests: locate fixture folders, read
 * float tensors from expected.safetensors, compare arrays.
 */
#ifndef VLM_TEST_CLIP_FIXTURE_H
#define VLM_TEST_CLIP_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "model/weights/safetensors.h"

/* $VLM_FIXTURES/<name> into buf; skips the current test when absent. */
void fixture_dir(const char *name, char *buf, size_t cap);

/* Opens <dir>/expected.safetensors (asserts). */
st_file *fixture_expected(const char *dir);

/* A malloc'd float copy of tensor `name` (asserts it exists); *numel set. */
float *fixture_floats(const st_file *f, const char *name, size_t *numel);
int32_t *fixture_ints(const st_file *f, const char *name, size_t *numel);

/* max |a-b| over n values. */
double max_abs_diff(const float *a, const float *b, size_t n);
/* Smallest row-wise cosine similarity between rows x dim arrays. */
double min_row_cosine(const float *a, const float *b, int rows, int dim);

/* Prints "<fx> <what>: max abs diff D" and expects D <= tol. */
void expect_close(const char *fx, const char *what, const float *got,
                  const float *want, size_t n, double tol);

/* Fraction of u8 values within +-2 of the reference (got as floats on the
 * 0..255 scale, want as u8). */
double within_two_levels(const float *got, const uint8_t *want, size_t n);

#endif
