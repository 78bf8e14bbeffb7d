/*
 * clip_model_id.c — the identity of a checkpoint's weights.
 *
 * id: XXH3-64 over a version tag, config.json and, for every shard once in
 * the checkpoint's own (stable) order, its size and the digest of all its
 * bytes (cached per file, model/weights/weights_digest.h).  Two checkpoints
 * with the same shapes but different weights get different ids.
 * legacy_id: what earlier versions stored (FNV-1a 64 over config.json, each
 * shard's size and safetensors header, no tensor data).
 */
#define XXH_INLINE_ALL
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "model/clip/clip_model_internal.h"
#include "model/weights/weights_digest.h"

#define ID_TAG "vlmindex-model-id/2"

static void fnv(uint64_t *h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) *h = (*h ^ b[i]) * 0x100000001b3ull;
}

/* Legacy: size + safetensors header bytes into the FNV state. */
static int fnv_header(uint64_t *h, const char *path, char *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    uint8_t len8[8];
    if (fd < 0 || fstat(fd, &st) || pread(fd, len8, 8, 0) != 8) {
        if (fd >= 0) close(fd);
        vlm_set_err(err, "%s: cannot read safetensors header", path);
        return VLM_EIO;
    }
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = (n << 8) | len8[i];
    if (n > (uint64_t)st.st_size - 8)
        n = (uint64_t)st.st_size - 8; /* validated by weights */
    char *buf = malloc(n ? n : 1);
    int ok = buf && pread(fd, buf, n, 8) == (ssize_t)n;
    close(fd);
    if (ok) {
        uint64_t size = (uint64_t)st.st_size;
        fnv(h, &size, sizeof size);
        fnv(h, buf, n);
    }
    free(buf);
    if (!ok) vlm_set_err(err, "%s: cannot read safetensors header", path);
    return ok ? VLM_OK : VLM_EIO;
}

static int path_seen(const st_checkpoint *ck, int upto, const char *path)
{
    for (int i = 0; i < upto; i++)
        if (!strcmp(st_checkpoint_tensor(ck, i)->path, path)) return 1;
    return 0;
}

/* Both digests of one shard, folded into the two running hashes. */
static int add_shard(XXH3_state_t *x, uint64_t *legacy, const char *path,
                     int *all_cached, char *err)
{
    st_digest d;
    int rc = st_file_digest(path, &d, err);
    if (rc) return rc;
    uint64_t rec[2] = {d.size, d.xxh3};
    XXH3_64bits_update(x, rec, sizeof rec);
    *all_cached &= d.from_cache;
    return fnv_header(legacy, path, err);
}

int clip_model_compute_id(clip_model *m, const char *dir, char *err)
{
    char path[4096], *text;
    size_t len;
    snprintf(path, sizeof path, "%s/config.json", dir);
    int rc = clip_read_file(path, &text, &len, err);
    if (rc) return rc;
    uint64_t legacy = 0xcbf29ce484222325ull;
    fnv(&legacy, text, len);
    XXH3_state_t *x = XXH3_createState();
    if (!x) {
        free(text);
        return VLM_ENOMEM;
    }
    XXH3_64bits_reset(x);
    XXH3_64bits_update(x, ID_TAG, sizeof ID_TAG);
    XXH3_64bits_update(x, text, len);
    free(text);
    int all_cached = 1, n = st_checkpoint_count(m->ck);
    for (int i = 0; i < n && !rc; i++) {
        const char *p = st_checkpoint_tensor(m->ck, i)->path;
        if (!path_seen(m->ck, i, p))
            rc = add_shard(x, &legacy, p, &all_cached, err);
    }
    snprintf(m->id, sizeof m->id, "%016llx",
             (unsigned long long)XXH3_64bits_digest(x));
    snprintf(m->legacy_id, sizeof m->legacy_id, "%016llx",
             (unsigned long long)legacy);
    m->id_from_cache = all_cached;
    XXH3_freeState(x);
    return rc;
}
