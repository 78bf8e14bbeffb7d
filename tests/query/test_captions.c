/* query/captions.h and decoder_select.h with the tiny LLaVA fixture:
 * the captioner is recorded in the collection, captions are stored and a
 * second run resumes, --redo, --in, a vanished file fails alone, and a
 * decoder rerank makes and stores missing captions. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "query/captions.h"
#include "query/decoder_select.h"
#include "query/rerank.h"
#include "tests/common/test_workspace.h"
#include "tests/schema/schema_test_util.h"

static test_ws ws;
static char llava[700], sub[700];
static session *s;
static int64_t ids[4];
static char err[VLM_ERR_MAX];

/* Four photo rows (two under sub/), and a session with --model = LLaVA. */
static void setup(void)
{
    test_ws_init(&ws, "clip-tiny-quickgelu-f32");
    snprintf(llava, sizeof llava, "%s/llava-tiny-llama", ws.fixtures);
    snprintf(sub, sizeof sub, "%s/sub", ws.photos);
    cr_assert_eq(test_sh("mkdir '%s' && cd '%s' && mv cat.jpg bee.jpg sub/",
                         sub, ws.photos),
                 0);
    collection *c = open_test_collection(ws.coll, 4);
    const char *paths[4] = {"sub/cat.jpg", "sub/bee.jpg", "tree.webp",
                            "books.jpg"};
    float v[4] = {1, 0, 0, 0};
    for (int i = 0; i < 4; i++) {
        char p[800];
        snprintf(p, sizeof p, "%s/%s", ws.photos, paths[i]);
        collection_image_info info = {.path = p};
        cr_assert_eq(collection_put_image(c, &info, v, 4, &ids[i], err), VLM_OK,
                     "%s", err);
    }
    collection_close(c);
    session_config cfg = session_config_default();
    cfg.collection = ws.coll;
    cfg.model = llava;
    cfg.threads = 1;
    cr_assert_eq(session_open(&cfg, &s, err), VLM_OK, "%s", err);
}

static void teardown(void)
{
    session_close(s);
    test_ws_cleanup(&ws);
}

TestSuite(captions, .init = setup, .fini = teardown, .timeout = 120);

static captions_summary run(query_decoder *d, const captions_options *o)
{
    captions_summary sum;
    cr_assert_eq(
        captions_run(session_collection(s), d->model, d->name, o, &sum, err),
        VLM_OK, "%s", err);
    return sum;
}

Test(captions, stored_resumed_redone_and_recorded)
{
    query_decoder d;
    cr_assert_eq(decoder_for_captions(s, &d, err), VLM_OK, "%s", err);
    cr_assert_str_eq(d.name, "llava-tiny-llama");
    char rec[800], real[4096];
    cr_assert_eq(collection_meta_get(session_collection(s), "captioner_dir",
                                     rec, sizeof rec, err),
                 VLM_OK);
    cr_assert_not_null(realpath(llava, real));
    cr_assert_str_eq(rec, real);
    captions_options o = {.in_dir = sub, .gen = llava_gen_opts_default()};
    o.gen.max_tokens = 4;
    captions_summary sum = run(&d, &o);
    cr_assert_eq(sum.captioned, 2, "--in sub/ only");
    char *text;
    cr_assert_eq(collection_get_caption(session_collection(s), ids[0], d.name,
                                        LLAVA_DEFAULT_PROMPT, &text, err),
                 VLM_OK, "%s", err);
    free(text);
    sum = run(&d, &o);
    cr_assert_eq(sum.captioned, 0);
    cr_assert_eq(sum.skipped, 2, "a second run resumes");
    o.redo = 1;
    cr_assert_eq(run(&d, &o).captioned, 2);
    decoder_close(&d);
}

static int failures;
static void on_failure(void *user, const char *path, const char *reason)
{
    (void)user;
    cr_assert(strstr(path, "books.jpg"), "%s", path);
    cr_assert(strstr(reason, "books.jpg"), "%s", reason);
    failures++;
}

Test(captions, a_vanished_file_fails_alone)
{
    query_decoder d;
    cr_assert_eq(decoder_for_captions(s, &d, err), VLM_OK, "%s", err);
    cr_assert_eq(test_sh("rm '%s/books.jpg'", ws.photos), 0);
    captions_options o = {.gen = llava_gen_opts_default(),
                          .on_failure = on_failure};
    o.gen.max_tokens = 2;
    failures = 0;
    captions_summary sum = run(&d, &o);
    cr_assert_eq(sum.failed, 1);
    cr_assert_eq(failures, 1);
    cr_assert_eq(sum.captioned, 3);
    decoder_close(&d);
}

Test(captions, a_decoder_rerank_makes_and_stores_captions)
{
    query_decoder d;
    cr_assert_eq(decoder_for_captions(s, &d, err), VLM_OK, "%s", err);
    search_hit h[2] = {{.id = ids[0], .score = .5f},
                       {.id = ids[2], .score = .4f}};
    for (int i = 0; i < 2; i++)
        cr_assert_eq(search_hit_lookup(session_collection(s), &h[i], err),
                     VLM_OK);
    rerank_options o = {.decoder = d.model,
                        .decoder_name = d.name,
                        .make_captions = 1,
                        .gen = llava_gen_opts_default()};
    o.gen.max_tokens = 3;
    rerank_item *it;
    cr_assert_eq(rerank_run(session_collection(s), "a cat", h, 2, &o, &it, err),
                 VLM_OK, "%s", err);
    for (int i = 0; i < 2; i++) {
        cr_assert(it[i].has_decoder);
        cr_assert_lt(it[i].decoder_score, 0, "a log-probability");
        cr_assert_not_null(it[i].caption);
    }
    collection_counts k;
    collection_get_counts(session_collection(s), &k, err);
    cr_assert_eq(k.captions, 2, "captions made on the fly are stored");
    rerank_items_free(it, 2);
    for (int i = 0; i < 2; i++) free(h[i].path);
    decoder_close(&d);
}
