/*
 * api_search.h — what /api/search shares with its fan-out over every
 * served collection (api_search_all.c): the parsed request and the page
 * of results written from hits.
 */
#ifndef VLM_API_SEARCH_H
#define VLM_API_SEARCH_H

#include "query/search.h"
#include "server/server_internal.h"

/* search_req.collection for collection=all. */
#define SEARCH_ALL_COLLECTIONS (-1)

typedef struct search_req {
    const char *q; /* may be NULL (an upload alone) */
    const char *in;
    int n, offset;
    int collection; /* an index, or SEARCH_ALL_COLLECTIONS */
    req_filter_text filter_text;
    req_filter filter; /* filter_text checked (check_req) */
} search_req;

/* The search_options of a checked request (top_k = offset + n). */
search_options search_req_options(const search_req *s);

/* One result row; coll >= 0 adds "collection": coll.  m (may be NULL)
 * adds "prob" when its scoring is sigmoid. */
void write_hit(json_buf *b, const search_hit *h, const clip_model *m, int coll);

/* The answer: hits[offset..n) of the top offset + n, each tagged with its
 * collection (hit.source) when s->collection is SEARCH_ALL_COLLECTIONS. */
void write_page(json_buf *b, const search_req *s, const char *qtext,
                const search_hit *hits, int n, const clip_model *m, int64_t t0);

/* collection=all: the query over every served collection (one model, so
 * their scores compare), merged into one top offset + n.  Answers the
 * request (also on error) and returns what the access handler returns.
 * qv: the encoded text terms (id:N terms are refused: an id names an image
 * of one collection); upload: an image's vector or NULL. */
enum MHD_Result search_all(request *r, const search_req *s,
                           const query_vectors *qv, const float *upload,
                           const char *qtext, int64_t t0);

#endif
