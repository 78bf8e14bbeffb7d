/*
 * probe_search.c — ranking a collection by a probe, and "probe:NAME"
 * query terms (probe.h): both are the probe's weight direction searched
 * like a query vector.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/probe.h"

static int by_score_desc(const void *a, const void *b)
{
    float x = ((const search_hit *)a)->score,
          y = ((const search_hit *)b)->score;
    return (x < y) - (x > y);
}

/* Each hit's exact probability from its stored embedding (the vector
 * index may hold a compressed copy). */
static int rescore(collection *c, const collection_probe *p, int k,
                   search_hit *hits, int n, char *err)
{
    float *e = malloc((size_t)p->dims * sizeof *e);
    if (!e) return VLM_ENOMEM;
    int rc = VLM_OK;
    for (int i = 0; !rc && i < n; i++) {
        rc = collection_get_embedding(c, hits[i].id, e, p->dims, err);
        if (!rc) hits[i].score = (float)probe_rank_prob(p, k, e);
    }
    free(e);
    qsort(hits, (size_t)n, sizeof *hits, by_score_desc);
    return rc;
}

/* Drops the hits under the threshold (a probability here). */
static void apply_threshold(const search_options *o, search_hit *hits, int *n)
{
    if (!o->use_threshold) return;
    int keep = 0;
    while (keep < *n && hits[keep].score >= o->min_score) keep++;
    for (int i = keep; i < *n; i++) free(hits[i].path);
    *n = keep;
}

int probe_search(collection *c, vector_index *vi, const collection_probe *p,
                 int k, const search_options *o, search_hit **hits, int *n,
                 char *err)
{
    float *dir = malloc((size_t)p->dims * sizeof *dir);
    double scale, bias;
    *hits = NULL;
    *n = 0;
    if (!dir) return VLM_ENOMEM;
    probe_direction(p, k, dir, &scale, &bias);
    if (scale == 0) {
        vlm_set_err(err, "probe '%s' has zero weights: it ranks nothing",
                    p->name);
        free(dir);
        return VLM_EINVAL;
    }
    search_options so = *o;
    so.use_threshold = 0; /* o's threshold is a probability */
    int rc = search_run(c, vi, dir, &so, hits, n, err);
    if (!rc) rc = rescore(c, p, k, *hits, *n, err);
    if (!rc) apply_threshold(o, *hits, n);
    free(dir);
    if (rc) {
        search_hits_free(*hits, *n);
        *hits = NULL;
        *n = 0;
    }
    return rc;
}

int probe_term_vector(collection *c, const char *model_id, const char *term,
                      float *out, int dims, char *err)
{
    char name[COLLECTION_PROBE_NAME_MAX];
    const char *colon = strchr(term, ':');
    size_t len = colon ? (size_t)(colon - term) : strlen(term);
    if (!c || len >= sizeof name) {
        vlm_set_err(err, "probe:%s: %s", term,
                    c ? "the name is too long"
                      : "probe terms need a collection");
        return VLM_EINVAL;
    }
    snprintf(name, sizeof name, "%.*s", (int)len, term);
    int rc = probe_check_name(name, err);
    collection_probe p = {0};
    if (!rc) rc = probe_load(c, name, model_id, &p, err);
    int k = rc ? -1 : probe_class_index(&p, colon ? colon + 1 : NULL, err);
    if (!rc && k < 0) rc = VLM_EINVAL;
    if (!rc && p.dims != dims) {
        vlm_set_err(err, "probe '%s' has %d dimensions, the model %d", name,
                    p.dims, dims);
        rc = VLM_EMISMATCH;
    }
    double scale, bias;
    if (!rc) probe_direction(&p, k, out, &scale, &bias);
    if (!rc && scale == 0) {
        vlm_set_err(err, "probe '%s' has zero weights", name);
        rc = VLM_EINVAL;
    }
    collection_probe_free(&p);
    return rc;
}
