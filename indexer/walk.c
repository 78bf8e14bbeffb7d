#include "indexer/walk.h"

#include "indexer/excludes.h"

#include <errno.h>
#include <fts.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Folders already entered, as (dev, ino); open addressing, grows x2. */
typedef struct seen_set {
    uint64_t *keys; /* pairs: dev, ino; dev==ino==0 marks empty */
    size_t cap, n;
} seen_set;

static size_t seen_slot(const seen_set *s, uint64_t dev, uint64_t ino)
{
    uint64_t h = (dev * 0x9E3779B97F4A7C15ull) ^ (ino * 0xC2B2AE3D27D4EB4Full);
    size_t i = (size_t)(h % s->cap);
    while (s->keys[2 * i] || s->keys[2 * i + 1]) {
        if (s->keys[2 * i] == dev && s->keys[2 * i + 1] == ino) break;
        i = (i + 1) % s->cap;
    }
    return i;
}

/* Inserts a stored key; returns 1 if new, 0 if present. Capacity must fit. */
static int seen_insert(seen_set *s, uint64_t dev, uint64_t ino)
{
    size_t i = seen_slot(s, dev, ino);
    if (s->keys[2 * i] == dev && s->keys[2 * i + 1] == ino) return 0;
    s->keys[2 * i] = dev;
    s->keys[2 * i + 1] = ino;
    s->n++;
    return 1;
}

/* Returns 1 if newly added, 0 if already present, -1 on OOM. */
static int seen_add(seen_set *s, uint64_t dev, uint64_t ino)
{
    if (2 * (s->n + 1) > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        seen_set bigger = {calloc(2 * cap, sizeof(uint64_t)), cap, 0};
        if (!bigger.keys) return -1;
        for (size_t i = 0; i < s->cap; i++)
            if (s->keys[2 * i] || s->keys[2 * i + 1])
                seen_insert(&bigger, s->keys[2 * i], s->keys[2 * i + 1]);
        free(s->keys);
        *s = bigger;
    }
    return seen_insert(s, dev + 1, ino); /* +1 keeps (0,0) as "empty" */
}

typedef struct walker {
    const walk_options *opts;
    walk_cb cb;
    void *user;
    seen_set seen;
} walker;

static int excluded(const walker *w, const char *name, const char *path)
{
    exclude_set s = {(char **)w->opts->excludes, w->opts->n_excludes};
    return excludes_match(&s, name, path);
}

static void report(const walker *w, const char *path, const char *why)
{
    if (w->opts->on_error) w->opts->on_error(path, why, w->user);
}

static int64_t mtime_ns(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

static int by_name(const FTSENT **a, const FTSENT **b)
{
    return strcmp((*a)->fts_name, (*b)->fts_name);
}

static void report_errno(const walker *w, const FTSENT *e)
{
    char why[96];
    if (e->fts_errno == ENAMETOOLONG)
        snprintf(why, sizeof why, "path longer than PATH_MAX (%d bytes)",
                 PATH_MAX);
    else
        snprintf(why, sizeof why, "%s", strerror(e->fts_errno));
    report(w, e->fts_path, why);
}

/* A folder is entered once (a second link to it, or a loop, is skipped). */
static int enter_dir(walker *w, FTS *fts, FTSENT *e)
{
    int added = seen_add(&w->seen, (uint64_t)e->fts_statp->st_dev,
                         (uint64_t)e->fts_statp->st_ino);
    if (added < 0) return VLM_ENOMEM;
    if (!added) fts_set(fts, e, FTS_SKIP);
    return VLM_OK;
}

static int visit(walker *w, FTS *fts, FTSENT *e)
{
    if (e->fts_level > FTS_ROOTLEVEL && excluded(w, e->fts_name, e->fts_path)) {
        if (e->fts_info == FTS_D) fts_set(fts, e, FTS_SKIP);
        return VLM_OK;
    }
    switch (e->fts_info) {
    case FTS_D: return enter_dir(w, fts, e);
    case FTS_F: {
        walk_file f = {e->fts_path, (int64_t)e->fts_statp->st_size,
                       mtime_ns(e->fts_statp)};
        return w->cb(&f, w->user);
    }
    case FTS_SLNONE: report(w, e->fts_path, "dangling symbolic link"); break;
    case FTS_DNR:
    case FTS_NS:
    case FTS_ERR: report_errno(w, e); break;
    default: break; /* FTS_DP, FTS_DC (a loop), devices, FIFOs, sockets */
    }
    return VLM_OK;
}

/* FTS_LOGICAL follows links and never chdir()s (other threads rely on
 * the working folder). */
static int walk_fts(walker *w, char *abs, char *err)
{
    char *roots[] = {abs, NULL};
    FTS *fts = fts_open(roots, FTS_LOGICAL | FTS_NOCHDIR, by_name);
    if (!fts) {
        vlm_set_err(err, "%s: %s", abs, strerror(errno));
        return VLM_EIO;
    }
    int rc = VLM_OK;
    FTSENT *e;
    errno = 0;
    while (!rc && (e = fts_read(fts))) rc = visit(w, fts, e);
    if (!rc && errno) {
        vlm_set_err(err, "walking %s: %s", abs, strerror(errno));
        rc = errno == ENOMEM ? VLM_ENOMEM : VLM_EIO;
    } else if (rc == VLM_ENOMEM)
        vlm_set_err(err, "walking %s: out of memory", abs);
    fts_close(fts);
    return rc;
}

int walk_tree(const char *root, const walk_options *opts, walk_cb cb,
              void *user, char *err)
{
    static const walk_options none = {0};
    walker w = {opts ? opts : &none, cb, user, {0}};
    char *abs = realpath(root, NULL);
    struct stat st;
    if (!abs || stat(abs, &st) != 0) {
        vlm_set_err(err, "%s: %s", root, strerror(errno));
        free(abs);
        return VLM_ENOTFOUND;
    }
    int rc = walk_fts(&w, abs, err);
    free(w.seen.keys);
    free(abs);
    return rc;
}
