/* query/rerank.h without a decoder: stored captions as a second signal,
 * reciprocal rank fusion arithmetic and order, caption-only candidates,
 * --explain JSON; and which reranker decoder_select.h picks. */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/decoder_select.h"
#include "query/rerank.h"
#include "tests/schema/schema_test_util.h"

#define DIMS 8

static char *dir;
static collection *c;
static int64_t ids[6];
static float *vecs;
static char err[VLM_ERR_MAX];

static void setup(void)
{
    dir = scratch_dir();
    c = open_test_collection(dir, DIMS);
    vecs = random_unit_vectors(6, DIMS, 5);
    add_test_images(c, "/r", vecs, 6, DIMS, ids);
    const char *text[6] = {"a red car",  NULL, "a red red boat",
                           "a blue car", NULL, "red"};
    for (int i = 0; i < 6; i++)
        if (text[i])
            cr_assert_eq(collection_put_caption(c, ids[i], "llava-x",
                                                LLAVA_DEFAULT_PROMPT, text[i],
                                                err),
                         VLM_OK, "%s", err);
}

static void teardown(void)
{
    collection_close(c);
    free(vecs);
    scratch_remove(dir);
}

TestSuite(rerank, .init = setup, .fini = teardown);

static search_hit hit(int i, float score)
{
    char path[32];
    snprintf(path, sizeof path, "/r/img%d.jpg", i);
    return (search_hit){.id = ids[i], .score = score, .path = strdup(path)};
}

Test(rerank, captions_fuse_by_reciprocal_rank)
{
    search_hit h[4] = {hit(0, .9f), hit(1, .8f), hit(2, .7f), hit(3, .6f)};
    rerank_options o = {.decoder_name = "llava-x"};
    rerank_item *it;
    cr_assert_eq(rerank_run(c, "red", h, 4, &o, &it, err), VLM_OK, "%s", err);
    /* vector ranks 1..4; "red" matches the captions of 0 and 2, and 2's
     * (two reds) better: caption ranks 2 -> 1, 0 -> 2 */
    cr_assert_eq(it[0].id, ids[0]);
    cr_assert_eq(it[0].caption_rank, 2);
    cr_assert_float_eq(it[0].fused, 1.0 / 61 + 1.0 / 62, 1e-12);
    cr_assert_eq(it[1].id, ids[2], "two signals beat a better vector rank");
    cr_assert_eq(it[1].caption_rank, 1);
    cr_assert_float_eq(it[1].fused, 1.0 / 63 + 1.0 / 61, 1e-12);
    cr_assert_eq(it[2].id, ids[1]);
    cr_assert_float_eq(it[2].fused, 1.0 / 62, 1e-12);
    cr_assert_not(it[2].has_caption);
    cr_assert_str_eq(it[3].caption, "a blue car", "stored captions shown");
    char *ex = rerank_explain_json(&it[1]);
    json_object *j = json_tokener_parse(ex), *v;
    cr_assert_not_null(j, "%s", ex);
    cr_assert(json_object_object_get_ex(j, "caption_match", &v));
    cr_assert(json_object_object_get_ex(j, "caption", &v));
    cr_assert_str_eq(json_object_get_string(v), "a red red boat");
    cr_assert_not(json_object_object_get_ex(j, "decoder", &v));
    json_object_put(j);
    free(ex);
    rerank_items_free(it, 4);
    for (int i = 0; i < 4; i++) free(h[i].path);
}

Test(rerank, caption_matches_join_the_candidates)
{
    search_hit *h = calloc(1, sizeof *h);
    h[0] = hit(0, .5f);
    int n = 1;
    const float *q = vecs + 5 * DIMS;
    cr_assert_eq(
        rerank_add_caption_candidates(c, "red", q, DIMS, &h, &n, 10, err),
        VLM_OK, "%s", err);
    cr_assert_eq(n, 3, "images 2 and 5 join; 0 is there already");
    for (int i = 1; i < n; i++) {
        int k = h[i].id == ids[2] ? 2 : 5;
        cr_assert_eq(h[i].id, ids[k]);
        float dot = 0;
        for (int d = 0; d < DIMS; d++) dot += q[d] * vecs[k * DIMS + d];
        cr_assert_float_eq(h[i].score, dot, 1e-5, "the exact vector score");
        cr_assert_not_null(strstr(h[i].path, "/r/img"));
    }
    search_hits_free(h, n);
}

/* A session on this collection, without a model. */
static session *open_session(void)
{
    session_config cfg = session_config_default();
    cfg.collection = dir;
    session *s;
    cr_assert_eq(session_open(&cfg, &s, err), VLM_OK, "%s", err);
    return s;
}

Test(rerank, the_reranker_is_the_flag_or_the_collections_captioner)
{
    session *s = open_session();
    query_decoder d;
    cr_assert_eq(decoder_for_rerank(s, NULL, true, &d, err), VLM_ENOTFOUND);
    cr_assert(strstr(err, "--reranker DIR"), "%s", err);
    cr_assert_eq(decoder_for_rerank(s, NULL, false, &d, err), VLM_OK);
    cr_assert_str_eq(d.name, "", "no captioner: no stored captions to read");
    cr_assert_eq(collection_meta_set(session_collection(s), "captioner_dir",
                                     "/models/llava-x", err),
                 VLM_OK);
    cr_assert_eq(decoder_for_rerank(s, NULL, false, &d, err), VLM_OK);
    cr_assert_str_eq(d.name, "llava-x");
    cr_assert_null(d.model, "not loaded when only the name is needed");
    cr_assert_neq(decoder_for_rerank(s, "/no/such/llava", true, &d, err),
                  VLM_OK);
    cr_assert(strstr(err, "/no/such/llava"), "%s", err);
    decoder_close(&d);
    session_close(s);
}
