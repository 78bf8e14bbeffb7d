/*
 * vector_index_file.c — load, check and atomic save of DIR/vectors.faiss
 * with its list table and trailer (format in vector_index_file.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <faiss/c_api/error_c.h>
#include <faiss/c_api/index_io_c.h>

#include "schema/vector_index.h"
#include "schema/vector_index_file.h"
#include "schema/vector_index_hash.h"

#define TRAILER_MAGIC "VLMVIDX2"
#define OLD_MAGIC     "VLMVIDX1"
#define TABLE_MAGIC   "VLMLSUM1"
#define TRAILER_SELF  64 /* bytes covered by the trailer's own hash */
#define TABLE_HEAD    16 /* magic + nlist */

static const char *faiss_msg(void)
{
    const char *m = faiss_get_last_error();
    return m ? m : "unknown FAISS error";
}

/* ------------------------------------------------------------------ */
/* Trailer and list table                                              */
/* ------------------------------------------------------------------ */

static void encode_trailer(const vindex_trailer *t,
                           unsigned char out[VINDEX_TRAILER_BYTES])
{
    memcpy(out, TRAILER_MAGIC, 8);
    vindex_put_le(out + 8, (uint64_t)t->generation, 8);
    vindex_put_le(out + 16, (uint64_t)t->ntotal, 8);
    vindex_put_le(out + 24, (uint32_t)t->dims, 4);
    vindex_put_le(out + 28, (uint32_t)t->kind, 4);
    vindex_put_le(out + 32, (uint64_t)t->trained_on, 8);
    vindex_put_le(out + 40, t->faiss_bytes, 8);
    vindex_put_le(out + 48, t->checksum, 8);
    vindex_put_le(out + 56, t->table_hash, 8);
    vindex_put_le(out + TRAILER_SELF, vindex_hash(out, TRAILER_SELF), 8);
}

static int decode_trailer(const unsigned char *b, const char *path,
                          vindex_trailer *t, char *err)
{
    if (memcmp(b, OLD_MAGIC, 8) == 0) {
        vlm_set_err(err, "%s: old format without checksums", path);
        return VLM_EFORMAT;
    }
    if (memcmp(b, TRAILER_MAGIC, 8) != 0) {
        vlm_set_err(err, "%s: no vlmindex trailer (truncated or foreign)",
                    path);
        return VLM_EFORMAT;
    }
    if (vindex_get_le(b + TRAILER_SELF, 8) != vindex_hash(b, TRAILER_SELF)) {
        vlm_set_err(err, "%s: trailer damaged (checksum mismatch)", path);
        return VLM_EFORMAT;
    }
    t->generation = (int64_t)vindex_get_le(b + 8, 8);
    t->ntotal = (int64_t)vindex_get_le(b + 16, 8);
    t->dims = (int32_t)vindex_get_le(b + 24, 4);
    t->kind = (int32_t)vindex_get_le(b + 28, 4);
    t->trained_on = (int64_t)vindex_get_le(b + 32, 8);
    t->faiss_bytes = vindex_get_le(b + 40, 8);
    t->checksum = vindex_get_le(b + 48, 8);
    t->table_hash = vindex_get_le(b + 56, 8);
    return VLM_OK;
}

static int read_trailer(int fd, off_t size, const char *path, vindex_trailer *t,
                        char *err)
{
    unsigned char b[VINDEX_TRAILER_BYTES];
    if (size < VINDEX_TRAILER_BYTES + TABLE_HEAD ||
        pread(fd, b, sizeof b, size - VINDEX_TRAILER_BYTES) != sizeof b) {
        vlm_set_err(err, "%s: no vlmindex trailer (truncated or foreign)",
                    path);
        return VLM_EFORMAT;
    }
    int rc = decode_trailer(b, path, t, err);
    if (rc == VLM_OK &&
        t->faiss_bytes > (uint64_t)size - VINDEX_TRAILER_BYTES - TABLE_HEAD) {
        vlm_set_err(err, "%s: size does not match its trailer", path);
        rc = VLM_EFORMAT;
    }
    return rc;
}

/* The list table: *hashes gets head + nlist list hashes (malloc'ed). */
static int read_table(int fd, off_t size, const char *path,
                      const vindex_trailer *t, uint64_t **hashes,
                      uint64_t *nlist, char *err)
{
    unsigned char head[TABLE_HEAD];
    *hashes = NULL;
    if (pread(fd, head, sizeof head, (off_t)t->faiss_bytes) != sizeof head ||
        memcmp(head, TABLE_MAGIC, 8) != 0) {
        vlm_set_err(err, "%s: list table missing", path);
        return VLM_EFORMAT;
    }
    *nlist = vindex_get_le(head + 8, 8);
    uint64_t room = (uint64_t)size - VINDEX_TRAILER_BYTES - t->faiss_bytes;
    if (*nlist > room / 8 || TABLE_HEAD + 8 * (*nlist + 1) != room) {
        vlm_set_err(err, "%s: size does not match its list table", path);
        return VLM_EFORMAT;
    }
    unsigned char *b = malloc(room);
    *hashes = malloc((*nlist + 1) * sizeof **hashes);
    int rc = b && *hashes ? VLM_OK : VLM_ENOMEM;
    if (rc == VLM_OK &&
        pread(fd, b, room, (off_t)t->faiss_bytes) != (ssize_t)room)
        rc = VLM_EIO, vlm_set_err(err, "%s: %s", path, strerror(errno));
    if (rc == VLM_OK && vindex_hash(b, room) != t->table_hash)
        rc = VLM_EFORMAT, vlm_set_err(err, "%s: list table damaged", path);
    for (uint64_t i = 0; rc == VLM_OK && i <= *nlist; i++)
        (*hashes)[i] = vindex_get_le(b + TABLE_HEAD + 8 * i, 8);
    if (rc == VLM_ENOMEM) vlm_set_err(err, "%s: out of memory", path);
    free(b);
    if (rc != VLM_OK) free(*hashes), *hashes = NULL;
    return rc;
}

/* ------------------------------------------------------------------ */
/* Checks before FAISS reads anything                                  */
/* ------------------------------------------------------------------ */

/* The FAISS structure must describe what the trailer, table and model say,
 * and its head must hash as recorded. */
static int check_structure(int fd, const char *path, const vindex_trailer *t,
                           int32_t dims, const uint64_t *hashes, uint64_t nlist,
                           vindex_layout *l, char *err)
{
    int rc = vindex_layout_read(fd, path, t->faiss_bytes, l, err);
    if (rc != VLM_OK) return rc;
    if (t->dims != dims || l->dims != dims) {
        vlm_set_err(err, "%s: %d dims, the collection's model has %d", path,
                    l->dims, dims);
        rc = VLM_EFORMAT;
    } else if (l->ntotal != t->ntotal || l->kind != t->kind ||
               l->nlist != nlist) {
        vlm_set_err(err, "%s: holds %lld %s vectors, its trailer says %lld %s",
                    path, (long long)l->ntotal, vector_index_kind_name(l->kind),
                    (long long)t->ntotal, vector_index_kind_name(t->kind));
        rc = VLM_EFORMAT;
    }
    uint64_t h = 0;
    if (rc == VLM_OK) rc = vindex_hash_fd(fd, path, 0, l->data_offset, &h, err);
    if (rc == VLM_OK && h != hashes[0]) {
        vlm_set_err(err, "%s: headers or quantizer damaged (checksum)", path);
        rc = VLM_EFORMAT;
    }
    if (rc != VLM_OK) vindex_layout_free(l);
    return rc;
}

static int check_all(int fd, const char *path, const vindex_trailer *t,
                     char *err)
{
    uint64_t h = 0;
    int rc = vindex_hash_fd(fd, path, 0, t->faiss_bytes, &h, err);
    if (rc == VLM_OK && h != t->checksum) {
        vlm_set_err(err, "%s: checksum mismatch (damaged contents)", path);
        rc = VLM_EFORMAT;
    }
    return rc;
}

typedef struct {
    int fd;
    int64_t size;
    vindex_trailer t;
    vindex_layout layout;
    uint64_t *hashes; /* head + lists */
} checked_file;

static void checked_free(checked_file *f)
{
    if (f->fd >= 0) close(f->fd);
    vindex_layout_free(&f->layout);
    free(f->hashes);
    f->fd = -1, f->hashes = NULL;
}

/* Opens path and checks trailer, table, structure and head; the whole
 * checksum too when `all`.  f->fd stays open on success. */
static int open_checked(const char *path, int32_t dims, bool all,
                        checked_file *f, char *err)
{
    memset(f, 0, sizeof *f);
    f->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (f->fd < 0) {
        vlm_set_err(err, "%s: %s", path, strerror(errno));
        return errno == ENOENT ? VLM_ENOTFOUND : VLM_EIO;
    }
    struct stat sb;
    int rc = fstat(f->fd, &sb) == 0 ? VLM_OK : VLM_EIO;
    if (rc == VLM_EIO) vlm_set_err(err, "%s: %s", path, strerror(errno));
    f->size = rc == VLM_OK ? (int64_t)sb.st_size : 0;
    uint64_t nlist = 0;
    if (rc == VLM_OK) rc = read_trailer(f->fd, sb.st_size, path, &f->t, err);
    if (rc == VLM_OK)
        rc =
            read_table(f->fd, sb.st_size, path, &f->t, &f->hashes, &nlist, err);
    if (rc == VLM_OK)
        rc = check_structure(f->fd, path, &f->t, dims, f->hashes, nlist,
                             &f->layout, err);
    if (rc == VLM_OK && all) rc = check_all(f->fd, path, &f->t, err);
    if (rc != VLM_OK) checked_free(f);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Load                                                                */
/* ------------------------------------------------------------------ */

/* Our own read-only view of a file whose lists FAISS maps; takes the
 * layout and list hashes from f. */
static int map_lists(checked_file *f, const char *path, vindex_mapping **out,
                     char *err)
{
    vindex_mapping *m = calloc(1, sizeof *m);
    uint64_t nlist = f->layout.nlist;
    void *base = MAP_FAILED;
    if (m && (m->checked = calloc(nlist, 1)) &&
        (m->list_hash = malloc(nlist * sizeof *m->list_hash)))
        base = mmap(NULL, (size_t)f->size, PROT_READ, MAP_SHARED, f->fd, 0);
    if (base == MAP_FAILED) {
        vlm_set_err(err, "%s: cannot map: %s", path,
                    m && m->list_hash ? strerror(errno) : "out of memory");
        vindex_mapping_free(m);
        return VLM_EIO;
    }
    m->base = base;
    m->size = (size_t)f->size;
    memcpy(m->list_hash, f->hashes + 1, nlist * sizeof *m->list_hash);
    m->layout = f->layout;
    f->layout.list_start = NULL; /* now the mapping's */
    *out = m;
    return VLM_OK;
}

/* FAISS reads from the same descriptor as the checks, so a concurrent
 * rename cannot pair one file's checks with another's data. */
static int read_faiss(checked_file *f, const char *path, bool mmap_lists,
                      FaissIndex **out, char *err)
{
    FILE *fp = fdopen(f->fd, "rb");
    if (!fp) {
        vlm_set_err(err, "%s: %s", path, strerror(errno));
        return VLM_EIO;
    }
    f->fd = -1; /* fclose closes it */
    FaissIndex *idx = NULL;
    int frc = faiss_read_index(fp, mmap_lists ? FAISS_IO_FLAG_MMAP : 0, &idx);
    fclose(fp);
    if (frc != 0) {
        vlm_set_err(err, "%s: FAISS cannot read it: %s", path, faiss_msg());
        return VLM_EFORMAT;
    }
    if (faiss_Index_ntotal(idx) != f->t.ntotal ||
        faiss_Index_d(idx) != f->t.dims) {
        vlm_set_err(err, "%s: content does not match its trailer", path);
        faiss_Index_free(idx);
        return VLM_EFORMAT;
    }
    *out = idx;
    return VLM_OK;
}

int vindex_file_load(const char *path, const vindex_load_opts *o,
                     vindex_trailer *t, FaissIndex **out, vindex_mapping **map,
                     char *err)
{
    *out = NULL;
    *map = NULL;
    checked_file f;
    /* Lists read into memory are checked now, mapped ones when probed. */
    int rc = open_checked(path, o->dims, false, &f, err);
    if (rc != VLM_OK) return rc;
    bool want_map = f.t.generation == o->mmap_generation;
    bool all = o->verify_bytes >= 0 &&
               (!want_map || f.t.faiss_bytes <= (uint64_t)o->verify_bytes);
    if (all) rc = check_all(f.fd, path, &f.t, err);
    if (rc == VLM_OK && want_map) rc = map_lists(&f, path, map, err);
    if (rc == VLM_OK) rc = read_faiss(&f, path, want_map, out, err);
    if (rc == VLM_OK) *t = f.t;
    if (rc != VLM_OK) vindex_mapping_free(*map), *map = NULL;
    checked_free(&f);
    return rc;
}

int vindex_mapping_check_list(vindex_mapping *m, uint64_t l, char *why,
                              size_t why_size)
{
    if (l >= m->layout.nlist || m->checked[l]) return VLM_OK;
    uint64_t a = m->layout.list_start[l], b = m->layout.list_start[l + 1];
    if (vindex_hash(m->base + a, b - a) != m->list_hash[l]) {
        snprintf(why, why_size,
                 "list %llu (bytes %llu..%llu) fails its "
                 "checksum",
                 (unsigned long long)l, (unsigned long long)a,
                 (unsigned long long)b);
        return VLM_EFORMAT;
    }
    m->checked[l] = 1;
    return VLM_OK;
}

void vindex_mapping_free(vindex_mapping *m)
{
    if (!m) return;
    if (m->base) munmap((void *)m->base, m->size);
    vindex_layout_free(&m->layout);
    free(m->list_hash);
    free(m->checked);
    free(m);
}

int vindex_file_check(const char *path, int32_t dims, vindex_trailer *t,
                      int64_t *bytes, char *err)
{
    checked_file f;
    int rc = open_checked(path, dims, true, &f, err);
    *bytes = f.size;
    if (rc == VLM_OK) *t = f.t;
    checked_free(&f);
    if (rc == VLM_EFORMAT) { /* report the size of a damaged file too */
        struct stat sb;
        *bytes = stat(path, &sb) == 0 ? (int64_t)sb.st_size : 0;
    }
    return rc;
}

/* ------------------------------------------------------------------ */
/* Save                                                                */
/* ------------------------------------------------------------------ */

/* Hashes the head and every list of what FAISS wrote (read back through
 * the layout, which also checks our own writer) into table bytes. */
static int make_table(int fd, const char *tmp, uint64_t faiss_bytes,
                      unsigned char **table, size_t *table_bytes, char *err)
{
    vindex_layout l;
    int rc = vindex_layout_read(fd, tmp, faiss_bytes, &l, err);
    if (rc != VLM_OK) return rc;
    *table_bytes = TABLE_HEAD + 8 * (l.nlist + 1);
    unsigned char *b = *table = malloc(*table_bytes);
    if (!b) rc = VLM_ENOMEM, vlm_set_err(err, "out of memory for the table");
    uint64_t h = 0;
    if (rc == VLM_OK) rc = vindex_hash_fd(fd, tmp, 0, l.data_offset, &h, err);
    if (rc == VLM_OK) {
        memcpy(b, TABLE_MAGIC, 8);
        vindex_put_le(b + 8, l.nlist, 8);
        vindex_put_le(b + TABLE_HEAD, h, 8);
    }
    for (uint64_t i = 0; rc == VLM_OK && i < l.nlist; i++) {
        rc = vindex_hash_fd(fd, tmp, l.list_start[i],
                            l.list_start[i + 1] - l.list_start[i], &h, err);
        vindex_put_le(b + TABLE_HEAD + 8 * (i + 1), h, 8);
    }
    vindex_layout_free(&l);
    if (rc != VLM_OK) free(*table), *table = NULL;
    return rc;
}

static int write_all(int fd, const FaissIndex *idx, vindex_trailer *t,
                     const char *tmp, char *err)
{
    int rc =
        vindex_write_hashed(fd, tmp, idx, &t->faiss_bytes, &t->checksum, err);
    unsigned char *table = NULL, tr[VINDEX_TRAILER_BYTES];
    size_t table_bytes = 0;
    if (rc == VLM_OK)
        rc = make_table(fd, tmp, t->faiss_bytes, &table, &table_bytes, err);
    if (rc != VLM_OK) return rc;
    t->table_hash = vindex_hash(table, table_bytes);
    encode_trailer(t, tr);
    if (pwrite(fd, table, table_bytes, (off_t)t->faiss_bytes) !=
            (ssize_t)table_bytes ||
        pwrite(fd, tr, sizeof tr, (off_t)(t->faiss_bytes + table_bytes)) !=
            (ssize_t)sizeof tr ||
        fsync(fd) != 0) {
        vlm_set_err(err, "%s: write failed: %s", tmp, strerror(errno));
        rc = VLM_EIO;
    }
    free(table);
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

int vindex_file_save(const char *path, const FaissIndex *idx, vindex_trailer *t,
                     mode_t mode, char *err)
{
    static unsigned counter;
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld.%u", path, (long)getpid(), counter++);
    int fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        vlm_set_err(err, "cannot create %s: %s", tmp, strerror(errno));
        return VLM_EIO;
    }
    fchmod(fd, mode); /* the umask must not widen or narrow it */
    int rc = write_all(fd, idx, t, tmp, err);
    if (close(fd) != 0 && rc == VLM_OK) {
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
