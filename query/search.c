#include "query/search.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "media/media_file.h"
#include "media/media_path.h"

int search_embed_image_file(clip_model *m, const char *path, float *out,
                            char *err)
{
    const img_prep_params *pp = clip_prep_params(m);
    img_rgb im = {0};
    int rc = media_load_file(path, NULL, &im, err);
    if (rc) return rc;
    size_t n = 3 * (size_t)pp->crop_w * (size_t)pp->crop_h;
    float *px = malloc(n * sizeof *px);
    rc = px ? img_preprocess(&im, pp, px, err) : VLM_ENOMEM;
    if (!rc) rc = clip_encode_images(m, px, 1, out, NULL, NULL, NULL, err);
    free(px);
    img_rgb_free(&im);
    return rc;
}

static double query_vector_norm(const float *v, int dims)
{
    double s = 0;
    for (int i = 0; i < dims; i++) s += (double)v[i] * v[i];
    return sqrt(s);
}

double search_weight_sum(const query *q)
{
    double s = 0;
    for (int i = 0; i < q->n_terms; i++) s += fabs(q->terms[i].weight);
    return s;
}

/* The terms are unit vectors: a sum far shorter than the sum of the
 * weights' sizes means they cancelled out, and the direction is noise. */
int search_finish_vector(float *acc, int dims, double weight_sum, char *err)
{
    if (query_vector_norm(acc, dims) < 1e-4 * weight_sum) {
        vlm_set_err(err, "the query vector is zero: the terms' weights cancel "
                         "out (or are 0)");
        return VLM_EINVAL;
    }
    clip_l2_normalize(acc, dims);
    return VLM_OK;
}

void search_add_vector(float *acc, float *v, float weight, int dims)
{
    clip_l2_normalize(v, dims);
    for (int i = 0; i < dims; i++) acc[i] += weight * v[i];
}

static int embed_term(const search_embedder *e, const query_term *t, float *v,
                      char *err)
{
    int dims = clip_embed_dim(e->m);
    switch (t->kind) {
    case QUERY_IMAGE: return search_embed_image_file(e->m, t->value, v, err);
    case QUERY_IMAGE_ID:
        if (!e->c) {
            vlm_set_err(err, "id:%s: image ids need a collection", t->value);
            return VLM_EINVAL;
        }
        return collection_get_embedding(e->c, strtoll(t->value, NULL, 10), v,
                                        dims, err);
    default:
        return e->text ? e->text(e->user, t->value, v, err)
                       : clip_encode_text(e->m, t->value, v, err);
    }
}

int search_add_terms(const search_embedder *e, const query *q, float *acc,
                     char *err)
{
    int dims = clip_embed_dim(e->m);
    float *v = malloc((size_t)dims * sizeof *v);
    if (!v) return VLM_ENOMEM;
    int rc = VLM_OK;
    for (int t = 0; !rc && t < q->n_terms; t++) {
        rc = embed_term(e, &q->terms[t], v, err);
        if (!rc) search_add_vector(acc, v, q->terms[t].weight, dims);
    }
    free(v);
    return rc;
}

int search_embed_query(clip_model *m, const query *q, float *out, char *err)
{
    search_embedder e = {.m = m};
    int dims = clip_embed_dim(m);
    memset(out, 0, (size_t)dims * sizeof *out);
    int rc = search_add_terms(&e, q, out, err);
    if (!rc) rc = search_finish_vector(out, dims, search_weight_sum(q), err);
    return rc;
}

static int resolve_hits(collection *c, const vector_hit *vh, int n,
                        const search_options *o, search_hit *out, int *n_out,
                        char *err)
{
    int k = 0, rc = VLM_OK;
    for (int i = 0; i < n && !rc; i++) {
        if (o->use_threshold && vh[i].score < o->min_score) break;
        out[k] = (search_hit){.id = vh[i].id, .score = vh[i].score};
        rc = search_hit_lookup(c, &out[k], err);
        if (rc == VLM_ENOTFOUND) /* deleted since the index was saved */
            rc = VLM_OK;
        else if (!rc)
            k++;
    }
    *n_out = k;
    return rc;
}

int search_run(collection *c, vector_index *vi, const float *qvec,
               const search_options *o, search_hit **hits, int *n_hits,
               char *err)
{
    int k = o->top_k > 0 ? o->top_k : 10;
    int64_t *subset = NULL;
    size_t n_subset = 0;
    *hits = NULL;
    *n_hits = 0;
    if (o->in_dir) {
        char *abs = media_abspath(o->in_dir);
        int rc = abs ? collection_ids_under(c, abs, &subset, &n_subset, err)
                     : VLM_ENOMEM;
        free(abs);
        if (rc || n_subset == 0) { /* nothing indexed under that folder */
            free(subset);
            return rc;
        }
    }
    vector_hit *vh = malloc((size_t)k * sizeof *vh);
    *hits = calloc((size_t)k, sizeof **hits);
    int n = 0, rc = vh && *hits ? VLM_OK : VLM_ENOMEM;
    if (!rc)
        rc = vector_index_search(vi, qvec, k, o->in_dir ? subset : NULL,
                                 n_subset, vh, &n, err);
    if (!rc) rc = resolve_hits(c, vh, n, o, *hits, n_hits, err);
    free(vh);
    free(subset);
    if (rc) {
        search_hits_free(*hits, *n_hits);
        *hits = NULL;
        *n_hits = 0;
    }
    return rc;
}

int search_hit_lookup(collection *c, search_hit *h, char *err)
{
    collection_brief b;
    int rc = collection_image_brief(c, h->id, &b, err);
    if (rc) return rc;
    h->width = b.width;
    h->height = b.height;
    memcpy(h->format, b.format, sizeof h->format);
    h->path = strdup(b.path);
    if (h->path) return VLM_OK;
    vlm_set_err(err, "out of memory");
    return VLM_ENOMEM;
}

void search_hits_free(search_hit *hits, int n)
{
    for (int i = 0; hits && i < n; i++) free(hits[i].path);
    free(hits);
}

typedef struct score_all {
    const float *q;
    int dims;
    int64_t *ids;
    float *scores;
    size_t n, cap;
} score_all;

static int score_chunk(void *ud, const int64_t *ids, const float *vecs,
                       size_t n)
{
    score_all *s = ud;
    if (s->n + n > s->cap) {
        size_t cap = (s->n + n) * 2;
        int64_t *ni = realloc(s->ids, cap * sizeof *ni);
        if (ni) s->ids = ni;
        float *nf = realloc(s->scores, cap * sizeof *nf);
        if (nf) s->scores = nf;
        if (!ni || !nf) return VLM_ENOMEM;
        s->cap = cap;
    }
    for (size_t i = 0; i < n; i++) {
        const float *v = vecs + i * (size_t)s->dims;
        float dot = 0;
        for (int j = 0; j < s->dims; j++) dot += v[j] * s->q[j];
        s->ids[s->n] = ids[i];
        s->scores[s->n++] = dot;
    }
    return VLM_OK;
}

int search_score_all(collection *c, const float *qvec, int dims, int64_t **ids,
                     float **scores, size_t *n, char *err)
{
    score_all s = {.q = qvec, .dims = dims};
    int rc = collection_for_each_embedding(c, 1024, score_chunk, &s, err);
    if (rc) {
        free(s.ids);
        free(s.scores);
        return rc;
    }
    *ids = s.ids;
    *scores = s.scores;
    *n = s.n;
    return VLM_OK;
}
