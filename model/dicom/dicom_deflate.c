/*
 * dicom_deflate.c — Deflated Explicit VR Little Endian (PS3.5 A.5): the data
 * set after the file meta group is a raw deflate stream.  It is inflated
 * here with zlib, with a size limit, so that a truncated or corrupt stream
 * is a clear error (GDCM's own inflating loops forever on a truncated one)
 * and the inflated data set goes through the same bound check as any other.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "model/dicom/dicom_container.h"

static int inflate_all(z_stream *z, size_t limit, uint8_t **out, size_t *n)
{
    size_t cap = 1 << 16;
    *out = malloc(cap);
    *n = 0;
    int rc = Z_OK;
    while (*out && rc == Z_OK) {
        if (*n == cap) {
            if (cap >= limit) return VLM_ETOOBIG;
            cap = cap * 2 > limit ? limit : cap * 2;
            uint8_t *grown = realloc(*out, cap);
            if (!grown) break;
            *out = grown;
        }
        z->next_out = *out + *n;
        z->avail_out = (uInt)(cap - *n > (1u << 30) ? 1u << 30 : cap - *n);
        size_t before = z->avail_out;
        rc = inflate(z, Z_NO_FLUSH);
        *n += before - z->avail_out;
        if (rc == Z_BUF_ERROR && z->avail_in == 0) return VLM_EFORMAT;
        if (rc == Z_BUF_ERROR) rc = Z_OK; /* output full: grow and go on */
    }
    if (!*out) return VLM_ENOMEM;
    return rc == Z_STREAM_END ? VLM_OK : VLM_EFORMAT;
}

int dicom_inflate(const void *bytes, size_t len, size_t limit, uint8_t **out,
                  size_t *out_len, const char *label, char *err)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    *out = NULL;
    *out_len = 0;
    if (inflateInit2(&z, -MAX_WBITS) != Z_OK) {
        vlm_set_err(err, "%s: out of memory for inflating", label);
        return VLM_ENOMEM;
    }
    z.next_in = (Bytef *)bytes;
    z.avail_in = (uInt)(len > UINT32_MAX ? UINT32_MAX : len);
    int st = inflate_all(&z, limit, out, out_len);
    inflateEnd(&z);
    if (st == VLM_EFORMAT)
        vlm_set_err(err,
                    "%s: corrupt DICOM: the deflated data set is "
                    "truncated or damaged",
                    label);
    else if (st == VLM_ETOOBIG)
        vlm_set_err(err, "%s: the deflated data set inflates past %zu MiB",
                    label, limit >> 20);
    else if (st != VLM_OK)
        vlm_set_err(err, "%s: out of memory for inflating", label);
    if (st != VLM_OK) {
        free(*out);
        *out = NULL;
        *out_len = 0;
    }
    return st;
}
