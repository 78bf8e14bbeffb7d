/*
 * merge.c — indexer_merge(): checks every source before writing anything,
 * then merges them one transaction each and brings the vector index up to
 * date once.
 */
#include "indexer/merge.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "indexer/shard.h"

typedef struct source_info {
    char *dir; /* real path */
    collection_model model;
    shard_spec shard;
} source_info;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Opens the source (migrating it to this schema) for its model and spec.
 * out_dir: the output collection's folder (may be NULL or not exist yet). */
static int read_source(const char *out_dir, const char *dir, source_info *si,
                       char *err)
{
    si->dir = realpath(dir, NULL);
    if (!si->dir) {
        vlm_set_err(err, "%s: no such collection folder", dir);
        return VLM_ENOTFOUND;
    }
    char *out_real = out_dir ? realpath(out_dir, NULL) : NULL;
    bool self = out_real && !strcmp(out_real, si->dir);
    free(out_real);
    if (self) {
        vlm_set_err(err, "%s is the output collection: give it to -C only",
                    dir);
        return VLM_EINVAL;
    }
    collection *c = NULL;
    int rc = collection_open(si->dir, NULL, &c, err);
    if (rc == VLM_ENOTFOUND)
        vlm_set_err(err, "%s: not a collection (no %s)", dir,
                    COLLECTION_DB_NAME);
    if (!rc && collection_get_model(c, &si->model, err) == VLM_ENOTFOUND) {
        vlm_set_err(err, "%s has no model yet (nothing was indexed)", dir);
        rc = VLM_EINVAL;
    }
    if (!rc) rc = shard_get(c, &si->shard, err);
    collection_close(c);
    return rc;
}

static bool same_model(const collection_model *a, const collection_model *b)
{
    return a->dims == b->dims && !strcmp(a->name, b->name) &&
           !strcmp(a->model_id, b->model_id);
}

static int model_mismatch(const char *a_dir, const collection_model *a,
                          const char *b_dir, const collection_model *b,
                          char *err)
{
    vlm_set_err(err,
                "%s was built with %s (%d dims, id %.12s) but %s with %s "
                "(%d dims, id %.12s): merge only collections of one model",
                a_dir, a->name, a->dims, a->model_id, b_dir, b->name, b->dims,
                b->model_id);
    return VLM_EMISMATCH;
}

/* Shard specs: one N, no shard twice. */
static int check_shards(const source_info *si, int n, merge_summary *s,
                        char *err)
{
    const source_info *first = NULL;
    for (int i = 0; i < n; i++) {
        if (!si[i].shard.n) continue;
        if (!first) first = &si[i];
        char a[24], b[24];
        shard_format(&first->shard, a, sizeof a);
        shard_format(&si[i].shard, b, sizeof b);
        if (si[i].shard.n != first->shard.n) {
            vlm_set_err(err,
                        "%s is shard %s but %s is shard %s: merge shards "
                        "of one split",
                        first->dir, a, si[i].dir, b);
            return VLM_EINVAL;
        }
        for (int j = 0; j < i; j++)
            if (si[j].shard.n && si[j].shard.k == si[i].shard.k) {
                vlm_set_err(err, "%s and %s are both shard %s", si[j].dir,
                            si[i].dir, b);
                return VLM_EINVAL;
            }
        s->shards_missing--; /* counted from N below */
    }
    s->shard_count = first ? first->shard.n : 0;
    s->shards_missing += s->shard_count;
    return VLM_OK;
}

/* Every source readable, of one model, of one split. */
static int read_sources(const char *out_dir, source_info *si, int n,
                        merge_summary *s, char *err)
{
    int rc = VLM_OK;
    for (int i = 0; !rc && i < n; i++)
        rc = read_source(out_dir, si[i].dir, &si[i], err);
    for (int i = 1; !rc && i < n; i++)
        if (!same_model(&si[0].model, &si[i].model))
            rc = model_mismatch(si[0].dir, &si[0].model, si[i].dir,
                                &si[i].model, err);
    return rc ? rc : check_shards(si, n, s, err);
}

/* The sources, and out's model, if bound (else bound here). */
static int check_sources(collection *out, source_info *si, int n,
                         merge_summary *s, char *err)
{
    collection_model have;
    int rc = collection_get_model(out, &have, err);
    bool bound = rc == VLM_OK;
    if (rc == VLM_ENOTFOUND) rc = VLM_OK;
    if (!rc) rc = read_sources(collection_dir(out), si, n, s, err);
    if (!rc && bound && !same_model(&have, &si[0].model))
        rc = model_mismatch(collection_dir(out), &have, si[0].dir, &si[0].model,
                            err);
    if (!rc && !bound)
        rc = collection_bind_model(out, si[0].model.name, si[0].model.dims,
                                   si[0].model.model_id, err);
    return rc;
}

static void add_counts(collection_merge_counts *t,
                       const collection_merge_counts *n)
{
    t->added += n->added;
    t->updated += n->updated;
    t->unchanged += n->unchanged;
    t->removed += n->removed;
    t->conflicts += n->conflicts;
    t->derived += n->derived;
}

static int merge_sources(collection *out, const source_info *si, int n,
                         const merge_options *o, merge_summary *s, char *err)
{
    for (int i = 0; i < n; i++) {
        if (o->cancel && *o->cancel) {
            vlm_set_err(err, "interrupted after %d of %d collections", i, n);
            return VLM_EINTERRUPTED;
        }
        char spec[24];
        shard_format(&si[i].shard, spec, sizeof spec);
        collection_merge_counts c;
        int rc = collection_merge_from(out, si[i].dir,
                                       si[i].shard.n ? spec : NULL, &c, err);
        if (rc) return rc;
        add_counts(&s->rows, &c);
        s->sources++;
        if (o->on_source) o->on_source(o->user, si[i].dir, &c);
    }
    return VLM_OK;
}

/* Built once from SQLite when there was none; else caught up. */
static int update_index(collection *out, vector_index *vi, char *err)
{
    if (vi) {
        int rc = vector_index_sync(vi, err);
        return rc ? rc : vector_index_save(vi, err);
    }
    vector_index_options vo = {.save_after_rebuild = true};
    int rc = vector_index_open(out, &vo, &vi, err);
    if (!rc) rc = vector_index_save(vi, err);
    vector_index_close(vi);
    return rc;
}

static source_info *sources_new(const char *const *dirs, int n, char *err)
{
    source_info *si = calloc((size_t)(n > 0 ? n : 1), sizeof *si);
    if (!si) vlm_set_err(err, "out of memory merging %d collections", n);
    for (int i = 0; si && i < n; i++) si[i].dir = (char *)dirs[i];
    return si;
}

static void sources_free(source_info *si, const char *const *dirs, int n)
{
    for (int i = 0; i < n; i++)
        if (si[i].dir != dirs[i]) free(si[i].dir);
    free(si);
}

int indexer_merge_check(const char *out_dir, const char *const *dirs, int n,
                        char *err)
{
    source_info *si = sources_new(dirs, n, err);
    if (!si) return VLM_ENOMEM;
    merge_summary s = {0};
    int rc = read_sources(out_dir, si, n, &s, err);
    sources_free(si, dirs, n);
    return rc;
}

int indexer_merge(collection *out, vector_index *vi, const char *const *dirs,
                  int n, const merge_options *o, merge_summary *s, char *err)
{
    static const merge_options defaults = {0};
    if (!o) o = &defaults;
    memset(s, 0, sizeof *s);
    double t0 = now_s();
    source_info *si = sources_new(dirs, n, err);
    if (!si) return VLM_ENOMEM;
    int rc = check_sources(out, si, n, s, err);
    if (!rc) rc = merge_sources(out, si, n, o, s, err);
    if (!rc || rc == VLM_EINTERRUPTED) {
        char ierr[VLM_ERR_MAX];
        int irc = update_index(out, vi, rc ? ierr : err);
        if (!rc) rc = irc;
    }
    sources_free(si, dirs, n);
    s->seconds = now_s() - t0;
    return rc;
}
