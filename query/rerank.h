/*
 * rerank.h — reranking vector hits with the LLaVA decoder and captions.
 *
 * Each candidate can carry three signals:
 *   vector  — cosine of the query and image embeddings (always);
 *   decoder — log p(query phrase | image, prompt) / n_tokens, teacher-forced
 *             by the LLaVA decoder (when a decoder is given);
 *   caption — SQLite FTS5 bm25 of the query words against the stored caption
 *             (when the image has a matching caption).
 * The signals live on different scales, so they are fused by reciprocal
 * rank fusion (Cormack et al. 2009): fused = Σ 1 / (k + rank_signal), k = 60,
 * over the signals a candidate has, rank 1 = best among the candidates.
 * Captions made on the fly are stored, so the next rerank reuses them.
 */
#ifndef VLM_RERANK_H
#define VLM_RERANK_H

#include <stdbool.h>
#include <stdint.h>

#include "model/llava/llava.h"
#include "query/query_parse.h"
#include "query/search.h"
#include "schema/collection.h"
#include "session/session.h"

#define RERANK_RRF_K 60

typedef struct rerank_item {
    int64_t id;
    char *path;
    int width, height;
    char taken[20]; /* as search_hit */
    bool taken_exif;
    char camera[130];
    int offline; /* see search_hit */
    float vector_score;
    int vector_rank;
    int has_decoder;
    double decoder_score; /* length-normalised log-probability */
    int decoder_rank;
    int has_caption;
    double caption_bm25;
    int caption_rank;
    char *caption; /* stored/generated caption, or NULL */
    double fused;
} rerank_item;

typedef struct rerank_options {
    llava_model *decoder;     /* NULL: no decoder signal */
    const char *decoder_name; /* model name used to store captions */
    int make_captions;        /* generate + store missing captions */
    llava_gen_opts gen;       /* for generated captions */
} rerank_options;

/* Reranks hits[n] for `phrase`; *out (n items, best first) must be freed
 * with rerank_items_free. */
int rerank_run(collection *c, const char *phrase, const search_hit *hits, int n,
               const rerank_options *o, rerank_item **out, char *err);
void rerank_items_free(rerank_item *items, int n);

/* Appends to *hits (n of them) the images whose stored caption matches
 * `phrase` (best k by bm25) and are not there yet, with their exact vector
 * score against qv — so caption-only matches can enter the fused list. */
int rerank_add_caption_candidates(collection *c, const char *phrase,
                                  const float *qv, int dims, search_hit **hits,
                                  int *n, int k, char *err);

typedef struct rerank_request {
    int rerank;           /* rerank the top N vector hits with the decoder
                             (0 = no decoder signal) */
    int captions;         /* also let stored captions match as text */
    const char *reranker; /* decoder folder; NULL = the collection's
                             captioner */
} rerank_request;

/* The whole fused search of `vlmsearch --rerank N / --captions`: a wider
 * vector candidate list (N, or 3 x top_k), caption-only matches added when
 * asked, the decoder chosen and loaded (decoder_select.h), every candidate
 * scored and fused.  *out holds *n items, best first; the caller shows the
 * first so->top_k.  Free with rerank_items_free. */
int rerank_search(session *s, const query *q, const float *qv,
                  const search_options *so, const rerank_request *r,
                  rerank_item **out, int *n, char *err);

/* The components of one item as a JSON object (malloc'ed), for --explain. */
char *rerank_explain_json(const rerank_item *it);

#endif
