#include "indexer/walk.h"

#include "indexer/excludes.h"

#include <dirent.h>
#include <errno.h>
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

static int walk_dir(walker *w, const char *dir, const struct stat *st);

static int visit(walker *w, const char *path, const char *name)
{
    struct stat st;
    if (stat(path, &st) != 0) { /* dangling link or vanished: skip */
        report(w, path, strerror(errno));
        return 0;
    }
    if (excluded(w, name, path)) return 0;
    if (S_ISDIR(st.st_mode)) return walk_dir(w, path, &st);
    if (!S_ISREG(st.st_mode)) return 0;
    walk_file f = {path, (int64_t)st.st_size,
                   (int64_t)st.st_mtim.tv_sec * 1000000000 +
                       st.st_mtim.tv_nsec};
    return w->cb(&f, w->user);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads a folder's entry names, sorted so walks are deterministic. */
static char **list_dir(const char *dir, size_t *n_out)
{
    DIR *d = opendir(dir);
    if (!d) return NULL;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn) break;
            names = nn;
        }
        names[n] = strdup(e->d_name);
        if (names[n]) n++;
    }
    closedir(d);
    if (names)
        qsort(names, n, sizeof *names, cmp_names);
    else
        names = calloc(1, sizeof *names);
    *n_out = n;
    return names;
}

static int walk_dir(walker *w, const char *dir, const struct stat *st)
{
    int added = seen_add(&w->seen, (uint64_t)st->st_dev, (uint64_t)st->st_ino);
    if (added <= 0) return 0; /* already walked (symlink loop or second link) */
    size_t n = 0;
    char **names = list_dir(dir, &n);
    if (!names) {
        report(w, dir, strerror(errno));
        return 0;
    }
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        char path[PATH_MAX];
        int len = snprintf(path, sizeof path, "%s/%s",
                           strcmp(dir, "/") ? dir : "", names[i]);
        if (!rc && len > 0 && (size_t)len < sizeof path)
            rc = visit(w, path, names[i]);
        free(names[i]);
    }
    free(names);
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
    int rc;
    if (S_ISDIR(st.st_mode)) {
        rc = walk_dir(&w, abs, &st);
    } else {
        walk_file f = {abs, (int64_t)st.st_size,
                       (int64_t)st.st_mtim.tv_sec * 1000000000 +
                           st.st_mtim.tv_nsec};
        rc = S_ISREG(st.st_mode) ? cb(&f, user) : 0;
    }
    free(w.seen.keys);
    free(abs);
    return rc;
}
