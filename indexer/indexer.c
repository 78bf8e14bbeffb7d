/*
 * indexer.c — the indexer's entry points: each picks a source and hands it
 * to the batch writer (ingest.c), or removes rows.
 */
#include "indexer/indexer.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "indexer/excludes.h"
#include "indexer/ingest.h"
#include "indexer/source_dicomweb.h"
#include "indexer/source_folder.h"
#include "indexer/source_watch.h"
#include "indexer/watch.h"
#include "media/media_path.h"

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

/* Roots and files added alone, that still exist, into live[]; the rows of
 * those that vanished entirely are forgotten (*gone). */
static void split_live(collection *c, vector_index *vi, char **paths, size_t n,
                       const char **live, int *n_live, int64_t *gone)
{
    struct stat st;
    char err[VLM_ERR_MAX];
    for (size_t i = 0; i < n; i++) {
        if (stat(paths[i], &st) == 0) {
            live[(*n_live)++] = paths[i];
            continue;
        }
        int64_t k = 0;
        const char *one[1] = {paths[i]};
        if (indexer_remove(c, vi, one, 1, &k, err) == VLM_OK) *gone += k;
    }
}

int indexer_update(collection *c, vector_index *vi, clip_model *m,
                   const indexer_options *o, indexer_summary *s, char *err)
{
    char **roots = NULL, **files = NULL;
    size_t n = 0, n_files = 0;
    int rc = collection_list_roots(c, &roots, &n, err);
    if (!rc) rc = collection_list_lone_files(c, &files, &n_files, err);
    const char **live = rc ? NULL : calloc(n + n_files + 1, sizeof *live);
    int n_live = 0;
    int64_t gone = 0;
    if (live) {
        split_live(c, vi, roots, n, live, &n_live, &gone);
        split_live(c, vi, files, n_files, live, &n_live, &gone);
    }
    if (!rc)
        rc = live ? indexer_add(c, vi, m, live, n_live, o, s, err) : VLM_ENOMEM;
    s->removed += gone;
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

int indexer_remove(collection *c, vector_index *vi, const char *const *paths,
                   int n_paths, int64_t *n_removed, char *err)
{
    *n_removed = 0;
    int rc = collection_begin(c, err);
    for (int i = 0; !rc && i < n_paths; i++) {
        char *abs = media_abspath(paths[i]);
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
