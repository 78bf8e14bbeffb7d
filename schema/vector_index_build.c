/*
 * vector_index_build.c — full rebuild of the vector index from SQLite:
 * choose the kind for the current size, train on a stride sample, add
 * every embedding, and let the calibration watch the same pass.
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <faiss/c_api/IndexFlat_c.h>
#include <faiss/c_api/IndexIVFFlat_c.h>
#include <faiss/c_api/IndexIVF_c.h>
#include <faiss/c_api/error_c.h>
#include <faiss/c_api/index_factory_c.h>

#include "schema/vector_index_internal.h"

/* IVF training: FAISS wants >= 39 points per list; 64 gives stabler
 * centroids at a training cost that stays small next to adding. */
#define IVF_TRAIN_PER_LIST 64
#define REBUILD_CHUNK      16384

int vindex_faiss_fail(const char *what, char *err)
{
    const char *m = faiss_get_last_error();
    vlm_set_err(err, "FAISS %s failed: %s", what, m ? m : "unknown error");
    return VLM_EIO;
}

typedef struct {
    FaissIndex *index;
    int dims;
    int64_t stride, seen; /* training sample: every stride-th vector */
    float *sample;
    int64_t n_sample, cap_sample;
    vindex_calib *cal;
    char *err;
} build_ctx;

static int add_chunk(void *ud, const int64_t *ids, const float *vecs, size_t n)
{
    build_ctx *b = ud;
    vindex_calib_chunk(b->cal, ids, vecs, n);
    return faiss_Index_add_with_ids(b->index, (idx_t)n, vecs, ids) == 0
               ? VLM_OK
               : vindex_faiss_fail("add_with_ids", b->err);
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

/* Trains on the sample, which then seeds the calibration queries. */
static int train_ivf(vector_index *vi, build_ctx *b, int kind, int64_t n,
                     int nlist, char *err)
{
    b->cap_sample = (int64_t)nlist * IVF_TRAIN_PER_LIST;
    if (kind == VECTOR_INDEX_IVF_PQ && b->cap_sample < VINDEX_PQ_MIN_TRAIN)
        b->cap_sample = VINDEX_PQ_MIN_TRAIN;
    if (b->cap_sample > n) b->cap_sample = n > 0 ? n : 1;
    b->stride = n / b->cap_sample > 0 ? n / b->cap_sample : 1;
    b->sample = malloc((size_t)b->cap_sample * b->dims * sizeof(float));
    if (!b->sample) {
        vlm_set_err(err, "out of memory for the IVF training sample");
        return VLM_ENOMEM;
    }
    int rc = collection_for_each_embedding(vi->c, REBUILD_CHUNK, sample_chunk,
                                           b, err);
    /* PQ training runs thousands of tiny OpenMP regions (k-means of 256
     * centroids per sub-vector): with other work on the cores their
     * spin-waits cost 10x (22 s vs 2.6 s for 12k vectors, measured on the
     * loaded 2-core machine).  One thread does it in the same time. */
    int threads = omp_get_max_threads();
    if (kind == VECTOR_INDEX_IVF_PQ) omp_set_num_threads(1);
    if (rc == VLM_OK && faiss_Index_train(b->index, b->n_sample, b->sample))
        rc = vindex_faiss_fail("IVF training", err);
    omp_set_num_threads(threads);
    if (rc == VLM_OK)
        b->cal = vindex_calib_new(vi, kind, b->sample, b->n_sample);
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
        rc = vindex_faiss_fail("exact index creation", err);
        if (quantizer) faiss_Index_free(quantizer);
    } else
        faiss_IndexIVF_set_own_fields(*out, 1);
    free(centroid);
    return rc;
}

static int new_index(vector_index *vi, build_ctx *b, int kind, int64_t n,
                     char *err)
{
    if (kind == VECTOR_INDEX_EXACT)
        return new_exact_index(vi->dims, &b->index, err);
    int nlist = vindex_choose_nlist(vi, n);
    char desc[64];
    vindex_factory_string(kind, nlist, vi->dims, desc, sizeof desc);
    if (faiss_index_factory(&b->index, vi->dims, desc, METRIC_INNER_PRODUCT))
        return vindex_faiss_fail("index_factory", err);
    return train_ivf(vi, b, kind, n, nlist, err);
}

int vindex_build(vector_index *vi, FaissIndex **out, int64_t *generation,
                 int64_t *trained_on, vindex_calib **cal, char *err)
{
    collection_counts counts;
    int rc = collection_get_counts(vi->c, &counts, err);
    if (rc != VLM_OK) return rc;
    *generation = counts.generation;
    int64_t n = counts.embeddings;
    int kind = vindex_kind_for(vi, n);
    build_ctx b = {.dims = vi->dims, .err = err};
    rc = new_index(vi, &b, kind, n, err);
    if (rc == VLM_OK)
        rc = collection_for_each_embedding(vi->c, REBUILD_CHUNK, add_chunk, &b,
                                           err);
    if (rc != VLM_OK) {
        if (b.index) faiss_Index_free(b.index);
        vindex_calib_free(b.cal);
        return rc;
    }
    *trained_on = kind == VECTOR_INDEX_EXACT ? 0 : n;
    *out = b.index;
    *cal = b.cal;
    vi->kind = kind;
    return VLM_OK;
}

/* Builds inside one read transaction, so the vectors and the generation
 * recorded belong to the same snapshot. */
int vector_index_rebuild(vector_index *vi, char *err)
{
    sqlite3 *db = collection_db(vi->c);
    bool own = sqlite3_get_autocommit(db);
    if (own && sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        vlm_set_err(err, "cannot start a read: %s", sqlite3_errmsg(db));
        return VLM_EIO;
    }
    FaissIndex *fresh = NULL;
    vindex_calib *cal = NULL;
    int64_t gen = 0, trained_on = 0;
    int rc = vindex_build(vi, &fresh, &gen, &trained_on, &cal, err);
    if (own) sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    if (rc != VLM_OK) return rc;
    if (vi->index) faiss_Index_free(vi->index);
    vindex_drop_map(vi);
    vi->index = fresh;
    vi->trained_on = trained_on;
    vi->info.generation = gen;
    vi->info.rebuilt = true;
    vi->unsaved_rebuild = true;
    vindex_refresh_info(vi);
    if (cal) vindex_calib_finish(cal, vi);
    vindex_calib_free(cal);
    return VLM_OK;
}
