/* weights_digest.c — whole-file XXH3 digests with a stat-keyed cache
 * (weights_digest.h). */
#define XXH_INLINE_ALL
#include "model/weights/weights_digest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "model/core/vlm_cache.h"

#define MAGIC    "VLMWDIG1"
#define READ_BUF (4u << 20)

/* One cache file: the file state it describes, the digest, a checksum. */
typedef struct entry {
    char magic[8];
    uint64_t dev, ino, size;
    int64_t mtime_s, mtime_ns, ctime_s, ctime_ns;
    uint64_t xxh3;
    uint64_t check; /* XXH3-64 of everything above */
} entry;

static entry entry_of(const struct stat *st)
{
    entry e;
    memset(&e, 0, sizeof e);
    memcpy(e.magic, MAGIC, 8);
    e.dev = (uint64_t)st->st_dev;
    e.ino = (uint64_t)st->st_ino;
    e.size = (uint64_t)st->st_size;
    e.mtime_s = st->st_mtim.tv_sec;
    e.mtime_ns = st->st_mtim.tv_nsec;
    e.ctime_s = st->st_ctim.tv_sec;
    e.ctime_ns = st->st_ctim.tv_nsec;
    return e;
}

static uint64_t entry_check(const entry *e)
{
    return XXH3_64bits(e, offsetof(entry, check));
}

/* One cache file per (device, inode): a rewritten file replaces its entry. */
static char *cache_file(const entry *key)
{
    uint64_t id[2] = {key->dev, key->ino};
    char name[64];
    snprintf(name, sizeof name, "weights-%016llx.digest",
             (unsigned long long)XXH3_64bits(id, sizeof id));
    return vlm_cache_path(name);
}

static int cache_lookup(const char *path, const entry *key, uint64_t *xxh3)
{
    entry e;
    FILE *f = path ? fopen(path, "rb") : NULL;
    int ok = f && fread(&e, sizeof e, 1, f) == 1 && fgetc(f) == EOF;
    if (f) fclose(f);
    ok = ok && e.check == entry_check(&e) &&
         !memcmp(&e, key, offsetof(entry, xxh3));
    if (ok) *xxh3 = e.xxh3;
    return ok;
}

static int hash_fd(int fd, const char *path, uint64_t *out, char *err)
{
    XXH3_state_t *s = XXH3_createState();
    char *buf = malloc(READ_BUF);
    int rc = s && buf ? VLM_OK : VLM_ENOMEM;
    if (!rc) XXH3_64bits_reset(s);
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    while (!rc) {
        ssize_t n = read(fd, buf, READ_BUF);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            vlm_set_err(err, "%s: read error: %s", path, strerror(errno));
            rc = VLM_EIO;
        }
        if (n <= 0) break;
        XXH3_64bits_update(s, buf, (size_t)n);
    }
    if (rc == VLM_ENOMEM) vlm_set_err(err, "%s: out of memory", path);
    if (!rc) *out = XXH3_64bits_digest(s);
    XXH3_freeState(s);
    free(buf);
    return rc;
}

int st_file_digest(const char *path, st_digest *out, char *err)
{
    memset(out, 0, sizeof *out);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        int e = errno;
        vlm_set_err(err, "%s: %s", path, strerror(e));
        if (fd >= 0) close(fd);
        return e == ENOENT ? VLM_ENOTFOUND : VLM_EIO;
    }
    entry key = entry_of(&st);
    char *cpath = cache_file(&key);
    out->size = key.size;
    int rc = VLM_OK;
    if (cache_lookup(cpath, &key, &out->xxh3)) {
        out->from_cache = 1;
    } else if (!(rc = hash_fd(fd, path, &out->xxh3, err)) && cpath) {
        key.xxh3 = out->xxh3;
        key.check = entry_check(&key);
        vlm_cache_write(cpath, &key, sizeof key); /* best effort */
    }
    close(fd);
    free(cpath);
    return rc;
}
