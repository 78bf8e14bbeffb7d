/* tok_file.c — reading tokenizer files whole (tok_file.h). */
#include "model/tokenizer/tok_file.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_FILE_BYTES (256u << 20)

int tok_read_file(const char *path, char **out, size_t *len, char *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        vlm_set_err(err, "cannot open %s: %s", path, strerror(e));
        return e == ENOENT ? VLM_ENOTFOUND : VLM_EIO;
    }
    /* Sized from fstat so a regular file takes one read; the growth below
     * still handles pipes and files that grow meanwhile. */
    struct stat st;
    size_t cap = 1 << 16, n = 0;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) &&
        (uint64_t)st.st_size < MAX_FILE_BYTES)
        cap = (size_t)st.st_size + 2;
    char *buf = malloc(cap);
    int rc = buf ? VLM_OK : VLM_ENOMEM;
    while (rc == VLM_OK) {
        if (n + 1 == cap) {
            char *p = cap < MAX_FILE_BYTES ? realloc(buf, cap * 2) : NULL;
            rc = p ? VLM_OK : (cap < MAX_FILE_BYTES ? VLM_ENOMEM : VLM_ETOOBIG);
            buf = p ? p : buf;
            cap *= 2;
            continue;
        }
        size_t got = fread(buf + n, 1, cap - 1 - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) rc = VLM_EIO;
            break;
        }
    }
    fclose(f);
    if (rc != VLM_OK) {
        vlm_set_err(err, "cannot read %s: %s", path, vlm_strerror(rc));
        free(buf);
        return rc;
    }
    buf[n] = 0;
    *out = buf;
    *len = n;
    return VLM_OK;
}
