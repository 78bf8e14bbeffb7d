/*
 * search_many.c — one query over several collections of one model: each
 * one's top-k, merged.  The vectors are comparable (same model, all
 * L2-normalised), so the merged list is the top-k of their union, exactly
 * what one search of the merged collection returns.
 */
#include <stdlib.h>
#include <string.h>

#include "query/search.h"

static int by_score(const void *pa, const void *pb)
{
    const search_hit *a = pa, *b = pb;
    if (a->score != b->score) return a->score < b->score ? 1 : -1;
    if (a->source != b->source) return a->source < b->source ? -1 : 1;
    return (a->id > b->id) - (a->id < b->id);
}

/* Moves the hits of one session onto the end of *all. */
static int append(search_hit **all, int *n_all, search_hit *h, int n,
                  int source)
{
    search_hit *grown = realloc(*all, (size_t)(*n_all + n) * sizeof *grown);
    if (!grown && *n_all + n > 0) return VLM_ENOMEM;
    *all = grown;
    for (int i = 0; i < n; i++) {
        h[i].source = source;
        grown[(*n_all)++] = h[i];
    }
    free(h); /* the paths moved into *all */
    return VLM_OK;
}

/* One session's hits; its own copies of self's images left out. */
static int search_one(session *s, const float *qvec, const search_options *o,
                      const query *self, search_hit **h, int *nh, char *err)
{
    search_options so = *o;
    int64_t *ids = NULL;
    int rc = VLM_OK;
    if (self) {
        so.n_exclude = 0;
        rc = search_self_ids(session_collection(s), self, &ids, &so.n_exclude,
                             err);
        so.exclude_ids = ids;
    }
    if (!rc)
        rc = search_run(session_collection(s), session_index(s), qvec, &so, h,
                        nh, err);
    free(ids);
    return rc;
}

int search_run_many(session *const *sessions, int n, const float *qvec,
                    const search_options *o, const query *self,
                    search_hit **hits, int *n_hits, char *err)
{
    int k = o->top_k > 0 ? o->top_k : 10, rc = VLM_OK;
    search_hit *all = NULL;
    int n_all = 0;
    for (int i = 0; !rc && i < n; i++) {
        search_hit *h = NULL;
        int nh = 0;
        rc = search_one(sessions[i], qvec, o, self, &h, &nh, err);
        if (!rc && append(&all, &n_all, h, nh, i)) {
            search_hits_free(h, nh);
            vlm_set_err(err, "out of memory merging search results");
            rc = VLM_ENOMEM;
        }
    }
    if (rc) {
        search_hits_free(all, n_all);
        *hits = NULL;
        *n_hits = 0;
        return rc;
    }
    if (n_all > 0) qsort(all, (size_t)n_all, sizeof *all, by_score);
    for (int i = k; i < n_all; i++) free(all[i].path);
    *hits = all;
    *n_hits = n_all < k ? n_all : k;
    return VLM_OK;
}
