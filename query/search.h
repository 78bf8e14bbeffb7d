/*
 * search.h — text/image queries against a collection.
 *
 * The query vector is the weighted sum of the terms' L2-normalised
 * embeddings (negative weights subtract), normalised again — rclip's rule.
 * `--in DIR` and the metadata filters (filters.h) become an id subset applied
 * inside the vector search, so the top-k is the true top-k of that subset,
 * not a filtered short list.
 */
#ifndef VLM_SEARCH_H
#define VLM_SEARCH_H

#include <stdbool.h>
#include <stdint.h>

#include "model/clip/clip.h"
#include "query/query_parse.h"
#include "schema/collection.h"
#include "schema/vector_index.h"
#include "session/session.h"

/* Embeds every term and combines them into out[clip_embed_dim(m)].
 * Image terms need a model loaded with CLIP_PART_VISION; image-id terms
 * are refused (they need a collection: search_add_terms).  VLM_EINVAL
 * ("the query vector is zero") when the weighted terms cancel out. */
int search_embed_query(clip_model *m, const query *q, float *out, char *err);

/* Where search_add_terms gets each term's vector. */
typedef struct search_embedder {
    clip_model *m;
    collection *c; /* QUERY_IMAGE_ID terms read its stored embeddings */
    /* Text terms: called instead of clip_encode_text when set (a cache of
     * recent query vectors, a lock around the shared model). */
    int (*text)(void *user, const char *text, float *out, char *err);
    void *user;
} search_embedder;

/* acc[dims] += weight * v / |v| (v is normalised in place): how each term
 * enters a query vector. */
void search_add_vector(float *acc, float *v, float weight, int dims);

/* Adds every term of q to acc (search_add_vector); acc is neither zeroed
 * nor normalised, so a caller can add terms of its own (an uploaded
 * image) before search_finish_vector. */
int search_add_terms(const search_embedder *e, const query *q, float *acc,
                     char *err);

/* The sum of the sizes of q's weights (what a sum of unit terms can
 * reach at most). */
double search_weight_sum(const query *q);

/* Normalises acc, a sum of unit terms whose weights' sizes add up to
 * weight_sum; VLM_EINVAL ("the query vector is zero") when they cancelled
 * out, and the direction would be noise. */
int search_finish_vector(float *acc, int dims, double weight_sum, char *err);

/* The same with "probe:NAME" and "id:N" terms (query_parse.h) read from
 * collection c (probe.h: the probe's unit weight direction; refused when
 * it was trained under another model than m). */
int search_embed_query_in(collection *c, clip_model *m, const query *q,
                          float *out, char *err);

/* Embeds one image file the way the indexer does (exact decode). */
int search_embed_image_file(clip_model *m, const char *path, float *out,
                            char *err);
/* The same for an image at a URL (query_fetch.h). */
int search_embed_image_url(clip_model *m, const char *url, float *out,
                           char *err);

typedef struct search_options {
    int top_k;         /* default 10 */
    int use_threshold; /* apply min_score */
    float min_score;
    const char *in_dir; /* restrict to this subtree (NULL = all) */
    /* Never returned: the query's own images (search_self_ids), relevance
     * feedback's examples (feedback.h); ids in any order. */
    const int64_t *exclude_ids;
    int n_exclude;
    /* Metadata filters (its prefix is ignored: in_dir says that), applied
     * inside the vector search like in_dir. */
    const collection_filter *filter;
} search_options;

/* The ids a search may return: in_dir and the filter as a sorted subset,
 * minus the excluded ids.  Rerankers use it for candidates found another
 * way (caption matches). */
typedef struct search_scope {
    const search_options *o;
    int restricted; /* ids is the subset (else every id passes) */
    int64_t *ids;
    size_t n;
} search_scope;

int search_scope_open(collection *c, const search_options *o, search_scope *s,
                      char *err);
int search_scope_allows(const search_scope *s, int64_t id);
void search_scope_close(search_scope *s);

/* The ids of the query's image terms that are in the collection (the same
 * file, by real path; file:// URLs too), so a query image does not find
 * itself, as in rclip.  *ids is malloc'ed (NULL when none). */
int search_self_ids(collection *c, const query *q, int64_t **ids, int *n,
                    char *err);

typedef struct search_hit {
    int64_t id;
    float score;
    char *path;
    int width, height;
    char format[16]; /* "jpeg", "dicom", ... */
    char taken[20];  /* collection_brief: the date taken ("" unknown) */
    bool taken_exif;
    char camera[130];
    int offline; /* its root is offline now (session_roots.h): the file
                    cannot be reached, the row is kept */
    int source; /* search_run_many: which session (0 for search_run) */
} search_hit;

/* The cosine at which the model's pair probability (clip_pair_probability)
 * reaches p, so a threshold can be given as a probability: p <= 0 lets
 * every hit through, p >= 1 none.  VLM_EINVAL, naming the model, when its
 * scoring is not sigmoid: a softmax model's single score is no
 * probability. */
int search_prob_threshold(const clip_model *m, float p, float *min_score,
                          char *err);

/* Top-k hits for a normalised query vector.  *hits is malloc'ed; free with
 * search_hits_free. */
int search_run(collection *c, vector_index *vi, const float *qvec,
               const search_options *o, search_hit **hits, int *n_hits,
               char *err);
void search_hits_free(search_hit *hits, int n);

/* One search over several collections of one model (shards searched
 * without merging them; see session_open_also): each session's top-k
 * (o applies to each: --in, threshold, filters), merged into the overall
 * top-k, best first (equal scores: lower session index, then lower id).
 * The sessions are searched side by side, a thread each up to the cores:
 * no other thread may use them meanwhile.
 * Each hit's `source` says which session it came from.  self: when not
 * NULL, each collection leaves out its own copies of self's image terms
 * (search_self_ids; o->exclude_ids is ignored then, since ids belong to
 * one collection).  *hits is malloc'ed; free with search_hits_free. */
int search_run_many(session *const *sessions, int n, const float *qvec,
                    const search_options *o, const query *self,
                    search_hit **hits, int *n_hits, char *err);

/* Fills h->path, size, format, date, camera and offline of image h->id;
 * VLM_ENOTFOUND if gone. */
int search_hit_lookup(collection *c, search_hit *h, char *err);

/* Cosine score of every embedded image against qvec (for worklists, which
 * aggregate all slices).  *ids and *scores are malloc'ed. */
int search_score_all(collection *c, const float *qvec, int dims, int64_t **ids,
                     float **scores, size_t *n, char *err);

#endif
