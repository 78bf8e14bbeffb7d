#include "indexer/excludes.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "indexer/ingest.h"

const char *const excludes_defaults[] = {
    ".*",           /* hidden entries */
    "@eaDir",       /* Synology thumbnails */
    "#recycle",     /* Synology recycle bin */
    "#snapshot",    /* NAS snapshots */
    ".Trash-*",     /* desktop trash on removable drives */
    "node_modules", /* dependency trees */
    ".git",         /* version control */
    NULL};

static int is_default(const char *glob)
{
    for (int i = 0; excludes_defaults[i]; i++)
        if (!strcmp(excludes_defaults[i], glob)) return 1;
    return 0;
}

static int in_scope(const collection_exclude *e, const char *root)
{
    return !e->root[0] || (root && !strcmp(e->root, root));
}

static int push(exclude_set *s, const char *glob)
{
    char **grown = realloc(s->globs, (size_t)(s->n + 1) * sizeof *grown);
    if (!grown) return VLM_ENOMEM;
    s->globs = grown;
    if (!(grown[s->n] = strdup(glob))) return VLM_ENOMEM;
    s->n++;
    return VLM_OK;
}

/* A default is off when a row in scope says so. */
static int default_off(const collection_exclude *ex, size_t n, const char *g,
                       const char *root)
{
    for (size_t i = 0; i < n; i++)
        if (ex[i].off && in_scope(&ex[i], root) && !strcmp(ex[i].glob, g))
            return 1;
    return 0;
}

int excludes_for_root(collection *c, const char *root, const char *const *extra,
                      int n_extra, exclude_set *out, char *err)
{
    collection_exclude *ex = NULL;
    size_t n = 0;
    memset(out, 0, sizeof *out);
    int rc = collection_list_excludes(c, &ex, &n, err);
    for (int i = 0; !rc && excludes_defaults[i]; i++)
        if (!default_off(ex, n, excludes_defaults[i], root))
            rc = push(out, excludes_defaults[i]);
    for (size_t i = 0; !rc && i < n; i++)
        if (!ex[i].off && in_scope(&ex[i], root)) rc = push(out, ex[i].glob);
    for (int i = 0; !rc && i < n_extra; i++) rc = push(out, extra[i]);
    collection_free_excludes(ex, n);
    if (rc == VLM_ENOMEM) vlm_set_err(err, "out of memory reading excludes");
    if (rc) exclude_set_free(out);
    return rc;
}

void exclude_set_free(exclude_set *s)
{
    for (int i = 0; s && i < s->n; i++) free(s->globs[i]);
    if (s) free(s->globs);
    if (s) memset(s, 0, sizeof *s);
}

bool excludes_match(const exclude_set *s, const char *name, const char *path)
{
    for (int i = 0; s && i < s->n; i++)
        if (!fnmatch(s->globs[i], name, 0) || !fnmatch(s->globs[i], path, 0))
            return true;
    return false;
}

bool excludes_match_path(const exclude_set *s, const char *root,
                         const char *path)
{
    size_t rl = strlen(root);
    if (strncmp(path, root, rl) || (path[rl] && path[rl] != '/')) return false;
    char *p = strdup(path);
    bool hit = false;
    /* Each folder below the root, then the file: "root/a", "root/a/b"... */
    for (size_t i = rl + 1; p && !hit && i <= strlen(path); i++) {
        if (path[i] != '/' && path[i] != 0) continue;
        p[i] = 0;
        const char *name = strrchr(p, '/');
        hit = excludes_match(s, name ? name + 1 : p, p);
        p[i] = path[i];
    }
    free(p);
    return hit;
}

char *excludes_literal(const char *path)
{
    char *out = malloc(2 * strlen(path) + 1), *o = out;
    for (const char *p = path; out && *p; p++) {
        if (strchr("*?[\\", *p)) *o++ = '\\';
        *o++ = *p;
    }
    if (out) *o = 0;
    return out;
}

char *excludes_root_of(collection *c, const char *path, char *err)
{
    char **roots = NULL, *best = NULL;
    size_t n = 0, best_len = 0;
    if (collection_list_roots(c, &roots, &n, err)) return NULL;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(roots[i]);
        int under = !strncmp(path, roots[i], l) &&
                    (path[l] == '/' || !path[l] || !strcmp(roots[i], "/"));
        if (under && l >= best_len) best = roots[i], best_len = l;
    }
    best = best ? strdup(best) : NULL;
    collection_free_strings(roots, n);
    return best;
}

static int push_id(int64_t **ids, size_t *n, size_t *cap, int64_t id)
{
    if (*n == *cap) {
        size_t c2 = *cap ? 2 * *cap : 64;
        int64_t *grown = realloc(*ids, c2 * sizeof *grown);
        if (!grown) return VLM_ENOMEM;
        *ids = grown;
        *cap = c2;
    }
    (*ids)[(*n)++] = id;
    return VLM_OK;
}

/* Ids of the rows under root (found under it, not under a nested root)
 * that the set excludes. */
static int matching_rows(collection *c, const char *root, const exclude_set *s,
                         int64_t **ids, size_t *n, char *err)
{
    collection_cursor *cur;
    collection_image row;
    size_t cap = 0;
    int rc = collection_cursor_open(c, root, COLLECTION_ROWS_ALL, &cur, err);
    if (rc) return rc;
    while ((rc = collection_cursor_step(cur, &row, err)) == 1)
        if (!strcmp(row.root, root) && excludes_match_path(s, root, row.path) &&
            push_id(ids, n, &cap, row.id)) {
            rc = VLM_ENOMEM;
            break;
        }
    collection_cursor_close(cur);
    return rc < 0 ? rc : VLM_OK;
}

/* Deletes the rows of every root in scope that `glob` now excludes. */
static int remove_excluded(collection *c, vector_index *vi, const char *scope,
                           const char *glob, int64_t *n_removed, char *err)
{
    char **roots = NULL;
    size_t n_roots = 0, n = 0;
    int64_t *ids = NULL;
    exclude_set one = {.globs = (char **)&glob, .n = 1};
    int rc = collection_list_roots(c, &roots, &n_roots, err);
    for (size_t i = 0; !rc && i < n_roots; i++)
        if (!scope || !strcmp(scope, roots[i]))
            rc = matching_rows(c, roots[i], &one, &ids, &n, err);
    collection_free_strings(roots, n_roots);
    *n_removed = 0;
    if (!rc && n && vi) {
        rc = collection_begin(c, err);
        for (size_t i = 0; !rc && i < n; i++)
            rc = collection_delete_image(c, ids[i], err);
        rc = ingest_finish_batch(c, vi, rc, err);
        if (!rc) rc = vector_index_save(vi, err);
        if (!rc) *n_removed = (int64_t)n;
    }
    free(ids);
    return rc;
}

int excludes_add(collection *c, vector_index *vi, const char *root,
                 const char *glob, int64_t *n_removed, char *err)
{
    /* A default that was turned off for this scope comes back on. */
    int rc = is_default(glob) ? collection_delete_exclude(c, root, glob, NULL)
                              : VLM_ENOTFOUND;
    if (rc == VLM_ENOTFOUND) rc = collection_put_exclude(c, root, glob, 0, err);
    return rc ? rc : remove_excluded(c, vi, root, glob, n_removed, err);
}

int excludes_remove(collection *c, const char *root, const char *glob,
                    char *err)
{
    collection_exclude *ex = NULL;
    size_t n = 0;
    int rc = collection_list_excludes(c, &ex, &n, err), stored = 0;
    for (size_t i = 0; !rc && i < n; i++)
        stored |= !ex[i].off && !strcmp(ex[i].glob, glob) &&
                  !strcmp(ex[i].root, root ? root : "");
    collection_free_excludes(ex, n);
    if (rc) return rc;
    if (stored) return collection_delete_exclude(c, root, glob, err);
    if (is_default(glob)) return collection_put_exclude(c, root, glob, 1, err);
    vlm_set_err(err, "no exclude '%s'%s%s (vlmindex exclude list shows them)",
                glob, root ? " for " : "", root ? root : "");
    return VLM_ENOTFOUND;
}
