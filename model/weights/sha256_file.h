/*
 * sha256_file.h — SHA-256 of a file, as lowercase hex (OpenSSL EVP).
 *
 * Used to verify hub downloads against the sha256 the hub sends for LFS
 * files, and usable to fingerprint weights.
 */
#ifndef VLM_SHA256_FILE_H
#define VLM_SHA256_FILE_H

#include "model/core/vlm_error.h"

#define VLM_SHA256_HEX_LEN 64

/* Hashes the whole file at `path` into hex (65 bytes incl. the NUL). */
int vlm_sha256_file(const char *path, char hex[VLM_SHA256_HEX_LEN + 1],
                    char *err);

#endif
