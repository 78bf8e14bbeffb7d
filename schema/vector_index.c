/*
 * vector_index.c — the derived FAISS index: build from SQLite, incremental
 * catch-up from the change log, kind switching (exact <-> IVF), search with
 * an id selector.  File I/O lives in vector_index_file.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <faiss/c_api/IndexFlat_c.h>
#include <faiss/c_api/IndexIVFFlat_c.h>
#include <faiss/c_api/IndexIVF_c.h>
#include <faiss/c_api/Index_c.h>
#include <faiss/c_api/error_c.h>
#include <faiss/c_api/impl/AuxIndexStructures_c.h>
#include <faiss/c_api/index_factory_c.h>

#include "schema/collection_internal.h"
#include "schema/faiss_c_compat.h"
#include "schema/vector_index.h"
#include "schema/vector_index_file.h"

/* IVF training: FAISS wants >= 39 points per list; 64 gives stabler
 * centroids at a training cost that stays small next to adding. */
#define IVF_TRAIN_PER_LIST 64
/* Retrain once the collection outgrows its centroids this many times. */
#define IVF_RETRAIN_GROWTH 4
#define REBUILD_CHUNK      16384

struct vector_index {
    collection *c;
    FaissIndex *index; /* NULL until built or loaded */
    int dims;
    int64_t threshold;
    int nprobe_opt;          /* 0 = default per nlist */
    int nlist_opt;           /* 0 = choose_nlist() */
    bool mmapped;            /* IVF lists mapped read-only from the file */
    int64_t file_generation; /* generation of the file on disk, -1 = none */
    int64_t trained_on;
    bool unsaved_rebuild; /* rebuilt (maybe same generation) since saved */
    char *path;
    vector_index_info info;
};

static const char *faiss_msg(void)
{
    const char *m = faiss_get_last_error();
    return m ? m : "unknown FAISS error";
}

static int faiss_fail(const char *what, char *err)
{
    vlm_set_err(err, "FAISS %s failed: %s", what, faiss_msg());
    return VLM_EIO;
}

/* Lists ~ sqrt(n), as a power of two, but never fewer than 39 training
 * points per list (FAISS's minimum; below it, it warns on stderr). */
static int choose_nlist(int64_t n)
{
    int nlist = 64;
    while ((int64_t)nlist * nlist * 2 < n) nlist *= 2;
    while (nlist > 1 && (int64_t)nlist * 39 > n) nlist /= 2;
    return nlist;
}

/* Default probes: enough lists to scan max(3n/64, 16384) vectors.  In
 * bench/schema (README.md) recall@10 at a fixed fraction grows with n:
 * at 1M, 3/64 (48 of 1024 lists) gives 0.985 in 30 ms where 1/16 gave
 * 0.991 in 40 ms; at 100k, 16k scanned vectors give 0.99. */
static int default_nprobe(int nlist, int64_t ntotal)
{
    double frac = ntotal > 0 ? 16384.0 / (double)ntotal : 1;
    if (frac < 3.0 / 64) frac = 3.0 / 64;
    int p = (int)ceil(frac * nlist);
    return p < 1 ? 1 : p > nlist ? nlist : p;
}

/* Lists of the index; 1 (exhaustive, exact) for a non-IVF index. */
static int index_nlist(FaissIndex *index)
{
    FaissIndexIVF *ivf = index ? faiss_IndexIVF_cast(index) : NULL;
    return ivf ? (int)faiss_IndexIVF_nlist(ivf) : 1;
}

static void refresh_info(vector_index *vi)
{
    vector_index_info *in = &vi->info;
    in->ntotal = vi->index ? faiss_Index_ntotal(vi->index) : 0;
    int nlist = index_nlist(vi->index);
    in->kind = nlist > 1 ? VECTOR_INDEX_IVF : VECTOR_INDEX_EXACT;
    in->nlist = nlist > 1 ? nlist : 0;
    in->nprobe = nlist == 1           ? 0
                 : vi->nprobe_opt > 0 ? vi->nprobe_opt
                                      : default_nprobe(nlist, in->ntotal);
}

/* ------------------------------------------------------------------ */
/* Full rebuild                                                        */
/* ------------------------------------------------------------------ */

typedef struct {
    FaissIndex *index;
    int dims;
    int64_t stride, seen; /* training sample: every stride-th vector */
    float *sample;
    int64_t n_sample, cap_sample;
    char *err;
} build_ctx;

static int add_chunk(void *ud, const int64_t *ids, const float *vecs, size_t n)
{
    build_ctx *b = ud;
    return faiss_Index_add_with_ids(b->index, (idx_t)n, vecs, ids) == 0
               ? VLM_OK
               : faiss_fail("add_with_ids", b->err);
}

/* Stride sampling over id order reaches every folder, unlike "the first
 * N rows", which would train on whatever was added first. */
static int sample_chunk(void *ud, const int64_t *ids, const float *vecs,
                        size_t n)
{
    (void)ids;
    build_ctx *b = ud;
    for (size_t i = 0; i < n; i++, b->seen++)
        if (b->seen % b->stride == 0 && b->n_sample < b->cap_sample)
            memcpy(b->sample + b->n_sample++ * b->dims,
                   vecs + i * (size_t)b->dims, (size_t)b->dims * sizeof(float));
    return VLM_OK;
}

static int train_ivf(collection *c, build_ctx *b, int64_t n, int nlist,
                     char *err)
{
    b->cap_sample = (int64_t)nlist * IVF_TRAIN_PER_LIST;
    if (b->cap_sample > n) b->cap_sample = n > 0 ? n : 1;
    b->stride = n / b->cap_sample > 0 ? n / b->cap_sample : 1;
    b->sample = malloc((size_t)b->cap_sample * b->dims * sizeof(float));
    if (!b->sample) {
        vlm_set_err(err, "out of memory for the IVF training sample");
        return VLM_ENOMEM;
    }
    int rc =
        collection_for_each_embedding(c, REBUILD_CHUNK, sample_chunk, b, err);
    if (rc == VLM_OK && faiss_Index_train(b->index, b->n_sample, b->sample))
        rc = faiss_fail("IVF training", err);
    free(b->sample);
    b->sample = NULL;
    return rc;
}

/* The exact kind: an IVF with one list, so every query scans every
 * vector.  Its quantizer holds one arbitrary centroid, which makes the
 * index trained without k-means (nothing to train on when empty). */
static int new_exact_index(int dims, FaissIndex **out, char *err)
{
    FaissIndexFlatIP *quantizer = NULL;
    float *centroid = calloc((size_t)dims, sizeof *centroid);
    if (!centroid) {
        vlm_set_err(err, "out of memory");
        return VLM_ENOMEM;
    }
    centroid[0] = 1;
    int rc = VLM_OK;
    if (faiss_IndexFlatIP_new_with(&quantizer, dims) ||
        faiss_Index_add(quantizer, 1, centroid) ||
        faiss_IndexIVFFlat_new_with_metric(out, quantizer, (size_t)dims, 1,
                                           METRIC_INNER_PRODUCT)) {
        rc = faiss_fail("exact index creation", err);
        if (quantizer) faiss_Index_free(quantizer);
    } else
        faiss_IndexIVF_set_own_fields(*out, 1);
    free(centroid);
    return rc;
}

/* Builds a new index from SQLite inside one read transaction, so the
 * vectors and the generation it records belong to the same snapshot. */
static int build_snapshot(vector_index *vi, FaissIndex **out, int64_t *gen,
                          int64_t *trained_on, char *err)
{
    collection_counts counts;
    int rc = collection_get_counts(vi->c, &counts, err);
    if (rc != VLM_OK) return rc;
    *gen = counts.generation;
    int64_t n = counts.embeddings;
    bool ivf = vi->threshold > 0 && n >= vi->threshold;
    int nlist = !ivf ? 1 : vi->nlist_opt > 0 ? vi->nlist_opt : choose_nlist(n);
    char desc[32];
    snprintf(desc, sizeof desc, "IVF%d,Flat", nlist);
    build_ctx b = {.dims = vi->dims, .err = err};
    if (!ivf)
        rc = new_exact_index(vi->dims, &b.index, err);
    else if (faiss_index_factory(&b.index, vi->dims, desc,
                                 METRIC_INNER_PRODUCT))
        rc = faiss_fail("index_factory", err);
    else
        rc = train_ivf(vi->c, &b, n, nlist, err);
    if (rc != VLM_OK && !b.index) return rc;
    if (rc == VLM_OK)
        rc = collection_for_each_embedding(vi->c, REBUILD_CHUNK, add_chunk, &b,
                                           err);
    if (rc != VLM_OK) {
        faiss_Index_free(b.index);
        return rc;
    }
    *trained_on = ivf ? n : 0;
    *out = b.index;
    return VLM_OK;
}

int vector_index_rebuild(vector_index *vi, char *err)
{
    sqlite3 *db = collection_db(vi->c);
    bool own = sqlite3_get_autocommit(db);
    if (own && sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        vlm_set_err(err, "cannot start a read: %s", sqlite3_errmsg(db));
        return VLM_EIO;
    }
    FaissIndex *fresh = NULL;
    int64_t gen = 0, trained_on = 0;
    int rc = build_snapshot(vi, &fresh, &gen, &trained_on, err);
    if (own) sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    if (rc != VLM_OK) return rc;
    if (vi->index) faiss_Index_free(vi->index);
    vi->index = fresh;
    vi->mmapped = false;
    vi->trained_on = trained_on;
    vi->info.generation = gen;
    vi->info.rebuilt = true;
    vi->unsaved_rebuild = true;
    refresh_info(vi);
    return VLM_OK;
}

/* ------------------------------------------------------------------ */
/* Incremental catch-up                                                */
/* ------------------------------------------------------------------ */

static int remove_ids(vector_index *vi, const int64_t *ids, size_t n, char *err)
{
    FaissIDSelectorBatch *sel = NULL;
    if (faiss_IDSelectorBatch_new(&sel, n, ids))
        return faiss_fail("IDSelectorBatch", err);
    size_t removed = 0;
    int frc =
        faiss_Index_remove_ids(vi->index, (FaissIDSelector *)sel, &removed);
    faiss_IDSelector_free((FaissIDSelector *)sel);
    return frc ? faiss_fail("remove_ids", err) : VLM_OK;
}

/* Re-adds the current embedding of each changed id (deleted ids and
 * failures have none and simply stay removed). */
static int readd_ids(vector_index *vi, const int64_t *ids, size_t n, char *err)
{
    float *vecs = malloc(n * (size_t)vi->dims * sizeof *vecs);
    int64_t *keep = malloc(n * sizeof *keep);
    if (!vecs || !keep) {
        free(vecs), free(keep);
        vlm_set_err(err, "out of memory replaying %zu changes", n);
        return VLM_ENOMEM;
    }
    size_t m = 0;
    int rc = VLM_OK;
    for (size_t i = 0; i < n && rc == VLM_OK; i++) {
        rc = collection_get_embedding(vi->c, ids[i], vecs + m * vi->dims,
                                      vi->dims, err);
        if (rc == VLM_OK)
            keep[m++] = ids[i];
        else if (rc == VLM_ENOTFOUND)
            rc = VLM_OK;
    }
    if (rc == VLM_OK && m > 0 &&
        faiss_Index_add_with_ids(vi->index, (idx_t)m, vecs, keep))
        rc = faiss_fail("add_with_ids", err);
    free(vecs), free(keep);
    return rc;
}

/* Mapped lists are read-only: load the file into memory before changing. */
static int unmap(vector_index *vi, char *err)
{
    vindex_trailer t;
    FaissIndex *loaded = NULL;
    bool mapped = false;
    int rc = vindex_file_load(vi->path, -1, &t, &loaded, &mapped, err);
    if (rc != VLM_OK) return rc;
    faiss_Index_free(vi->index);
    vi->index = loaded;
    vi->mmapped = false;
    vi->info.generation = t.generation; /* may differ: another process */
    vi->trained_on = t.trained_on;      /* may have saved meanwhile */
    return VLM_OK;
}

/* VLM_ENOTFOUND: the change log cannot bring this index up to date. */
static int replay(vector_index *vi, char *err)
{
    int64_t *ids = NULL, current = 0;
    size_t n = 0;
    /* Reload first, then ask for the changes since what was reloaded. */
    int rc = vi->mmapped ? unmap(vi, err) : VLM_OK;
    if (rc == VLM_EFORMAT) /* file replaced by something unusable */
        rc = VLM_ENOTFOUND;
    if (rc == VLM_OK)
        rc = collection_changes_since(vi->c, vi->info.generation, &ids, &n,
                                      &current, err);
    if (rc == VLM_OK && n > 0) rc = remove_ids(vi, ids, n, err);
    if (rc == VLM_OK && n > 0) rc = readd_ids(vi, ids, n, err);
    free(ids);
    if (rc == VLM_OK) {
        vi->info.generation = current;
        vi->info.replayed += (int64_t)n;
    }
    return rc;
}

/* Exact past the threshold, or IVF far past its training size. */
static bool needs_new_kind(const vector_index *vi)
{
    int64_t n = faiss_Index_ntotal(vi->index);
    if (index_nlist(vi->index) == 1)
        return vi->threshold > 0 && n >= vi->threshold;
    return vi->threshold <= 0 || n < vi->threshold / 2 ||
           n > vi->trained_on * IVF_RETRAIN_GROWTH;
}

int vector_index_sync(vector_index *vi, char *err)
{
    int64_t gen = 0;
    int rc = collection_generation(vi->c, &gen, err);
    if (rc != VLM_OK) return rc;
    rc = !vi->index                   ? VLM_ENOTFOUND
         : gen != vi->info.generation ? replay(vi, err)
                                      : VLM_OK;
    if (rc == VLM_ENOTFOUND) {
        if (vi->index || !vi->info.rebuild_reason[0])
            snprintf(vi->info.rebuild_reason, sizeof vi->info.rebuild_reason,
                     "%s", vi->index ? "stale (change log pruned)" : "missing");
        return vector_index_rebuild(vi, err);
    }
    if (rc == VLM_OK && needs_new_kind(vi)) {
        snprintf(vi->info.rebuild_reason, sizeof vi->info.rebuild_reason,
                 "size %lld needs another index kind",
                 (long long)faiss_Index_ntotal(vi->index));
        return vector_index_rebuild(vi, err);
    }
    refresh_info(vi);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Open / save / close                                                 */
/* ------------------------------------------------------------------ */

/* Loads the file if it is usable; otherwise says why in rebuild_reason. */
static int try_load(vector_index *vi, char *err)
{
    int64_t gen = 0;
    int rc = collection_generation(vi->c, &gen, err);
    if (rc != VLM_OK) return rc;
    vindex_trailer t;
    char why[VLM_ERR_MAX] = "";
    rc = vindex_file_load(vi->path, gen, &t, &vi->index, &vi->mmapped, why);
    if (rc == VLM_OK && (t.dims != vi->dims || t.generation > gen)) {
        snprintf(why, sizeof why, "%s",
                 t.dims != vi->dims ? "dims differ from the model"
                                    : "newer than the database");
        faiss_Index_free(vi->index);
        vi->index = NULL;
        rc = VLM_EFORMAT;
    }
    if (rc == VLM_OK) {
        vi->info.loaded_from_file = true;
        vi->info.generation = t.generation;
        vi->file_generation = t.generation;
        vi->trained_on = t.trained_on;
        return VLM_OK;
    }
    snprintf(vi->info.rebuild_reason, sizeof vi->info.rebuild_reason, "%s%s",
             rc == VLM_ENOTFOUND ? "missing" : "corrupt: ",
             rc == VLM_ENOTFOUND ? "" : why);
    return rc == VLM_ENOTFOUND || rc == VLM_EFORMAT ? VLM_OK : rc;
}

int vector_index_open(collection *c, const vector_index_options *opts,
                      vector_index **out, char *err)
{
    static const vector_index_options defaults = {0};
    const vector_index_options *o = opts ? opts : &defaults;
    *out = NULL;
    collection_model m;
    int rc = collection_get_model(c, &m, err);
    if (rc != VLM_OK) return rc;
    vector_index *vi = calloc(1, sizeof *vi);
    size_t len = strlen(collection_dir(c)) + sizeof VECTOR_INDEX_FILE_NAME + 1;
    if (!vi || !(vi->path = malloc(len))) {
        free(vi);
        vlm_set_err(err, "out of memory opening the vector index");
        return VLM_ENOMEM;
    }
    snprintf(vi->path, len, "%s/%s", collection_dir(c), VECTOR_INDEX_FILE_NAME);
    vi->c = c;
    vi->dims = m.dims;
    vi->threshold = o->approx_threshold ? o->approx_threshold
                                        : VECTOR_INDEX_APPROX_THRESHOLD;
    vi->nprobe_opt = o->nprobe;
    vi->nlist_opt = o->nlist;
    vi->file_generation = -1;
    rc = try_load(vi, err);
    if (rc == VLM_OK) rc = vector_index_sync(vi, err);
    if (rc == VLM_OK && vi->info.rebuilt && o->save_after_rebuild)
        rc = vector_index_save(vi, err);
    if (rc != VLM_OK) {
        vector_index_close(vi);
        return rc;
    }
    refresh_info(vi);
    *out = vi;
    return VLM_OK;
}

int vector_index_save(vector_index *vi, char *err)
{
    if (vi->file_generation == vi->info.generation && !vi->unsaved_rebuild)
        return VLM_OK;
    vindex_trailer t = {
        .generation = vi->info.generation,
        .ntotal = faiss_Index_ntotal(vi->index),
        .dims = vi->dims,
        .kind = vi->info.kind,
        .trained_on = vi->trained_on,
    };
    mode_t mode = vi->c->private_perms ? 0600 : 0644;
    int rc = vindex_file_save(vi->path, vi->index, &t, mode, err);
    if (rc != VLM_OK) return rc;
    vi->file_generation = t.generation;
    vi->unsaved_rebuild = false;
    /* The file now covers everything up to its generation.  Pruning is
     * only housekeeping: if a writer holds the lock, skip it this time. */
    char ignored[VLM_ERR_MAX];
    sqlite3_busy_timeout(vi->c->db, 0);
    collection_prune_changes(vi->c, t.generation, ignored);
    sqlite3_busy_timeout(vi->c->db, vi->c->busy_ms);
    return VLM_OK;
}

void vector_index_close(vector_index *vi)
{
    if (!vi) return;
    if (vi->index) faiss_Index_free(vi->index);
    free(vi->path);
    free(vi);
}

void vector_index_get_info(const vector_index *vi, vector_index_info *out)
{
    *out = vi->info;
}

const char *vector_index_path(const vector_index *vi) { return vi->path; }

/* ------------------------------------------------------------------ */
/* Search                                                              */
/* ------------------------------------------------------------------ */

/* Parameters for one search; *sel is owned by the caller afterwards.
 * IVF with a subset probes more lists (up to all) so that about as many
 * selected vectors are scanned as without a filter. */
static int make_params(const vector_index *vi, const int64_t *subset,
                       size_t n_subset, FaissIDSelector **sel,
                       FaissSearchParameters **params, char *err)
{
    *sel = NULL;
    *params = NULL;
    if (subset) {
        FaissIDSelectorBatch *batch = NULL;
        if (faiss_IDSelectorBatch_new(&batch, n_subset, subset))
            return faiss_fail("IDSelectorBatch", err);
        *sel = (FaissIDSelector *)batch;
    }
    int frc;
    if (faiss_IndexIVF_cast(vi->index)) {
        int nlist = index_nlist(vi->index);
        int base = vi->info.kind == VECTOR_INDEX_IVF ? vi->info.nprobe : 1;
        double frac = subset ? (double)n_subset / (double)vi->info.ntotal : 1;
        double probes = ceil(base / (frac > 0 ? frac : 1e-9));
        size_t nprobe = probes > nlist ? (size_t)nlist : (size_t)probes;
        frc = faiss_SearchParametersIVF_new_with(
            (FaissSearchParametersIVF **)params, *sel, nprobe, 0);
    } else if (subset)
        frc = faiss_SearchParameters_new(params, *sel);
    else
        return VLM_OK; /* plain search */
    return frc ? faiss_fail("search parameters", err) : VLM_OK;
}

int vector_index_search(vector_index *vi, const float *query, int k,
                        const int64_t *subset, size_t n_subset,
                        vector_hit *hits, int *n_hits, char *err)
{
    *n_hits = 0;
    if (k <= 0 || !vi->index || vi->info.ntotal == 0 ||
        (subset && n_subset == 0))
        return VLM_OK;
    FaissIDSelector *sel = NULL;
    FaissSearchParameters *params = NULL;
    int rc = make_params(vi, subset, n_subset, &sel, &params, err);
    float *dist = malloc((size_t)k * sizeof *dist);
    idx_t *labels = malloc((size_t)k * sizeof *labels);
    if (rc == VLM_OK && (!dist || !labels)) {
        vlm_set_err(err, "out of memory for %d results", k);
        rc = VLM_ENOMEM;
    }
    if (rc == VLM_OK && faiss_Index_search_with_params(vi->index, 1, query, k,
                                                       params, dist, labels))
        rc = faiss_fail("search", err);
    for (int i = 0; rc == VLM_OK && i < k; i++)
        if (labels[i] >= 0)
            hits[(*n_hits)++] = (vector_hit){labels[i], dist[i]};
    if (params) faiss_SearchParameters_free(params);
    if (sel) faiss_IDSelector_free(sel);
    free(dist), free(labels);
    return rc;
}
