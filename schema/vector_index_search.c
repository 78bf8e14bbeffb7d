/*
 * vector_index_search.c — search: FAISS candidates (over-fetched for the
 * compressed kinds), re-scored from the embeddings in SQLite, checked, and
 * on a failed check the index caught up or rebuilt before answering.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <faiss/c_api/IndexFlat_c.h>
#include <faiss/c_api/IndexIVF_c.h>
#include <faiss/c_api/impl/AuxIndexStructures_c.h>

#include "schema/faiss_c_compat.h"
#include "schema/vector_index_internal.h"
#include "schema/vector_scan.h"

/* IVF with a subset probes more lists (up to all) so that about as many
 * selected vectors are scanned as without a filter. */
int vindex_search_nprobe(const vector_index *vi, const int64_t *subset,
                         size_t n_subset)
{
    FaissIndexIVF *ivf = faiss_IndexIVF_cast(vi->index);
    int nlist = ivf ? (int)faiss_IndexIVF_nlist(ivf) : 1;
    int base = nlist > 1 ? vi->info.nprobe : 1;
    double frac = subset ? (double)n_subset / (double)vi->info.ntotal : 1;
    double probes = ceil(base / (frac > 0 ? frac : 1e-9));
    return probes > nlist ? nlist : (int)probes;
}

/* Parameters for one search; *sel is owned by the caller afterwards. */
static int make_params(const vector_index *vi, const int64_t *subset,
                       size_t n_subset, FaissIDSelector **sel,
                       FaissSearchParameters **params, char *err)
{
    *sel = NULL;
    *params = NULL;
    if (subset) {
        FaissIDSelectorBatch *batch = NULL;
        if (faiss_IDSelectorBatch_new(&batch, n_subset, subset))
            return vindex_faiss_fail("IDSelectorBatch", err);
        *sel = (FaissIDSelector *)batch;
    }
    int frc;
    if (faiss_IndexIVF_cast(vi->index)) {
        size_t nprobe = (size_t)vindex_search_nprobe(vi, subset, n_subset);
        frc = faiss_SearchParametersIVF_new_with(
            (FaissSearchParametersIVF **)params, *sel, nprobe, 0);
    } else if (subset)
        frc = faiss_SearchParameters_new(params, *sel);
    else
        return VLM_OK; /* plain search */
    return frc ? vindex_faiss_fail("search parameters", err) : VLM_OK;
}

/* Up to kk (id, index score) candidates, best first. */
static int candidates(vector_index *vi, const float *query, int kk,
                      const int64_t *subset, size_t n_subset, int64_t *ids,
                      float *scores, int *n, char *err)
{
    FaissIDSelector *sel = NULL;
    FaissSearchParameters *params = NULL;
    int rc = make_params(vi, subset, n_subset, &sel, &params, err);
    if (rc == VLM_OK && faiss_Index_search_with_params(vi->index, 1, query, kk,
                                                       params, scores, ids))
        rc = vindex_faiss_fail("search", err);
    *n = 0;
    for (int i = 0; rc == VLM_OK && i < kk; i++)
        if (ids[i] >= 0) {
            ids[*n] = ids[i];
            scores[(*n)++] = scores[i];
        }
    if (params) faiss_SearchParameters_free(params);
    if (sel) faiss_IDSelector_free(sel);
    return rc;
}

static int by_score_desc(const void *a, const void *b)
{
    float x = ((const vector_hit *)a)->score,
          y = ((const vector_hit *)b)->score;
    return x < y ? 1 : x > y ? -1 : 0;
}

static int by_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* A healthy index never holds an id twice. */
static void check_unique(const int64_t *ids, int n, char *suspect, size_t ss)
{
    int64_t *s = malloc((size_t)n * sizeof *s);
    if (!s) return;
    memcpy(s, ids, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, by_id);
    for (int i = 1; i < n && !suspect[0]; i++)
        if (s[i] == s[i - 1])
            snprintf(suspect, ss, "id %lld listed twice", (long long)s[i]);
    free(s);
}

/* Checks one candidate against its stored embedding; says why if bad. */
static void check_one(int64_t id, float approx, float exact, bool found,
                      float tol, char *suspect, size_t ss)
{
    if (suspect[0]) return; /* keep the first reason */
    if (!isfinite(approx))
        snprintf(suspect, ss, "non-finite score for id %lld", (long long)id);
    else if (!found)
        snprintf(suspect, ss, "id %lld has no embedding in the database",
                 (long long)id);
    else if (!(fabsf(approx - exact) <= tol))
        snprintf(suspect, ss,
                 "id %lld scores %g in the index but %g from "
                 "its stored embedding",
                 (long long)id, approx, exact);
}

/* Exact scores from SQLite for n candidates, into out (best first). */
static int rescore(vector_index *vi, const float *query, const int64_t *ids,
                   const float *approx, int n, vector_hit *out, int *n_out,
                   char *suspect, size_t ss, char *err)
{
    int d = vi->dims;
    float *vecs = malloc((size_t)n * d * sizeof *vecs);
    bool *found = malloc((size_t)n * sizeof *found);
    int rc = vecs && found ? collection_get_embeddings(vi->c, ids, (size_t)n,
                                                       vecs, d, found, err)
                           : VLM_ENOMEM;
    float tol = vindex_score_tolerance(vi->kind);
    *n_out = 0;
    for (int i = 0; rc == VLM_OK && i < n; i++) {
        float exact = 0;
        if (found[i]) vscan_dot_f32(query, vecs + (size_t)i * d, 1, d, &exact);
        check_one(ids[i], approx[i], exact, found[i], tol, suspect, ss);
        if (found[i]) out[(*n_out)++] = (vector_hit){ids[i], exact};
    }
    if (rc == VLM_ENOMEM)
        vlm_set_err(err, "out of memory re-scoring %d hits", n);
    free(vecs), free(found);
    qsort(out, (size_t)*n_out, sizeof *out, by_score_desc);
    return rc;
}

void vindex_drop_map(vector_index *vi)
{
    vindex_mapping_free(vi->map);
    vi->map = NULL;
}

/* The lists the search will probe: the same kernel and top-k as the
 * scan behind faiss_Index_search (faiss_c_scan.cpp), so the same lists. */
static int probed_lists(vector_index *vi, const float *q, int nprobe,
                        int64_t *lists, char *err)
{
    FaissIndexIVF *ivf = faiss_IndexIVF_cast(vi->index);
    FaissIndexFlat *flat =
        ivf ? faiss_IndexFlat_cast(faiss_IndexIVF_quantizer(ivf)) : NULL;
    size_t nlist = ivf ? faiss_IndexIVF_nlist(ivf) : 0, n = 0;
    float *xb = NULL, *scores = malloc((nlist + 1) * sizeof *scores),
          *top = malloc((size_t)nprobe * sizeof *top);
    if (flat) faiss_IndexFlat_xb(flat, &xb, &n);
    int rc = scores && top ? VLM_OK : VLM_ENOMEM;
    if (rc == VLM_OK && (!xb || n != nlist * (size_t)vi->dims)) {
        vlm_set_err(err, "%s: unexpected quantizer", vi->path);
        rc = VLM_EFORMAT;
    }
    if (rc == VLM_OK) {
        vscan_dot_f32(q, xb, nlist, (size_t)vi->dims, scores);
        vscan_topk t;
        vscan_topk_init(&t, top, lists, nprobe);
        for (size_t l = 0; l < nlist; l++)
            vscan_topk_push(&t, scores[l], (int64_t)l);
        for (int i = vscan_topk_finish(&t); i < nprobe; i++) lists[i] = -1;
    }
    if (rc == VLM_ENOMEM)
        vlm_set_err(err, "out of memory for %d probes", nprobe);
    free(scores), free(top);
    return rc;
}

/* Mapped lists are checked against their hashes before FAISS reads them
 * (each once per load; a one-shot search checks what it probes). */
static int check_probed(vector_index *vi, const float *q, const int64_t *subset,
                        size_t n_subset, char *suspect, size_t ss, char *err)
{
    if (!vi->map) return VLM_OK;
    int nprobe = vindex_search_nprobe(vi, subset, n_subset);
    int64_t *lists = malloc((size_t)nprobe * sizeof *lists);
    if (!lists) {
        vlm_set_err(err, "out of memory for %d probes", nprobe);
        return VLM_ENOMEM;
    }
    int rc = nprobe == 1 && vi->map->layout.nlist == 1
                 ? (lists[0] = 0, VLM_OK)
                 : probed_lists(vi, q, nprobe, lists, err);
    for (int i = 0; rc == VLM_OK && i < nprobe && !suspect[0]; i++)
        if (lists[i] >= 0)
            vindex_mapping_check_list(vi->map, (uint64_t)lists[i], suspect, ss);
    free(lists);
    return rc;
}

int vindex_search_checked(vector_index *vi, const float *query, int k,
                          const int64_t *subset, size_t n_subset,
                          vector_hit *hits, int *n_hits, char *suspect,
                          size_t ss, char *err)
{
    *n_hits = 0;
    int64_t kk64 = (int64_t)k * vindex_refine_factor(vi, vi->kind);
    int kk = kk64 > vi->info.ntotal ? (int)vi->info.ntotal : (int)kk64;
    if (kk < k) kk = k;
    int64_t *ids = malloc((size_t)kk * sizeof *ids);
    float *scores = malloc((size_t)kk * sizeof *scores);
    vector_hit *all = malloc((size_t)kk * sizeof *all);
    int n = 0, m = 0;
    int rc = ids && scores && all ? VLM_OK : VLM_ENOMEM;
    if (rc == VLM_ENOMEM) vlm_set_err(err, "out of memory for %d results", kk);
    if (rc == VLM_OK)
        rc = check_probed(vi, query, subset, n_subset, suspect, ss, err);
    if (suspect[0]) kk = 0; /* a damaged list: do not search it */
    if (rc == VLM_OK && kk > 0)
        rc = candidates(vi, query, kk, subset, n_subset, ids, scores, &n, err);
    if (rc == VLM_OK) check_unique(ids, n, suspect, ss);
    if (rc == VLM_OK)
        rc = rescore(vi, query, ids, scores, n, all, &m, suspect, ss, err);
    *n_hits = m < k ? m : k;
    if (rc == VLM_OK) memcpy(hits, all, (size_t)*n_hits * sizeof *hits);
    free(ids), free(scores), free(all);
    return rc;
}

/* A result failed its check.  If SQLite moved on since the last sync, a
 * concurrent writer explains it: catch up.  Otherwise the index is
 * damaged: rebuild it from SQLite (and save it, best effort). */
static int recover(vector_index *vi, const char *suspect, bool *rebuilt,
                   char *err)
{
    int64_t gen = 0;
    int rc = collection_generation(vi->c, &gen, err);
    if (rc != VLM_OK) return rc;
    if (gen != vi->info.generation) return vector_index_sync(vi, err);
    snprintf(vi->info.rebuild_reason, sizeof vi->info.rebuild_reason,
             "corrupt: search found %s", suspect);
    rc = vector_index_rebuild(vi, err);
    *rebuilt = true;
    if (rc == VLM_OK && vi->opt.save_after_rebuild) {
        char ignored[VLM_ERR_MAX]; /* read-only folder: answer anyway */
        vector_index_save(vi, ignored);
    }
    return rc;
}

int vector_index_search(vector_index *vi, const float *query, int k,
                        const int64_t *subset, size_t n_subset,
                        vector_hit *hits, int *n_hits, char *err)
{
    *n_hits = 0;
    bool rebuilt = false;
    for (int attempt = 0;; attempt++) {
        if (k <= 0 || !vi->index || vi->info.ntotal == 0 ||
            (subset && n_subset == 0))
            return VLM_OK;
        char suspect[VLM_ERR_MAX / 2] = "";
        int rc = vindex_search_checked(vi, query, k, subset, n_subset, hits,
                                       n_hits, suspect, sizeof suspect, err);
        if (rc != VLM_OK || !suspect[0]) return rc;
        *n_hits = 0;
        if (rebuilt || attempt >= 3) {
            vlm_set_err(err,
                        "%s: results fail their check even after a "
                        "rebuild from the database: %s",
                        vi->path, suspect);
            return VLM_EFORMAT;
        }
        rc = recover(vi, suspect, &rebuilt, err);
        if (rc != VLM_OK) return rc;
    }
}
