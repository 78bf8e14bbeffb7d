/*
 * tok_file.h — reading a tokenizer file (vocab.json, merges.txt,
 * vocab.txt) whole into memory, with a size limit.
 */
#ifndef VLM_TOK_FILE_H
#define VLM_TOK_FILE_H

#include <stddef.h>

#include "model/core/vlm_error.h"

/* *out: the file's bytes plus a NUL (malloc'd), *len: their count.  Errors
 * name the file: VLM_ENOTFOUND, VLM_EIO, VLM_ETOOBIG (over 256 MiB),
 * VLM_ENOMEM. */
int tok_read_file(const char *path, char **out, size_t *len, char *err);

#endif
