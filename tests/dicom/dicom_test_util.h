/*
 * dicom_test_util.h — shared helpers for the DICOM tests: build the
 * synthetic data set once per test program (in a 0700 temp dir, removed at
 * exit) and small file/string utilities.
 */
#ifndef VLM_TEST_DICOM_UTIL_H
#define VLM_TEST_DICOM_UTIL_H

#include <stddef.h>

#include "model/image/image.h"

/* Runs make-variants.sh into a fresh mkdtemp dir and exports it as
 * VLM_DICOM_SYN (or VLM_DICOM_SYN_ERR with the reason).  Call from main. */
void syn_setup(void);
void syn_teardown(void);

/* Path of a generated file, or NULL (test should skip, quoting syn_error)
 * when it was not made. */
const char *syn_path(const char *name, char *buf, size_t cap);
const char *syn_error(void);

/* Whole file into malloc'd memory; NULL on error. */
unsigned char *read_all(const char *path, size_t *len);
int write_all(const char *path, const void *bytes, size_t len);

/* 1 if `needle` occurs in the bytes. */
int bytes_contain(const void *hay, size_t len, const char *needle);

/* Frees an img_rgb's pixels (the tests do not need the image library). */
void test_img_free(img_rgb *im);

#endif
