/*
 * shard.c — shard specs, the stable key hash and the spec a collection
 * records (meta key "shard").
 */
#include "indexer/shard.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#define SHARD_META_KEY "shard"

/* A whole decimal number in [0, SHARD_MAX_COUNT]; end is where it stops. */
static bool parse_count(const char *s, const char **end, long *out)
{
    if (*s < '0' || *s > '9') return false;
    errno = 0;
    char *e;
    long v = strtol(s, &e, 10);
    *end = e;
    *out = v;
    return errno == 0 && v >= 0 && v <= SHARD_MAX_COUNT;
}

int shard_parse(const char *text, shard_spec *out, char *err)
{
    const char *p = text, *e;
    long k = -1, n = 0;
    bool ok = parse_count(p, &e, &k) && *e == '/' &&
              parse_count(e + 1, &e, &n) && *e == '\0';
    if (!ok || n < 1) {
        vlm_set_err(err,
                    "'%s' is not a shard: give K/N, e.g. 0/4 (shard K of "
                    "N, 0 <= K < N <= %d)",
                    text, SHARD_MAX_COUNT);
        return VLM_EINVAL;
    }
    if (k >= n) {
        vlm_set_err(err,
                    "shard %ld/%ld: K counts from 0 and must be below N "
                    "(a Slurm array for N shards is --array=0-%ld)",
                    k, n, n - 1);
        return VLM_EINVAL;
    }
    out->k = (int)k;
    out->n = (int)n;
    return VLM_OK;
}

void shard_format(const shard_spec *s, char *buf, size_t size)
{
    snprintf(buf, size, "%d/%d", s->k, s->n);
}

bool shard_contains(const shard_spec *s, const char *key, size_t len)
{
    if (s->n <= 1) return true;
    return XXH3_64bits(key, len) % (uint64_t)s->n == (uint64_t)s->k;
}

const char *shard_relative_key(const char *root, const char *path)
{
    size_t n = strlen(root);
    if (strncmp(path, root, n) == 0 && path[n] == '/') return path + n + 1;
    if (n == 1 && root[0] == '/' && path[0] == '/') return path + 1;
    const char *slash = strrchr(path, '/'); /* the root is the file */
    return slash ? slash + 1 : path;
}

int shard_get(collection *c, shard_spec *out, char *err)
{
    char text[64];
    out->k = out->n = 0;
    int rc = collection_meta_get(c, SHARD_META_KEY, text, sizeof text, err);
    if (rc == VLM_ENOTFOUND) return VLM_OK;
    if (rc) return rc;
    rc = shard_parse(text, out, err);
    if (rc)
        vlm_set_err(err, "%s: the recorded shard '%s' is damaged",
                    collection_dir(c), text);
    return rc;
}

int shard_record(collection *c, const shard_spec *want, char *err)
{
    shard_spec have;
    char w[24], h[24];
    int rc = shard_get(c, &have, err);
    if (rc) return rc;
    shard_format(want, w, sizeof w);
    if (have.n) {
        if (have.k == want->k && have.n == want->n) return VLM_OK;
        shard_format(&have, h, sizeof h);
        vlm_set_err(err,
                    "%s is shard %s, not %s: use another --collection for "
                    "shard %s",
                    collection_dir(c), h, w, w);
        return VLM_EINVAL;
    }
    collection_counts counts;
    rc = collection_get_counts(c, &counts, err);
    if (rc) return rc;
    if (counts.images > 0) {
        vlm_set_err(err,
                    "%s already holds %lld images that are not a shard: "
                    "index shard %s into a new --collection",
                    collection_dir(c), (long long)counts.images, w);
        return VLM_EINVAL;
    }
    return collection_meta_set(c, SHARD_META_KEY, w, err);
}
