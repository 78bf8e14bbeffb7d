/* End-to-end: a SigLIP and a Chinese-CLIP collection through the real CLIs
 * (add, search, classify, rerank): SigLIP's own probabilities beside the
 * cosine, --prob, single-label classify; a Chinese query and Chinese
 * labels; and two families refused in one collection. */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/clip/clip.h"
#include "schema/collection.h"
#include "tests/e2e/e2e_util.h"

#define MAX_ROWS 64

static e2e_ws ws;
static char err[VLM_ERR_MAX];

static void teardown(void) { e2e_ws_cleanup(&ws); }

TestSuite(cli_families, .fini = teardown, .timeout = 300);

/* A workspace whose model folder is fixture `name`, with the photos
 * indexed. */
static void index_photos(const char *name)
{
    e2e_ws_init(&ws, name);
    const char *args[] = {"add",    "--collection", ws.coll, "--model",
                          ws.model, ws.photos,      NULL};
    e2e_run r = e2e_exec("vlmindex", args);
    cr_assert_eq(r.status, 0, "add with %s failed: %s", name, r.err);
    cr_assert(strstr(r.out, "added 28,"), "%s", r.out);
    e2e_run_free(&r);
}

static clip_model *load_text_model(void)
{
    clip_options o = clip_options_default();
    o.parts = CLIP_PART_TEXT;
    o.threads = 1;
    clip_model *m;
    cr_assert_eq(clip_model_load(ws.model, &o, &m, err), VLM_OK, "%s", err);
    return m;
}

/* vlmsearch (or vlmindex with "vlmindex" as args[0]) on the collection. */
static e2e_run run(const char *prog, const char *const *args)
{
    const char *argv[32];
    int n = 0;
    if (!strcmp(prog, "vlmindex")) argv[n++] = *args++;
    argv[n++] = "--collection";
    argv[n++] = ws.coll;
    while (*args) argv[n++] = *args++;
    argv[n] = NULL;
    return e2e_exec(prog, argv);
}

/* One JSON line per row: the numbers under `key` (NAN where absent). */
static int jsonl_numbers(const char *out, const char *key, double *v)
{
    int n = 0;
    char *text = strdup(out), *save = NULL;
    for (char *l = strtok_r(text, "\n", &save); l && n < MAX_ROWS;
         l = strtok_r(NULL, "\n", &save)) {
        json_object *o = json_tokener_parse(l), *x;
        cr_assert_not_null(o, "not JSON: %s", l);
        v[n++] = json_object_object_get_ex(o, key, &x)
                     ? json_object_get_double(x)
                     : NAN;
        json_object_put(o);
    }
    free(text);
    return n;
}

/* A probability between two distinct neighbours of the sorted p[0..n). */
static double split_between(const double *p, int n, int *above)
{
    for (int k = 1; k < n; k++)
        if (p[k - 1] - p[k] > 1e-3) {
            *above = k;
            return (p[k - 1] + p[k]) / 2;
        }
    cr_assert_fail("no two distinct probabilities among %d hits", n);
    return 0;
}

Test(cli_families, siglip_search_shows_probability_and_takes_prob)
{
    index_photos("siglip-tiny");
    const char *all[] = {"--format", "jsonl", "-n", "28", "a cat", NULL};
    e2e_run r = run("vlmsearch", all);
    cr_assert_eq(r.status, 0, "%s", r.err);
    double score[MAX_ROWS], prob[MAX_ROWS];
    int n = jsonl_numbers(r.out, "score", score);
    cr_assert_eq(n, 28);
    cr_assert_eq(jsonl_numbers(r.out, "prob", prob), 28);
    e2e_run_free(&r);
    clip_model *m = load_text_model();
    for (int i = 0; i < n; i++) /* the model's own sigmoid of the cosine */
        cr_assert_float_eq(prob[i], clip_pair_probability(m, (float)score[i]),
                           1e-4, "row %d: score %g prob %g", i, score[i],
                           prob[i]);
    clip_model_destroy(m);

    int above;
    char p[32];
    snprintf(p, sizeof p, "%.6f", split_between(prob, n, &above));
    const char *thr[] = {"--prob", p, "-n", "28", "a cat", NULL};
    r = run("vlmsearch", thr);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(e2e_count_lines(r.out), above,
                 "--prob %s keeps exactly the hits with prob >= it", p);
    e2e_run_free(&r);

    const char *both[] = {"--prob", "0.5", "--threshold", "0.1", "cat", NULL};
    r = run("vlmsearch", both);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "not both"), "%s", r.err);
    e2e_run_free(&r);
}

Test(cli_families, siglip_classify_is_per_label)
{
    index_photos("siglip-tiny");
    const char *one[] = {"classify", "--label",    "cat", "--format",
                         "jsonl",    "--no-store", NULL};
    e2e_run r = run("vlmindex", one);
    cr_assert_eq(r.status, 0, "%s", r.err);
    double prob[MAX_ROWS], sorted[MAX_ROWS];
    int n = jsonl_numbers(r.out, "prob", prob);
    cr_assert_eq(n, 28, "one label: every image gets its own probability");
    e2e_run_free(&r);
    memcpy(sorted, prob, sizeof prob);
    for (int i = 1; i < n; i++) /* descending insertion sort */
        for (int j = i; j > 0 && sorted[j] > sorted[j - 1]; j--) {
            double t = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = t;
        }
    cr_assert_gt(sorted[0] - sorted[n - 1], 1e-3, "not all equal");

    int above;
    char p[32];
    snprintf(p, sizeof p, "%.6f", split_between(sorted, n, &above));
    const char *min[] = {"classify", "--label",    "cat", "--min-prob",
                         p,          "--no-store", NULL};
    r = run("vlmindex", min);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(e2e_count_lines(r.out), above + 1, "header + rows >= %s", p);
    e2e_run_free(&r);

    /* Two labels: independent, so they need not sum to 1. */
    const char *two[] = {"classify", "--label",  "cat",   "--label",
                         "camera",   "--format", "jsonl", NULL};
    r = run("vlmindex", two);
    cr_assert_eq(r.status, 0, "%s", r.err);
    int off = 0, rows = 0, cat_on_top = 0;
    double camera[MAX_ROWS];
    for (char *l = r.out; l && *l;
         l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        json_object *o = json_tokener_parse(l), *ps, *a, *b;
        cr_assert(json_object_object_get_ex(o, "probs", &ps));
        cr_assert(json_object_object_get_ex(ps, "cat", &a));
        cr_assert(json_object_object_get_ex(ps, "camera", &b));
        double pa = json_object_get_double(a), pb = json_object_get_double(b);
        off += fabs(pa + pb - 1) > 1e-3;
        camera[rows++] = pb;
        json_object_put(o);
    }
    cr_assert_gt(off, 0, "sigmoid probabilities are not shares of 1");
    e2e_run_free(&r);

    /* Multi-label --only: the label's own probability decides, whichever
     * label is on top. */
    for (int i = 1; i < rows; i++)
        for (int j = i; j > 0 && camera[j] > camera[j - 1]; j--) {
            double t = camera[j];
            camera[j] = camera[j - 1];
            camera[j - 1] = t;
        }
    snprintf(p, sizeof p, "%.6f", split_between(camera, rows, &above));
    const char *only[] = {"classify", "--label",  "cat",    "--label",
                          "camera",   "--only",   "camera", "--min-prob",
                          p,          "--format", "jsonl",  NULL};
    r = run("vlmindex", only);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(e2e_count_lines(r.out), above,
                 "--only camera --min-prob %s: rows whose camera prob >= it",
                 p);
    e2e_run_free(&r);
    /* --min-prob 0: every image, including those with cat on top (softmax
     * --only would list only camera-top rows). */
    const char *any[] = {"classify", "--label", "cat",      "--label", "camera",
                         "--only",   "camera",  "--format", "jsonl",   NULL};
    r = run("vlmindex", any);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(e2e_count_lines(r.out), 28);
    for (char *l = r.out; l && *l;
         l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        cat_on_top +=
            !strncmp(strstr(l, "\"label\":"), "\"label\":\"cat\"", 13);
    cr_assert_gt(cat_on_top, 0, "%s", r.out);
    e2e_run_free(&r);
}

/* Fusion with the LLaVA decoder works on any family's ranking. */
static void rerank_works(void)
{
    char llava[700];
    snprintf(llava, sizeof llava, "%s/llava-tiny-llama", ws.fixtures);
    const char *q[] = {"--rerank", "3",        "--reranker", llava,   "-n",
                       "2",        "--format", "jsonl",      "a cat", NULL};
    e2e_run r = run("vlmsearch", q);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(e2e_count_lines(r.out), 2, "%s", r.out);
    e2e_run_free(&r);
}

Test(cli_families, siglip_rerank)
{
    index_photos("siglip-tiny");
    rerank_works();
}

Test(cli_families, chinese_clip_rerank)
{
    index_photos("chinese-clip-tiny");
    rerank_works();
}

/* The top hit's score is the cosine of the Chinese query's embedding and
 * that image's stored vector. */
static void check_top_score(const char *text, const char *out)
{
    json_object *o = json_tokener_parse(out), *x;
    cr_assert(json_object_object_get_ex(o, "id", &x));
    int64_t id = json_object_get_int64(x);
    cr_assert(json_object_object_get_ex(o, "score", &x));
    double score = json_object_get_double(x);
    cr_assert_not(json_object_object_get_ex(o, "prob", &x),
                  "softmax models print no pair probability");
    json_object_put(o);
    clip_model *m = load_text_model();
    int d = clip_embed_dim(m);
    float q[256];
    cr_assert_eq(clip_encode_text(m, text, q, err), VLM_OK, "%s", err);
    clip_l2_normalize(q, d);
    clip_model_destroy(m);
    collection *c;
    cr_assert_eq(collection_open(ws.coll, NULL, &c, err), VLM_OK, "%s", err);
    int64_t *ids;
    float *vecs;
    size_t n;
    int dims;
    cr_assert_eq(collection_load_embeddings(c, &ids, &vecs, &n, &dims, err),
                 VLM_OK, "%s", err);
    double cos = NAN;
    for (size_t i = 0; i < n; i++)
        if (ids[i] == id) {
            cos = 0;
            for (int j = 0; j < d; j++) cos += q[j] * vecs[i * d + j];
        }
    cr_assert_float_eq(score, cos, 1e-4);
    free(ids);
    free(vecs);
    collection_close(c);
}

Test(cli_families, chinese_query_and_labels)
{
    index_photos("chinese-clip-tiny");
    const char *q[] = {"--format", "jsonl", "一只黑猫", NULL};
    e2e_run r = run("vlmsearch", q);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(e2e_count_lines(r.out), 10);
    check_top_score("一只黑猫", r.out);
    e2e_run_free(&r);

    const char *cls[] = {"classify", "--label",    "碎花连衣裙",
                         "--label",  "纯色连衣裙", NULL};
    r = run("vlmindex", cls);
    cr_assert_eq(r.status, 0, "%s", r.err);
    const char *head = "path,label,prob,碎花连衣裙,纯色连衣裙\n";
    cr_assert_eq(strncmp(r.out, head, strlen(head)), 0, "%s", r.out);
    cr_assert_eq(e2e_count_lines(r.out), 29);
    /* The last two fields: the labels' softmax shares, summing to 1. */
    char *text = strdup(r.out), *save = NULL;
    strtok_r(text, "\n", &save);
    for (char *l = strtok_r(NULL, "\n", &save); l;
         l = strtok_r(NULL, "\n", &save)) {
        char *last = strrchr(l, ',');
        *last = 0;
        float p2 = strtof(last + 1, NULL),
              p1 = strtof(strrchr(l, ',') + 1, NULL);
        cr_assert_float_eq(p1 + p2, 1.0f, 1e-4, "%s", l);
    }
    free(text);
    e2e_run_free(&r);

    const char *one[] = {"classify",   "--label", "碎花连衣裙",
                         "--min-prob", "0.5",     NULL};
    r = run("vlmindex", one);
    cr_assert_eq(r.status, 2, "softmax: one label is always 1");
    cr_assert(strstr(r.err, "one label"), "%s", r.err);
    e2e_run_free(&r);

    const char *prob[] = {"--prob", "0.5", "猫", NULL};
    r = run("vlmsearch", prob);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "--threshold COSINE"), "%s", r.err);
    e2e_run_free(&r);
}

Test(cli_families, mixing_families_is_refused)
{
    index_photos("siglip-tiny");
    char zh[800];
    snprintf(zh, sizeof zh, "%s/zh", ws.root);
    cr_assert_eq(e2e_sh("mkdir '%s' && ln -s '%s/chinese-clip-tiny'/* '%s/'",
                        zh, ws.fixtures, zh),
                 0);
    const char *add[] = {"add", "--model", zh, ws.photos, NULL};
    e2e_run r = run("vlmindex", add);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "holds siglip embeddings"), "%s", r.err);
    cr_assert(strstr(r.err, "cannot be mixed"), "%s", r.err);
    e2e_run_free(&r);
    const char *q[] = {"--model", zh, "猫", NULL};
    r = run("vlmsearch", q);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "cannot be mixed"), "%s", r.err);
    e2e_run_free(&r);
    cr_assert_eq(e2e_counts(ws.coll).embeddings, 28, "nothing was lost");
    const char *status[] = {"status", NULL};
    r = run("vlmindex", status);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "(siglip, 64 dims"), "%s", r.out);
    e2e_run_free(&r);
}
