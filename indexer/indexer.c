/*
 * indexer.c — the indexer's entry points: each picks a source and hands it
 * to the batch writer (ingest.c), or removes rows.
 */
#include "indexer/indexer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "indexer/excludes.h"
#include "indexer/ingest.h"
#include "indexer/source_dicomweb.h"
#include "indexer/source_dimse.h"
#include "indexer/source_folder.h"
#include "indexer/source_watch.h"
#include "indexer/watch.h"
#include "media/media_path.h"
#include "session/session_roots.h"

static int run_source(collection *c, vector_index *vi, clip_model *m,
                      ingest_source *src, const indexer_options *o,
                      indexer_summary *s, char *err)
{
    ingest_encoder enc = ingest_clip_encoder(m);
    int rc = ingest_run(c, vi, &enc, src, o, s, err);
    ingest_source_destroy(src);
    return rc;
}

int indexer_add(collection *c, vector_index *vi, clip_model *m,
                const char *const *paths, int n_paths, const indexer_options *o,
                indexer_summary *s, char *err)
{
    static const indexer_options defaults = {0};
    if (!o) o = &defaults;
    ingest_source src;
    memset(s, 0, sizeof *s);
    int rc = folder_source_create(paths, n_paths, o, &src, err);
    return rc ? rc : run_source(c, vi, m, &src, o, s, err);
}

int indexer_add_dicomweb(collection *c, vector_index *vi, clip_model *m,
                         const dicomweb_opts *web, const indexer_options *o,
                         indexer_summary *s, char *err)
{
    ingest_source src;
    memset(s, 0, sizeof *s);
    int rc = dicomweb_source_create(web, &src, err);
    return rc ? rc : run_source(c, vi, m, &src, o, s, err);
}

int indexer_watch(collection *c, vector_index *vi, clip_model *m,
                  const watch_options *w, const indexer_options *o,
                  indexer_summary *s, char *err)
{
    ingest_source src;
    memset(s, 0, sizeof *s);
    if (!o || !o->cancel) {
        vlm_set_err(err, "watch: a cancel flag is required");
        return VLM_EINVAL;
    }
    int rc = watch_source_create(w, o, &src, err);
    if (!rc) rc = run_source(c, vi, m, &src, o, s, err);
    if (rc == VLM_EINTERRUPTED) { /* asked to stop: committed work stays */
        if (err) err[0] = 0;
        rc = VLM_OK;
    }
    return rc;
}

int indexer_add_dimse(collection *c, vector_index *vi, clip_model *m,
                      const dimse_opts *dimse, const indexer_options *o,
                      indexer_summary *s, char *err)
{
    ingest_source src;
    memset(s, 0, sizeof *s);
    int rc = dimse_source_create(dimse, &src, err);
    return rc ? rc : run_source(c, vi, m, &src, o, s, err);
}

/* One offline root: kept and reported, or with prune_offline forgotten. */
static int offline_root(collection *c, vector_index *vi, const char *root,
                        const session_root_status *st, const indexer_options *o,
                        int64_t *pruned, char *err)
{
    int64_t rows = 0;
    const char *one[1] = {root};
    int rc = o->prune_offline ? indexer_remove(c, vi, one, 1, &rows, err)
                              : collection_count_under(c, root, &rows, err);
    if (rc) return rc;
    if (o->prune_offline) *pruned += rows;
    if (o->on_offline)
        o->on_offline(o->user, root, st->reason, rows, o->prune_offline);
    return VLM_OK;
}

/* A file added alone that is not there: offline when its folder is (an
 * unplugged disk keeps its rows), else it was deleted (st->offline false
 * and st->state SESSION_ROOT_MISSING). */
static int probe_lone_file(collection *c, const char *path,
                           session_root_status *st, char *err)
{
    struct stat sb;
    memset(st, 0, sizeof *st);
    if (stat(path, &sb) == 0) return VLM_OK;
    if (errno != ENOENT && errno != ENOTDIR) {
        st->offline = true;
        st->state = SESSION_ROOT_UNREADABLE;
        snprintf(st->reason, sizeof st->reason, "%s", strerror(errno));
        return VLM_OK;
    }
    char *dir = strdup(path);
    if (!dir) return VLM_ENOMEM;
    char *slash = strrchr(dir, '/');
    if (slash) *(slash == dir ? slash + 1 : slash) = '\0';
    int rc = session_root_probe(c, dir, st, err);
    free(dir);
    if (!rc && !st->offline) st->state = SESSION_ROOT_MISSING;
    return rc;
}

/* The online roots and files added alone into live[]; offline ones are
 * handled here, and files added alone that were deleted are forgotten. */
static int split_roots(collection *c, vector_index *vi, char **roots, size_t n,
                       bool files, const indexer_options *o, const char **live,
                       int *n_live, indexer_summary *s, char *err)
{
    for (size_t i = 0; i < n; i++) {
        session_root_status st;
        int64_t k = 0;
        const char *one[1] = {roots[i]};
        int rc = files ? probe_lone_file(c, roots[i], &st, err)
                       : session_root_probe(c, roots[i], &st, err);
        if (!rc && st.offline) {
            s->offline++;
            rc = offline_root(c, vi, roots[i], &st, o, &s->removed, err);
        } else if (!rc && st.state == SESSION_ROOT_MISSING) {
            rc = indexer_remove(c, vi, one, 1, &k, err);
            s->removed += k;
        } else if (!rc) {
            live[(*n_live)++] = roots[i];
        }
        if (rc) return rc;
    }
    return VLM_OK;
}

int indexer_update(collection *c, vector_index *vi, clip_model *m,
                   const indexer_options *o, indexer_summary *s, char *err)
{
    static const indexer_options defaults = {0};
    if (!o) o = &defaults;
    char **roots = NULL, **files = NULL;
    size_t n = 0, n_files = 0;
    indexer_summary pre = {0};
    memset(s, 0, sizeof *s);
    int rc = collection_list_roots(c, &roots, &n, err);
    if (!rc) rc = collection_list_lone_files(c, &files, &n_files, err);
    const char **live = rc ? NULL : calloc(n + n_files + 1, sizeof *live);
    int n_live = 0;
    if (!rc && !live) rc = VLM_ENOMEM;
    if (!rc)
        rc = split_roots(c, vi, roots, n, false, o, live, &n_live, &pre, err);
    if (!rc)
        rc = split_roots(c, vi, files, n_files, true, o, live, &n_live, &pre,
                         err);
    if (!rc) rc = indexer_add(c, vi, m, live, n_live, o, s, err);
    s->offline += pre.offline;
    s->removed += pre.removed;
    free(live);
    collection_free_strings(roots, n);
    collection_free_strings(files, n_files);
    return rc;
}

/* A root is forgotten; a path inside a root is excluded from it, so the
 * next walk does not bring it back. */
static int forget_path(collection *c, const char *abs, char *err)
{
    if (collection_remove_root(c, abs, NULL) == VLM_OK) return VLM_OK;
    char *root = excludes_root_of(c, abs, NULL);
    char *lit = root ? excludes_literal(abs) : NULL;
    int rc = root && !lit ? VLM_ENOMEM : VLM_OK;
    if (lit) rc = collection_put_exclude(c, root, lit, 0, err);
    free(lit);
    free(root);
    return rc;
}

/* The stored form of a path to forget.  An absolute path whose parent is
 * gone too (an unplugged disk's mount point) is taken as given. */
static char *removal_path(const char *path)
{
    char *abs = media_abspath(path);
    if (abs || path[0] != '/') return abs;
    char *copy = strdup(path);
    size_t n = copy ? strlen(copy) : 0;
    while (n > 1 && copy[n - 1] == '/') copy[--n] = '\0';
    return copy;
}

int indexer_remove(collection *c, vector_index *vi, const char *const *paths,
                   int n_paths, int64_t *n_removed, char *err)
{
    *n_removed = 0;
    int rc = collection_begin(c, err);
    for (int i = 0; !rc && i < n_paths; i++) {
        char *abs = removal_path(paths[i]);
        int64_t k = 0;
        rc = abs ? collection_delete_under(c, abs, &k, err) : VLM_ENOMEM;
        if (!rc) rc = forget_path(c, abs, err);
        if (!rc) *n_removed += k;
        free(abs);
    }
    rc = ingest_finish_batch(c, vi, rc, err);
    if (!rc) rc = vector_index_save(vi, err);
    return rc;
}
