/*
 * vector_index_file.c — load / atomic save of DIR/vectors.faiss with its
 * generation trailer (format in vector_index_file.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <faiss/c_api/error_c.h>
#include <faiss/c_api/index_io_c.h>

#include "schema/vector_index_file.h"

#define TRAILER_MAGIC "VLMVIDX1"
#define TRAILER_BYTES 48

static const char *faiss_msg(void)
{
    const char *m = faiss_get_last_error();
    return m ? m : "unknown FAISS error";
}

static void put_le(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void encode_trailer(const vindex_trailer *t, uint64_t faiss_bytes,
                           unsigned char out[TRAILER_BYTES])
{
    memcpy(out, TRAILER_MAGIC, 8);
    put_le(out + 8, (uint64_t)t->generation, 8);
    put_le(out + 16, (uint64_t)t->ntotal, 8);
    put_le(out + 24, (uint32_t)t->dims, 4);
    put_le(out + 28, (uint32_t)t->kind, 4);
    put_le(out + 32, (uint64_t)t->trained_on, 8);
    put_le(out + 40, faiss_bytes, 8);
}

/* Reads and checks the trailer of an open file of `size` bytes. */
static int read_trailer(int fd, off_t size, const char *path, vindex_trailer *t,
                        char *err)
{
    unsigned char b[TRAILER_BYTES];
    if (size < TRAILER_BYTES ||
        pread(fd, b, TRAILER_BYTES, size - TRAILER_BYTES) != TRAILER_BYTES ||
        memcmp(b, TRAILER_MAGIC, 8) != 0) {
        vlm_set_err(err, "%s: no vlmindex trailer (truncated or foreign)",
                    path);
        return VLM_EFORMAT;
    }
    t->generation = (int64_t)get_le(b + 8, 8);
    t->ntotal = (int64_t)get_le(b + 16, 8);
    t->dims = (int32_t)get_le(b + 24, 4);
    t->kind = (int32_t)get_le(b + 28, 4);
    t->trained_on = (int64_t)get_le(b + 32, 8);
    if (get_le(b + 40, 8) != (uint64_t)(size - TRAILER_BYTES)) {
        vlm_set_err(err, "%s: size does not match its trailer", path);
        return VLM_EFORMAT;
    }
    return VLM_OK;
}

/* FAISS reads from the same descriptor as the trailer, so a concurrent
 * rename cannot pair one file's trailer with another's data. */
static int read_faiss(int fd, const char *path, bool mmap_lists,
                      const vindex_trailer *t, FaissIndex **out, char *err)
{
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        vlm_set_err(err, "%s: %s", path, strerror(errno));
        close(fd);
        return VLM_EIO;
    }
    FaissIndex *idx = NULL;
    int frc = faiss_read_index(f, mmap_lists ? FAISS_IO_FLAG_MMAP : 0, &idx);
    fclose(f);
    if (frc != 0) {
        vlm_set_err(err, "%s: FAISS cannot read it: %s", path, faiss_msg());
        return VLM_EFORMAT;
    }
    if (faiss_Index_ntotal(idx) != t->ntotal || faiss_Index_d(idx) != t->dims) {
        vlm_set_err(err, "%s: content does not match its trailer", path);
        faiss_Index_free(idx);
        return VLM_EFORMAT;
    }
    *out = idx;
    return VLM_OK;
}

int vindex_file_load(const char *path, int64_t mmap_generation,
                     vindex_trailer *t, FaissIndex **out, bool *mmapped,
                     char *err)
{
    *out = NULL;
    *mmapped = false;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        vlm_set_err(err, "%s: %s", path, strerror(errno));
        return errno == ENOENT ? VLM_ENOTFOUND : VLM_EIO;
    }
    struct stat sb;
    int rc = fstat(fd, &sb) == 0 ? read_trailer(fd, sb.st_size, path, t, err)
                                 : VLM_EIO;
    if (rc != VLM_OK) {
        close(fd);
        return rc;
    }
    /* FAISS ignores the flag for index types without inverted lists. */
    bool want_mmap = t->generation == mmap_generation;
    rc = read_faiss(fd, path, want_mmap, t, out, err);
    if (rc == VLM_OK) *mmapped = want_mmap;
    return rc;
}

static int fsync_parent(const char *path)
{
    char *copy = strdup(path);
    if (!copy) return -1;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(copy);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

static int write_all(FILE *f, const FaissIndex *idx, const vindex_trailer *t,
                     const char *tmp, char *err)
{
    if (faiss_write_index(idx, f) != 0) {
        vlm_set_err(err, "%s: FAISS write failed: %s", tmp, faiss_msg());
        return VLM_EIO;
    }
    unsigned char b[TRAILER_BYTES];
    off_t faiss_bytes = ftello(f);
    encode_trailer(t, (uint64_t)faiss_bytes, b);
    if (faiss_bytes < 0 || fwrite(b, 1, sizeof b, f) != sizeof b ||
        fflush(f) != 0 || fsync(fileno(f)) != 0) {
        vlm_set_err(err, "%s: write failed: %s", tmp, strerror(errno));
        return VLM_EIO;
    }
    return VLM_OK;
}

int vindex_file_save(const char *path, const FaissIndex *idx,
                     const vindex_trailer *t, mode_t mode, char *err)
{
    static unsigned counter;
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld.%u", path, (long)getpid(), counter++);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!f) {
        vlm_set_err(err, "cannot create %s: %s", tmp, strerror(errno));
        if (fd >= 0) close(fd), unlink(tmp);
        return VLM_EIO;
    }
    fchmod(fd, mode); /* the umask must not widen or narrow it */
    int rc = write_all(f, idx, t, tmp, err);
    if (fclose(f) != 0 && rc == VLM_OK) {
        vlm_set_err(err, "%s: close failed: %s", tmp, strerror(errno));
        rc = VLM_EIO;
    }
    if (rc == VLM_OK && rename(tmp, path) != 0) {
        vlm_set_err(err, "cannot rename %s to %s: %s", tmp, path,
                    strerror(errno));
        rc = VLM_EIO;
    }
    if (rc != VLM_OK) {
        unlink(tmp);
        return rc;
    }
    fsync_parent(path); /* best effort: the rename itself is durable-ish */
    return VLM_OK;
}
