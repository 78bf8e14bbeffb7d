/* End-to-end: LLaVA captions stored in the collection, phrase scoring and
 * `vlmsearch --rerank/--captions/--explain`.  Fixture weights are random, so
 * this checks plumbing, storage, resumption and the fusion arithmetic, not
 * the wording. */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/rerank.h"
#include "schema/collection.h"
#include "tests/e2e/e2e_util.h"

#define MODEL "clip-tiny-quickgelu-f32"

static e2e_ws ws;
static char llava[700], sub[700];

static void setup(void)
{
    e2e_ws_init(&ws, MODEL);
    snprintf(llava, sizeof llava, "%s/llava-tiny-llama", ws.fixtures);
    snprintf(sub, sizeof sub, "%s/sub", ws.photos);
    cr_assert_eq(e2e_sh("mkdir -p '%s' && cd '%s' && mv cat.jpg bee.jpg "
                        "coffee.png camera.jpg sub/",
                        sub, ws.photos),
                 0);
    const char *args[] = {"add",    "--collection", ws.coll, "--model",
                          ws.model, ws.photos,      NULL};
    e2e_run r = e2e_exec("vlmindex", args);
    cr_assert_eq(r.status, 0, "add failed: %s", r.err);
    e2e_run_free(&r);
}
static void teardown(void) { e2e_ws_cleanup(&ws); }

TestSuite(cli_llava, .init = setup, .fini = teardown, .timeout = 300);

static int64_t count_captions(void) { return e2e_counts(ws.coll).captions; }

static e2e_run caption_collection(void)
{
    const char *args[] = {
        "caption", "--collection", ws.coll, "--model", llava, "--in",
        sub,       "--max-tokens", "6",     NULL};
    return e2e_exec("vlmindex", args);
}

Test(cli_llava, captions_are_stored_and_the_run_resumes)
{
    e2e_run r = caption_collection();
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(e2e_count_lines(r.out), 4,
                 "one path<TAB>caption line per image:\n%s", r.out);
    cr_assert(strstr(r.err, "captioned 4"), "%s", r.err);
    e2e_run_free(&r);
    cr_assert_eq(count_captions(), 4);

    r = caption_collection();
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.err, "captioned 0, already had one 4"),
              "nothing redone: %s", r.err);
    e2e_run_free(&r);
}

Test(cli_llava, every_photo_gets_a_caption)
{
    /* Random weights generate ids of added tokens (<image>, padding rows)
     * too; they must be skipped, not fail the caption. */
    const char *args[] = {"caption", "--collection", ws.coll, "--model",
                          llava,     "--max-tokens", "12",    NULL};
    e2e_run r = e2e_exec("vlmindex", args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.err, "captioned 28, already had one 0, failed 0"), "%s",
              r.err);
    e2e_run_free(&r);
}

Test(cli_llava, single_image_caption_and_score_probe)
{
    char img[1024];
    snprintf(img, sizeof img, "%s/cat.jpg", sub);
    const char *cap[] = {"caption", "--model",      llava, "--image",
                         img,       "--max-tokens", "5",   NULL};
    e2e_run r = e2e_exec("vlmindex", cap);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(e2e_count_lines(r.out), 1);
    e2e_run_free(&r);

    /* The fixture's reference: phrase1 ("a black cat on a chair") on cat.jpg. */
    const char *sc[] = {"score",
                        "--model",
                        llava,
                        "--image",
                        img,
                        "--phrase",
                        "a black cat on a chair",
                        NULL};
    r = e2e_exec("vlmindex", sc);
    cr_assert_eq(r.status, 0, "%s", r.err);
    json_object *o = json_tokener_parse(r.out), *total, *norm, *toks;
    cr_assert_not_null(o, "%s", r.out);
    cr_assert(json_object_object_get_ex(o, "total", &total));
    cr_assert(json_object_object_get_ex(o, "normalized", &norm));
    cr_assert(json_object_object_get_ex(o, "tokens", &toks));
    int n = (int)json_object_array_length(toks);
    cr_assert_eq(n, 6);
    cr_assert_float_eq(json_object_get_double(total), -112.66953,
                       112.67 * 1e-3);
    cr_assert_float_eq(json_object_get_double(norm),
                       json_object_get_double(total) / n, 1e-4);
    json_object_put(o);
    e2e_run_free(&r);
}

/* Checks the RRF arithmetic and order of --explain output. */
static void check_fusion(const char *out, int expect_decoder)
{
    char *text = strdup(out), *save = NULL;
    double prev = INFINITY;
    int lines = 0;
    for (char *l = strtok_r(text, "\n", &save); l;
         l = strtok_r(NULL, "\n", &save), lines++) {
        json_object *o = json_tokener_parse(l), *ex, *v, *x;
        cr_assert_not_null(o, "%s", l);
        cr_assert(json_object_object_get_ex(o, "explain", &ex), "%s", l);
        cr_assert(json_object_object_get_ex(ex, "fused", &v));
        double fused = json_object_get_double(v), sum = 0;
        const char *parts[] = {"vector", "decoder", "caption_match"};
        for (int p = 0; p < 3; p++)
            if (json_object_object_get_ex(ex, parts[p], &x)) {
                json_object *rank;
                cr_assert(json_object_object_get_ex(x, "rank", &rank));
                sum += 1.0 / (RERANK_RRF_K + json_object_get_int(rank));
            }
        cr_assert_float_eq(fused, sum, 1e-6, "fused = sum of 1/(60+rank): %s",
                           l);
        cr_assert_eq(json_object_object_get_ex(ex, "decoder", &x),
                     expect_decoder, "%s", l);
        cr_assert_leq(fused, prev + 1e-12, "sorted by fused score");
        prev = fused;
        json_object_put(o);
    }
    cr_assert_gt(lines, 0);
    free(text);
}

Test(cli_llava, rerank_explains_and_caches_captions)
{
    const char *q[] = {"--collection",
                       ws.coll,
                       "--model",
                       ws.model,
                       "--rerank",
                       "5",
                       "--reranker",
                       llava,
                       "--explain",
                       "--format",
                       "jsonl",
                       "-n",
                       "3",
                       "a cat",
                       NULL};
    e2e_run r = e2e_exec("vlmsearch", q);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(e2e_count_lines(r.out), 3);
    check_fusion(r.out, 1);
    e2e_run_free(&r);
    cr_assert_eq(count_captions(), 5,
                 "captions made while reranking are cached");
}

Test(cli_llava, caption_text_search_finds_a_stored_caption)
{
    e2e_run r = caption_collection();
    cr_assert_eq(r.status, 0, "%s", r.err);
    /* Query: a caption word made only of ASCII letters (FTS5's tokenizer
     * treats other letters as part of the word). */
    char word[256] = "", path[1024] = "";
    char *text = strdup(r.out), *save = NULL;
    for (char *l = strtok_r(text, "\n", &save); l && !word[0];
         l = strtok_r(NULL, "\n", &save)) {
        char *tab = strchr(l, '\t'), *ws_save = NULL;
        *tab = 0;
        for (char *w = strtok_r(tab + 1, " ", &ws_save); w && !word[0];
             w = strtok_r(NULL, " ", &ws_save)) {
            size_t k = 0;
            while (w[k] && ((w[k] | 32) >= 'a' && (w[k] | 32) <= 'z')) k++;
            if (k >= 3 && !w[k]) {
                snprintf(word, sizeof word, "%s", w);
                snprintf(path, sizeof path, "%s", l);
            }
        }
    }
    free(text);
    e2e_run_free(&r);
    if (!word[0])
        cr_skip_test("no caption has a plain ASCII word to search for");

    const char *q[] = {"--collection", ws.coll,     "--model",  ws.model,
                       "--captions",   "--explain", "--format", "jsonl",
                       "-n",           "30",        word,       NULL};
    r = e2e_exec("vlmsearch", q);
    cr_assert_eq(r.status, 0, "%s", r.err);
    check_fusion(r.out, 0);
    char *line = strstr(r.out, path);
    cr_assert_not_null(line, "the captioned image is listed for '%s'", word);
    char *eol = strchr(line, '\n');
    if (eol) *eol = 0;
    cr_assert(strstr(line, "caption_match"),
              "with a caption-match component: %s", line);
    e2e_run_free(&r);
}
