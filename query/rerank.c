#include "query/rerank.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media/media_file.h"
#include "query/captions.h"
#include "query/decoder_select.h"
#include "query/result_format.h"

/* Decoder signal (and, if asked, a caption) for one candidate. */
static int decode_item(llava_model *lm, const rerank_options *o, collection *c,
                       const char *phrase, rerank_item *it, char *err)
{
    img_rgb im = {0};
    int n_emb = llava_image_tokens(lm) * llava_text_dim(lm);
    float *emb = malloc((size_t)n_emb * sizeof *emb);
    int rc = emb ? media_load_file(it->path, NULL, &im, err) : VLM_ENOMEM;
    if (!rc) rc = llava_encode_image(lm, &im, emb, err);
    img_rgb_free(&im);
    llava_phrase_score sc = {0};
    if (!rc)
        rc = llava_score_phrases_embeds(lm, emb, NULL, &phrase, 1, &sc, err);
    if (!rc) {
        it->has_decoder = 1;
        it->decoder_score = sc.normalized;
    }
    llava_phrase_score_free(&sc);
    if (!rc && o->make_captions &&
        collection_get_caption(c, it->id, o->decoder_name, LLAVA_DEFAULT_PROMPT,
                               &it->caption, NULL)) {
        rc = llava_caption_embeds(lm, emb, NULL, &o->gen, &it->caption, err);
        if (!rc)
            rc = collection_put_caption(c, it->id, o->decoder_name,
                                        LLAVA_DEFAULT_PROMPT, it->caption, err);
    }
    free(emb);
    return rc;
}

/* Ranks (1 = best) among the items that have the signal. */
static void assign_ranks(rerank_item *it, int n, int which)
{
    for (int i = 0; i < n; i++) {
        int has = which == 0   ? 1
                  : which == 1 ? it[i].has_decoder
                               : it[i].has_caption;
        if (!has) continue;
        int r = 1;
        for (int j = 0; j < n; j++) {
            if (which == 0 && it[j].vector_score > it[i].vector_score)
                r++;
            else if (which == 1 && it[j].has_decoder &&
                     it[j].decoder_score > it[i].decoder_score)
                r++;
            else if (which == 2 && it[j].has_caption &&
                     it[j].caption_bm25 < it[i].caption_bm25)
                r++;
        }
        if (which == 0)
            it[i].vector_rank = r;
        else if (which == 1)
            it[i].decoder_rank = r;
        else
            it[i].caption_rank = r;
    }
}

static void fuse(rerank_item *it, int n)
{
    for (int w = 0; w < 3; w++) assign_ranks(it, n, w);
    for (int i = 0; i < n; i++) {
        it[i].fused = 1.0 / (RERANK_RRF_K + it[i].vector_rank);
        if (it[i].has_decoder)
            it[i].fused += 1.0 / (RERANK_RRF_K + it[i].decoder_rank);
        if (it[i].has_caption)
            it[i].fused += 1.0 / (RERANK_RRF_K + it[i].caption_rank);
    }
}

static int by_fused(const void *a, const void *b)
{
    double x = ((const rerank_item *)a)->fused,
           y = ((const rerank_item *)b)->fused;
    return (x < y) - (x > y);
}

static int add_caption_signal(collection *c, const char *phrase,
                              rerank_item *it, int n, char *err)
{
    collection_caption_match *m = NULL;
    int nm = 0;
    int rc = collection_match_captions(c, phrase, 100000, &m, &nm, err);
    for (int i = 0; !rc && i < nm; i++)
        for (int j = 0; j < n; j++)
            if (it[j].id == m[i].image_id) {
                it[j].has_caption = 1;
                it[j].caption_bm25 = m[i].bm25;
            }
    free(m);
    return rc;
}

int rerank_run(collection *c, const char *phrase, const search_hit *hits, int n,
               const rerank_options *o, rerank_item **out, char *err)
{
    rerank_item *it = calloc((size_t)(n > 0 ? n : 1), sizeof *it);
    if (!it) return VLM_ENOMEM;
    int rc = VLM_OK;
    for (int i = 0; i < n && !rc; i++) {
        it[i].id = hits[i].id;
        it[i].path = strdup(hits[i].path);
        it[i].width = hits[i].width;
        memcpy(it[i].taken, hits[i].taken, sizeof it[i].taken);
        it[i].taken_exif = hits[i].taken_exif;
        memcpy(it[i].camera, hits[i].camera, sizeof it[i].camera);
        it[i].height = hits[i].height;
        it[i].offline = hits[i].offline;
        it[i].vector_score = hits[i].score;
        if (o->decoder)
            rc = decode_item(o->decoder, o, c, phrase, &it[i], err);
        else if (o->decoder_name)
            collection_get_caption(c, it[i].id, o->decoder_name,
                                   LLAVA_DEFAULT_PROMPT, &it[i].caption, NULL);
    }
    if (!rc) rc = add_caption_signal(c, phrase, it, n, err);
    if (rc) {
        rerank_items_free(it, n);
        return rc;
    }
    fuse(it, n);
    qsort(it, (size_t)n, sizeof *it, by_fused);
    *out = it;
    return VLM_OK;
}

void rerank_items_free(rerank_item *items, int n)
{
    for (int i = 0; items && i < n; i++) {
        free(items[i].path);
        free(items[i].caption);
    }
    free(items);
}

char *rerank_explain_json(const rerank_item *it)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    fprintf(f,
            "{\"fused\":%.6f,\"rule\":\"rrf "
            "k=%d\",\"vector\":{\"score\":%.6f,\"rank\":%d}",
            it->fused, RERANK_RRF_K, it->vector_score, it->vector_rank);
    if (it->has_decoder)
        fprintf(f, ",\"decoder\":{\"logprob_per_token\":%.6f,\"rank\":%d}",
                it->decoder_score, it->decoder_rank);
    if (it->has_caption)
        fprintf(f, ",\"caption_match\":{\"bm25\":%.6f,\"rank\":%d}",
                it->caption_bm25, it->caption_rank);
    if (it->caption) {
        fputs(",\"caption\":", f);
        json_write_string(f, it->caption);
    }
    fputc('}', f);
    fclose(f);
    return buf;
}

static int has_id(const search_hit *h, int n, int64_t id)
{
    for (int j = 0; j < n; j++)
        if (h[j].id == id) return 1;
    return 0;
}

int rerank_add_caption_candidates(collection *c, const char *phrase,
                                  const float *qv, int dims, search_hit **hits,
                                  int *n, int k, char *err)
{
    collection_caption_match *m = NULL;
    int nm = 0;
    int rc = collection_match_captions(c, phrase, k, &m, &nm, err);
    search_hit *h =
        rc ? NULL : realloc(*hits, (size_t)(*n + nm + 1) * sizeof *h);
    float *e = malloc((size_t)dims * sizeof *e);
    if (h) *hits = h;
    for (int i = 0; h && e && i < nm; i++) {
        if (has_id(h, *n, m[i].image_id) ||
            collection_get_embedding(c, m[i].image_id, e, dims, NULL) != VLM_OK)
            continue;
        search_hit x = {.id = m[i].image_id};
        for (int d = 0; d < dims; d++) x.score += e[d] * qv[d];
        if (search_hit_lookup(c, &x, NULL) == VLM_OK) h[(*n)++] = x;
    }
    free(e);
    free(m);
    return rc ? rc : (h && e ? VLM_OK : VLM_ENOMEM);
}

/* Caption matches pass the search's --in, filters and exclusions too. */
static int keep_in_scope(collection *c, const search_options *so,
                         search_hit *hits, int *n, char *err)
{
    search_scope sc;
    int rc = search_scope_open(c, so, &sc, err), k = 0;
    for (int i = 0; !rc && i < *n; i++) {
        if (search_scope_allows(&sc, hits[i].id)) {
            hits[k++] = hits[i];
            continue;
        }
        free(hits[i].path);
    }
    if (!rc) *n = k;
    search_scope_close(&sc);
    return rc;
}

/* The vector candidates, plus caption-only matches when asked. */
static int candidates(session *s, const float *qv, const search_options *so,
                      const rerank_request *r, const char *phrase,
                      search_hit **hits, int *n, char *err)
{
    search_options wide = *so;
    wide.top_k = r->rerank > 0 ? r->rerank : 3 * so->top_k;
    int rc = search_run(session_collection(s), session_index(s), qv, &wide,
                        hits, n, err);
    if (!rc && r->captions)
        rc = rerank_add_caption_candidates(session_collection(s), phrase, qv,
                                           clip_embed_dim(session_model(s)),
                                           hits, n, 3 * so->top_k, err);
    if (!rc && r->captions)
        rc = keep_in_scope(session_collection(s), so, *hits, n, err);
    return rc;
}

int rerank_search(session *s, const query *q, const float *qv,
                  const search_options *so, const rerank_request *r,
                  rerank_item **out, int *n, char *err)
{
    char phrase[2048];
    query_phrase(q, phrase, sizeof phrase);
    search_hit *hits = NULL;
    query_decoder d;
    *out = NULL;
    *n = 0;
    int rc = decoder_for_rerank(s, r->reranker, r->rerank > 0, &d, err);
    if (!rc) rc = candidates(s, qv, so, r, phrase, &hits, n, err);
    rerank_options ro = {.decoder = d.model,
                         .make_captions = d.model != NULL,
                         .decoder_name = d.name[0] ? d.name : NULL,
                         .gen = llava_gen_opts_default()};
    ro.gen.max_tokens = 32;
    if (!rc)
        rc = rerank_run(session_collection(s), phrase, hits, *n, &ro, out, err);
    search_hits_free(hits, *n);
    if (rc) *n = 0;
    decoder_close(&d);
    return rc;
}
