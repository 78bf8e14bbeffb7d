/* feedback.c — Rocchio relevance feedback on embeddings (feedback.h). */
#include "query/feedback.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "media/media_path.h"
#include "query/search.h"

/* acc += w * mean(rows) */
static void add_mean(double *acc, const float *rows, int n, int dims, double w)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < dims; j++)
            acc[j] += w / n * rows[(size_t)i * dims + j];
}

int feedback_apply(const float *q, const float *more, int n_more,
                   const float *less, int n_less, int dims, float *out,
                   char *err)
{
    if (!q && n_more <= 0) {
        vlm_set_err(err, "relevance feedback needs a query or relevant "
                         "examples: there is nothing to move towards");
        return VLM_EINVAL;
    }
    if (n_more > FEEDBACK_MAX || n_less > FEEDBACK_MAX) {
        vlm_set_err(err, "more than %d feedback examples", FEEDBACK_MAX);
        return VLM_EINVAL;
    }
    double *acc = calloc((size_t)dims, sizeof *acc), norm = 0;
    if (!acc) return VLM_ENOMEM;
    for (int j = 0; q && j < dims; j++) acc[j] = FEEDBACK_ALPHA * q[j];
    if (n_more > 0) add_mean(acc, more, n_more, dims, FEEDBACK_BETA);
    if (n_less > 0) add_mean(acc, less, n_less, dims, -FEEDBACK_GAMMA);
    for (int j = 0; j < dims; j++) norm += acc[j] * acc[j];
    norm = sqrt(norm);
    for (int j = 0; j < dims; j++)
        out[j] = norm > 0 ? (float)(acc[j] / norm) : 0;
    free(acc);
    if (norm > 1e-6) return VLM_OK;
    vlm_set_err(err, "the feedback cancels out: the query vector is zero");
    return VLM_EINVAL;
}

int feedback_vectors_by_id(collection *c, const int64_t *ids, int n, int dims,
                           float **out, char *err)
{
    *out = malloc((size_t)(n > 0 ? n : 1) * dims * sizeof **out);
    if (!*out) return VLM_ENOMEM;
    for (int i = 0; i < n; i++) {
        int rc = collection_get_embedding(c, ids[i], *out + (size_t)i * dims,
                                          dims, err);
        if (rc == VLM_ENOTFOUND)
            vlm_set_err(err, "image %lld has no stored embedding",
                        (long long)ids[i]);
        if (rc) {
            free(*out);
            *out = NULL;
            return rc;
        }
    }
    return VLM_OK;
}

/* One file: its stored embedding, or the vision tower's. */
static int path_vector(collection *c, clip_model *m, const char *path, float *v,
                       int dims, int64_t *id, char *err)
{
    char *abs = media_abspath(path);
    collection_image row;
    int rc = abs ? collection_find_by_path(c, abs, &row, NULL) : VLM_ENOMEM;
    *id = -1;
    if (!rc && row.has_embedding) {
        *id = row.id;
        rc = collection_get_embedding(c, row.id, v, dims, err);
    } else if (rc != VLM_ENOMEM && m) {
        rc = search_embed_image_file(m, path, v, err);
        if (!rc) clip_l2_normalize(v, dims);
    } else if (rc != VLM_ENOMEM) {
        vlm_set_err(err, "%s: not indexed", path);
        rc = VLM_ENOTFOUND;
    }
    free(abs);
    return rc;
}

int feedback_vectors_by_path(collection *c, clip_model *m,
                             const char *const *paths, int n, int dims,
                             float **out, int64_t *ids, char *err)
{
    *out = malloc((size_t)(n > 0 ? n : 1) * dims * sizeof **out);
    if (!*out) return VLM_ENOMEM;
    int rc = VLM_OK;
    for (int i = 0; !rc && i < n; i++)
        rc = path_vector(c, m, paths[i], *out + (size_t)i * dims, dims, &ids[i],
                         err);
    if (rc == VLM_ENOMEM) vlm_set_err(err, "out of memory");
    if (rc) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

int feedback_query_ids(collection *c, const float *q, const int64_t *more,
                       int n_more, const int64_t *less, int n_less, int dims,
                       float *out, char *err)
{
    float *mv = NULL, *lv = NULL;
    int rc = feedback_vectors_by_id(c, more, n_more, dims, &mv, err);
    if (!rc) rc = feedback_vectors_by_id(c, less, n_less, dims, &lv, err);
    if (!rc) rc = feedback_apply(q, mv, n_more, lv, n_less, dims, out, err);
    free(mv);
    free(lv);
    return rc;
}
