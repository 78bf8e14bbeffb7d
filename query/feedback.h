/*
 * feedback.h — relevance feedback: "more like these, less like those",
 * without training anything (vlmsearch --more-like / --less-like, and the
 * web page's "relevant / not relevant" marks, which name images by id).
 *
 * Rocchio's rule on unit embeddings:
 *
 *     q' = a q + b mean(relevant) - g mean(not relevant),  normalised,
 *
 * with SMART's weights a = 1, b = 0.75, g = 0.15 (Manning, Raghavan and
 * Schütze, Introduction to Information Retrieval, 9.1.1): the marks move
 * the query towards what was liked, and only a little away from the
 * rest (negative examples are a weaker signal: what is wrong about them is
 * rarely all of them).  Without a query, q = 0 and the direction is the
 * liked images' mean, moved away from the disliked ones.  The marked
 * images themselves are left out of the results (search_options
 * exclude_ids): they are known already.
 */
#ifndef VLM_FEEDBACK_H
#define VLM_FEEDBACK_H

#include <stdint.h>

#include "model/clip/clip.h"
#include "schema/collection.h"

#define FEEDBACK_ALPHA 1.0
#define FEEDBACK_BETA  0.75
#define FEEDBACK_GAMMA 0.15
#define FEEDBACK_MAX   10000 /* examples on either side */

/* q: the normalised query vector or NULL; more/less: [n][dims] unit
 * embeddings.  out[dims] gets q' normalised.  VLM_EINVAL when there is
 * nothing to move towards (no query and no relevant example) or the
 * result is the zero vector. */
int feedback_apply(const float *q, const float *more, int n_more,
                   const float *less, int n_less, int dims, float *out,
                   char *err);

/* Stored embeddings of images by id into *out ([n][dims], malloc'ed);
 * VLM_ENOTFOUND naming an id that has none. */
int feedback_vectors_by_id(collection *c, const int64_t *ids, int n, int dims,
                           float **out, char *err);

/* Embeddings of image files into *out ([n][dims], malloc'ed): the stored
 * one when the file is indexed (ids[i] its id), else the file embedded
 * with m's vision tower (ids[i] = -1; m NULL: VLM_ENOTFOUND, "not
 * indexed"). */
int feedback_vectors_by_path(collection *c, clip_model *m,
                             const char *const *paths, int n, int dims,
                             float **out, int64_t *ids, char *err);

/* The whole step for callers that know ids (the server): q (NULL: none)
 * refined by the stored embeddings of more[] and less[] into out. */
int feedback_query_ids(collection *c, const float *q, const int64_t *more,
                       int n_more, const int64_t *less, int n_less, int dims,
                       float *out, char *err);

#endif
