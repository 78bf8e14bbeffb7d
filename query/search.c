#include "query/search.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "media/media_file.h"
#include "media/media_path.h"
#include "query/probe.h"
#include "query/query_fetch.h"
#include "session/session_roots.h"

/* Preprocesses and encodes one decoded image. */
static int embed_rgb(clip_model *m, const img_rgb *im, float *out, char *err)
{
    const img_prep_params *pp = clip_prep_params(m);
    size_t n = 3 * (size_t)pp->crop_w * (size_t)pp->crop_h;
    float *px = malloc(n * sizeof *px);
    int rc = px ? img_preprocess(im, pp, px, err) : VLM_ENOMEM;
    if (!rc) rc = clip_encode_images(m, px, 1, out, NULL, NULL, NULL, err);
    free(px);
    return rc;
}

int search_embed_image_file(clip_model *m, const char *path, float *out,
                            char *err)
{
    img_rgb im = {0};
    int rc = media_load_file(path, NULL, &im, err);
    if (!rc) rc = embed_rgb(m, &im, out, err);
    img_rgb_free(&im);
    return rc;
}

int search_embed_image_url(clip_model *m, const char *url, float *out,
                           char *err)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    media_image mi = {0};
    int rc = query_fetch_url(url, &bytes, &len, err);
    if (!rc) rc = media_decode(bytes, len, url, NULL, &mi, err);
    if (rc == VLM_EUNSUPPORTED && !err[0])
        vlm_set_err(err, "%s: not an image", url);
    if (!rc) rc = embed_rgb(m, &mi.rgb, out, err);
    media_image_free(&mi);
    free(bytes);
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
    case QUERY_URL: return search_embed_image_url(e->m, t->value, v, err);
    case QUERY_PROBE:
        return probe_term_vector(e->c, clip_model_id(e->m), t->value, v, dims,
                                 err);
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

int search_embed_query_in(collection *c, clip_model *m, const query *q,
                          float *out, char *err)
{
    search_embedder e = {.m = m, .c = c};
    int dims = clip_embed_dim(m);
    memset(out, 0, (size_t)dims * sizeof *out);
    int rc = search_add_terms(&e, q, out, err);
    if (!rc) rc = search_finish_vector(out, dims, search_weight_sum(q), err);
    return rc;
}

int search_embed_query(clip_model *m, const query *q, float *out, char *err)
{
    return search_embed_query_in(NULL, m, q, out, err);
}

/* The last root probed, so hits under one root probe it once. */
typedef struct root_memo {
    char *root;
    int offline;
} root_memo;

static int root_offline(collection *c, const char *root, root_memo *memo)
{
    if (root[0] != '/') return 0; /* a DICOMweb server, not a folder */
    if (memo && memo->root && !strcmp(memo->root, root)) return memo->offline;
    session_root_status st;
    int offline =
        session_root_probe(c, root, &st, NULL) == VLM_OK && st.offline;
    if (memo) {
        free(memo->root);
        memo->root = strdup(root);
        memo->offline = offline;
    }
    return offline;
}

static int lookup(collection *c, search_hit *h, root_memo *memo, char *err)
{
    collection_brief b;
    int rc = collection_image_brief(c, h->id, &b, err);
    if (rc) return rc;
    h->width = b.width;
    h->height = b.height;
    memcpy(h->format, b.format, sizeof h->format);
    memcpy(h->taken, b.taken, sizeof h->taken);
    h->taken_exif = b.taken_exif;
    memcpy(h->camera, b.camera, sizeof h->camera);
    h->path = strdup(b.path);
    char *root = strdup(b.root); /* b's strings end at the next lookup */
    if (root) h->offline = root_offline(c, root, memo);
    free(root);
    if (h->path && root) return VLM_OK;
    vlm_set_err(err, "out of memory");
    return VLM_ENOMEM;
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int search_scope_open(collection *c, const search_options *o, search_scope *s,
                      char *err)
{
    memset(s, 0, sizeof *s);
    s->o = o;
    if (!o->in_dir && !o->filter) return VLM_OK;
    collection_filter f = o->filter ? *o->filter : (collection_filter){0};
    char *abs = o->in_dir ? media_abspath(o->in_dir) : NULL;
    if (o->in_dir && !abs) return VLM_ENOMEM;
    f.prefix = abs;
    int rc = collection_ids_filtered(c, &f, &s->ids, &s->n, err);
    free(abs);
    s->restricted = 1; /* ids ascend (collection_ids_filtered) */
    return rc;
}

int search_scope_allows(const search_scope *s, int64_t id)
{
    for (int i = 0; i < s->o->n_exclude; i++)
        if (s->o->exclude_ids[i] == id) return 0;
    return !s->restricted ||
           (s->n && bsearch(&id, s->ids, s->n, sizeof *s->ids, cmp_id));
}

void search_scope_close(search_scope *s)
{
    free(s->ids);
    memset(s, 0, sizeof *s);
}

static int resolve_hits(collection *c, const vector_hit *vh, int n,
                        const search_scope *sc, search_hit *out, int *n_out,
                        char *err)
{
    const search_options *o = sc->o;
    int k = 0, rc = VLM_OK, top = o->top_k > 0 ? o->top_k : 10;
    root_memo memo = {0};
    for (int i = 0; i < n && !rc && k < top; i++) {
        if (o->use_threshold && vh[i].score < o->min_score) break;
        if (!search_scope_allows(sc, vh[i].id)) continue;
        out[k] = (search_hit){.id = vh[i].id, .score = vh[i].score};
        rc = lookup(c, &out[k], &memo, err);
        if (rc == VLM_ENOTFOUND) /* deleted since the index was saved */
            rc = VLM_OK;
        else if (!rc)
            k++;
    }
    free(memo.root);
    *n_out = k;
    return rc;
}

int search_prob_threshold(const clip_model *m, float p, float *min_score,
                          char *err)
{
    if (clip_model_scoring(m) != CLIP_SCORE_SIGMOID) {
        vlm_set_err(err,
                    "--prob needs a model whose scores are probabilities on "
                    "their own (sigmoid scoring, SigLIP); '%s' (%s) ranks by "
                    "cosine: use --threshold COSINE",
                    clip_model_name(m), clip_model_family(m));
        return VLM_EINVAL;
    }
    /* Inverts p = sigmoid(scale * cos + bias). */
    if (p <= 0)
        *min_score = -INFINITY;
    else if (p >= 1)
        *min_score = INFINITY;
    else
        *min_score =
            (logf(p / (1 - p)) - clip_logit_bias(m)) / clip_logit_scale(m);
    return VLM_OK;
}

int search_run(collection *c, vector_index *vi, const float *qvec,
               const search_options *o, search_hit **hits, int *n_hits,
               char *err)
{
    /* Room for the excluded ids, dropped afterwards. */
    int k = (o->top_k > 0 ? o->top_k : 10) + o->n_exclude;
    search_scope sc;
    *hits = NULL;
    *n_hits = 0;
    int rc = search_scope_open(c, o, &sc, err);
    if (rc || (sc.restricted && sc.n == 0)) { /* nothing passes */
        search_scope_close(&sc);
        return rc;
    }
    vector_hit *vh = malloc((size_t)k * sizeof *vh);
    *hits = calloc((size_t)k, sizeof **hits);
    int n = 0;
    rc = vh && *hits ? VLM_OK : VLM_ENOMEM;
    /* The subset goes into the search: the true top-k inside it. */
    if (!rc)
        rc = vector_index_search(vi, qvec, k, sc.restricted ? sc.ids : NULL,
                                 sc.n, vh, &n, err);
    if (!rc) rc = resolve_hits(c, vh, n, &sc, *hits, n_hits, err);
    free(vh);
    search_scope_close(&sc);
    if (rc) {
        search_hits_free(*hits, *n_hits);
        *hits = NULL;
        *n_hits = 0;
    }
    return rc;
}

int search_hit_lookup(collection *c, search_hit *h, char *err)
{
    return lookup(c, h, NULL, err);
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

int search_self_ids(collection *c, const query *q, int64_t **ids, int *n,
                    char *err)
{
    *ids = NULL;
    *n = 0;
    for (int t = 0; t < q->n_terms; t++) {
        const query_term *qt = &q->terms[t];
        char *url_path =
            qt->kind == QUERY_URL ? query_file_url_path(qt->value) : NULL;
        const char *p = qt->kind == QUERY_IMAGE ? qt->value : url_path;
        char *real = p ? realpath(p, NULL) : NULL;
        collection_image row;
        int rc =
            real ? collection_find_by_path(c, real, &row, err) : VLM_ENOTFOUND;
        free(real);
        free(url_path);
        if (rc == VLM_ENOTFOUND) continue;
        int64_t *grown =
            rc ? NULL : realloc(*ids, (size_t)(*n + 1) * sizeof *grown);
        if (!grown) {
            free(*ids);
            *ids = NULL, *n = 0;
            return rc ? rc : VLM_ENOMEM;
        }
        *ids = grown;
        grown[(*n)++] = row.id;
    }
    return VLM_OK;
}
