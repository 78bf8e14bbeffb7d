/* vector_index_hash.c — hashing and byte helpers for vectors.faiss (see
 * vector_index_hash.h).  xxhash is used header-only. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <faiss/c_api/error_c.h>
#include <faiss/c_api/index_io_c.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "schema/vector_index_hash.h"

#define HASH_CHUNK (1 << 20)

uint64_t vindex_hash(const void *data, size_t n)
{
    return XXH3_64bits(data, n);
}

int vindex_hash_fd(int fd, const char *path, uint64_t off, uint64_t len,
                   uint64_t *out, char *err)
{
    unsigned char *buf = malloc(HASH_CHUNK);
    XXH3_state_t st;
    XXH3_64bits_reset(&st);
    int rc = buf ? VLM_OK : VLM_ENOMEM;
    if (!buf) vlm_set_err(err, "out of memory checksumming %s", path);
    for (uint64_t pos = 0; rc == VLM_OK && pos < len;) {
        size_t want = len - pos < HASH_CHUNK ? len - pos : HASH_CHUNK;
        ssize_t got = pread(fd, buf, want, (off_t)(off + pos));
        if (got <= 0) {
            vlm_set_err(err, "%s: read failed: %s", path,
                        got < 0 ? strerror(errno) : "unexpected end");
            rc = VLM_EIO;
        } else {
            XXH3_64bits_update(&st, buf, (size_t)got);
            pos += (uint64_t)got;
        }
    }
    free(buf);
    *out = XXH3_64bits_digest(&st);
    return rc;
}

void vindex_put_le(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++) p[i] = (unsigned char)(v >> (8 * i));
}

uint64_t vindex_get_le(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* FAISS writes through a stdio cookie that writes to fd and hashes. */
typedef struct {
    int fd;
    XXH3_state_t st;
    uint64_t bytes;
} hashing_sink;

static ssize_t sink_write(void *cookie, const char *buf, size_t n)
{
    hashing_sink *s = cookie;
    for (size_t done = 0; done < n;) {
        ssize_t w = write(s->fd, buf + done, n - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        done += (size_t)w;
    }
    XXH3_64bits_update(&s->st, buf, n);
    s->bytes += n;
    return (ssize_t)n;
}

int vindex_write_hashed(int fd, const char *path, const FaissIndex *idx,
                        uint64_t *bytes, uint64_t *hash, char *err)
{
    hashing_sink s = {.fd = fd};
    XXH3_64bits_reset(&s.st);
    FILE *f =
        fopencookie(&s, "w", (cookie_io_functions_t){.write = sink_write});
    if (!f) {
        vlm_set_err(err, "%s: %s", path, strerror(errno));
        return VLM_EIO;
    }
    int frc = faiss_write_index(idx, f);
    int close_rc = fclose(f); /* flushes through sink_write */
    if (frc != 0 || close_rc != 0) {
        const char *m = faiss_get_last_error();
        vlm_set_err(err, "%s: write failed: %s", path,
                    frc ? (m ? m : "FAISS error") : strerror(errno));
        return VLM_EIO;
    }
    *bytes = s.bytes;
    *hash = XXH3_64bits_digest(&s.st);
    return VLM_OK;
}
