#include "schema/vector_pairs.h"

#include <math.h>
#include <stdlib.h>

#include <faiss/c_api/IndexFlat_c.h>
#include <faiss/c_api/Index_c.h>
#include <faiss/c_api/error_c.h>
#include <faiss/c_api/impl/AuxIndexStructures_c.h>

#define QUERY_BLOCK 1024 /* queries per range search: bounds the result */

typedef struct pair_list {
    vector_pair *v;
    size_t n, cap;
} pair_list;

static int push_pair(pair_list *l, int64_t a, int64_t b, float s)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 256;
        vector_pair *grown = realloc(l->v, cap * sizeof *grown);
        if (!grown) return VLM_ENOMEM;
        l->v = grown;
        l->cap = cap;
    }
    l->v[l->n++] = (vector_pair){a < b ? a : b, a < b ? b : a, s};
    return VLM_OK;
}

static int faiss_error(const char *what, char *err)
{
    const char *m = faiss_get_last_error();
    vlm_set_err(err, "FAISS %s failed: %s", what, m ? m : "unknown error");
    return VLM_EIO;
}

/* Queries [from, to) against the index; each pair once (i < j). */
static int search_block(FaissIndex *index, const float *vecs,
                        const int64_t *ids, size_t from, size_t to, int dims,
                        float radius, pair_list *out, char *err)
{
    FaissRangeSearchResult *res = NULL;
    size_t *lims;
    idx_t *labels;
    float *dist;
    idx_t nq = (idx_t)(to - from);
    if (faiss_RangeSearchResult_new(&res, nq) ||
        faiss_Index_range_search(index, nq, vecs + from * (size_t)dims, radius,
                                 res)) {
        if (res) faiss_RangeSearchResult_free(res);
        return faiss_error("range search", err);
    }
    faiss_RangeSearchResult_lims(res, &lims);
    faiss_RangeSearchResult_labels(res, &labels, &dist);
    int rc = VLM_OK;
    for (size_t q = 0; !rc && q < (size_t)nq; q++)
        for (size_t r = lims[q]; !rc && r < lims[q + 1]; r++)
            if ((size_t)labels[r] > from + q) /* j > i: each pair once */
                rc = push_pair(out, ids[from + q], ids[labels[r]], dist[r]);
    faiss_RangeSearchResult_free(res);
    if (rc) vlm_set_err(err, "out of memory collecting pairs");
    return rc;
}

int vector_pairs_within(const float *vecs, const int64_t *ids, size_t n,
                        int dims, float threshold, vector_pair **pairs,
                        size_t *n_pairs, char *err)
{
    *pairs = NULL;
    *n_pairs = 0;
    if (n < 2) return VLM_OK;
    FaissIndexFlatIP *flat = NULL;
    if (faiss_IndexFlatIP_new_with(&flat, dims) ||
        faiss_Index_add((FaissIndex *)flat, (idx_t)n, vecs)) {
        if (flat) faiss_Index_free((FaissIndex *)flat);
        return faiss_error("flat index", err);
    }
    /* FAISS keeps inner products strictly above the radius. */
    float radius = nextafterf(threshold, -INFINITY);
    pair_list out = {0};
    int rc = VLM_OK;
    for (size_t from = 0; !rc && from < n; from += QUERY_BLOCK) {
        size_t to = from + QUERY_BLOCK < n ? from + QUERY_BLOCK : n;
        rc = search_block((FaissIndex *)flat, vecs, ids, from, to, dims, radius,
                          &out, err);
    }
    faiss_Index_free((FaissIndex *)flat);
    if (rc) {
        free(out.v);
        return rc;
    }
    *pairs = out.v;
    *n_pairs = out.n;
    return VLM_OK;
}
