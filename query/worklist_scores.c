/* The per-image scores a worklist ranks studies by: a query's cosine or a
 * label's zero-shot probability. */
#include <stdlib.h>
#include <time.h>

#include "query/search.h"
#include "query/worklist.h"

int worklist_for_query(collection *c, const float *qvec, int dims,
                       const worklist_options *o, worklist_study **out,
                       int *n_out, char *err)
{
    int64_t *ids = NULL;
    float *scores = NULL;
    size_t n = 0;
    int rc = search_score_all(c, qvec, dims, &ids, &scores, &n, err);
    if (!rc) rc = worklist_build(c, ids, scores, n, o, out, n_out, err);
    free(ids);
    free(scores);
    return rc;
}

typedef struct label_scores {
    int label;
    int64_t *ids;
    float *scores;
    size_t n, cap;
} label_scores;

static int collect(void *user, const classify_row *r)
{
    label_scores *l = user;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 256;
        int64_t *ni = realloc(l->ids, cap * sizeof *ni);
        if (ni) l->ids = ni;
        float *nf = ni ? realloc(l->scores, cap * sizeof *nf) : NULL;
        if (!nf) return 1;
        l->scores = nf;
        l->cap = cap;
    }
    l->ids[l->n] = r->id;
    l->scores[l->n++] = r->probs[l->label];
    return 0;
}

int worklist_for_label(collection *c, const label_set *ls, int label,
                       const char *model_id, const char *in_dir, int store,
                       const worklist_options *o, worklist_study **out,
                       int *n_out, char *err)
{
    label_scores l = {.label = label};
    classify_options co = {.in_dir = in_dir,
                           .only = -1, /* every image, aggregated per study */
                           .store = store,
                           .on_row = collect,
                           .user = &l};
    int64_t reported = 0;
    int rc = classify_collection(c, ls, model_id, &co, &reported, err);
    if (!rc && (size_t)reported != l.n) {
        vlm_set_err(err, "worklist: out of memory");
        rc = VLM_ENOMEM;
    }
    if (!rc) rc = worklist_build(c, l.ids, l.scores, l.n, o, out, n_out, err);
    free(l.ids);
    free(l.scores);
    return rc;
}

void worklist_time_now(char buf[32])
{
    time_t t = time(NULL);
    struct tm tm;
    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
}
