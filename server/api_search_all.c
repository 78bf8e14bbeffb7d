/*
 * api_search_all.c — /api/search?collection=all: one query over every
 * served collection (shards searched without merging them, as
 * `vlmsearch -C A -C B`).  A reader of each is taken, in collection order
 * so that two such requests never wait on each other in a cycle; the
 * query vector is made once; query/search.h's search_run_many merges the
 * per-collection top-k into the overall one.
 */
#include <stdlib.h>

#include "query/query_parse.h"
#include "server/api_search.h"

static bool has_id_terms(const query *q)
{
    for (int i = 0; q && i < q->n_terms; i++)
        if (q->terms[i].kind != QUERY_TEXT) return true;
    return false;
}

static void release_all(reader **rd, int n)
{
    for (int i = 0; i < n; i++) served_release(rd[i]);
}

/* One reader of every collection, or 0 readers after a 503 answer. */
static int take_readers(request *r, reader **rd)
{
    for (int i = 0; i < r->srv->n_colls; i++)
        if (!(rd[i] = req_reader(r, &r->srv->colls[i]))) {
            release_all(rd, i);
            return 0;
        }
    return r->srv->n_colls;
}

/* The collections with an index (an empty one, never bound to the model,
 * has none and nothing to find); hit.source becomes the collection. */
static int search_readers(reader **rd, int n, const search_req *s,
                          const query_vectors *qv, const float *upload,
                          const char *qtext, int64_t t0, char *err)
{
    session **sessions = malloc((size_t)n * sizeof *sessions);
    int *coll = malloc((size_t)n * sizeof *coll), ns = 0;
    int rc =
        sessions && coll ? reader_embed(rd[0], qv, upload, err) : VLM_ENOMEM;
    for (int i = 0; !rc && i < n; i++)
        if (session_index(rd[i]->s)) coll[ns] = i, sessions[ns++] = rd[i]->s;
    search_options so = search_req_options(s);
    search_hit *hits = NULL;
    int nh = 0;
    if (!rc && ns > 0)
        rc = search_run_many(sessions, ns, rd[0]->qv, &so, NULL, &hits, &nh,
                             err);
    for (int i = 0; !rc && i < nh; i++) hits[i].source = coll[hits[i].source];
    if (!rc)
        write_page(&rd[0]->out, s, qtext, hits, nh, session_model(rd[0]->s),
                   t0);
    search_hits_free(hits, rc ? 0 : nh);
    free(sessions), free(coll);
    return rc;
}

enum MHD_Result search_all(request *r, const search_req *s,
                           const query_vectors *qv, const float *upload,
                           const char *qtext, int64_t t0)
{
    if (has_id_terms(qv->q))
        return reply_error(r, 400,
                           "id:N names an image of one collection: search "
                           "that collection (collection=N), not all");
    reader **rd = calloc((size_t)r->srv->n_colls, sizeof *rd);
    if (!rd) return reply_error(r, 500, "out of memory");
    int n = take_readers(r, rd);
    enum MHD_Result ok = MHD_YES;
    if (n > 0) {
        char err[VLM_ERR_MAX] = "";
        int rc = search_readers(rd, n, s, qv, upload, qtext, t0, err);
        ok = rc ? reply_error(r, http_status_for(rc), "%s", err)
                : reply_json(r, 200, &rd[0]->out);
        release_all(rd, n);
    }
    free(rd);
    return ok;
}
