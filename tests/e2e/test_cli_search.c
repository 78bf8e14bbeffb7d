/* End-to-end: `vlmsearch`, `vlmindex classify` and `vlmindex embed`, checked
 * against a brute-force ranking computed here from the stored embeddings. */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/clip/clip.h"
#include "schema/collection.h"
#include "tests/e2e/e2e_util.h"

#define MODEL "clip-tiny-quickgelu-f32"

static e2e_ws ws;

static void setup(void)
{
    e2e_ws_init(&ws, MODEL);
    const char *args[] = {"add",    "--collection", ws.coll, "--model",
                          ws.model, ws.photos,      NULL};
    e2e_run r = e2e_exec("vlmindex", args);
    cr_assert_eq(r.status, 0, "add failed: %s", r.err);
    e2e_run_free(&r);
}
static void teardown(void) { e2e_ws_cleanup(&ws); }

TestSuite(cli_search, .init = setup, .fini = teardown, .timeout = 120);

typedef struct ranked {
    int64_t id;
    float score;
    char path[COLLECTION_PATH_MAX];
} ranked;

static int by_score(const void *a, const void *b)
{
    float x = ((const ranked *)a)->score, y = ((const ranked *)b)->score;
    return (x < y) - (x > y);
}

/* Brute force: every stored embedding against the query text, best first. */
static ranked *brute_force(const char *text, const char *under, size_t *n_out)
{
    char err[VLM_ERR_MAX];
    clip_model *m;
    clip_options o = clip_options_default();
    o.parts = CLIP_PART_TEXT;
    cr_assert_eq(clip_model_load(ws.model, &o, &m, err), 0, "%s", err);
    float q[64];
    cr_assert_eq(clip_encode_text(m, text, q, err), 0, "%s", err);
    int dims = clip_embed_dim(m);
    clip_l2_normalize(q, dims);
    clip_model_destroy(m);

    collection *c;
    cr_assert_eq(collection_open(ws.coll, NULL, &c, err), 0, "%s", err);
    int64_t *ids;
    float *vecs;
    size_t n;
    int d;
    cr_assert_eq(collection_load_embeddings(c, &ids, &vecs, &n, &d, err), 0,
                 "%s", err);
    cr_assert_eq(d, dims);
    ranked *r = calloc(n, sizeof *r);
    collection_image *row = malloc(sizeof *row);
    size_t k = 0;
    collection_cursor *cur;
    cr_assert_eq(collection_cursor_open(c, NULL, COLLECTION_ROWS_OK, &cur, err),
                 0, "%s", err);
    while (collection_cursor_step(cur, row, err) == 1) {
        if (under && strncmp(row->path, under, strlen(under))) continue;
        for (size_t i = 0; i < n; i++) {
            if (ids[i] != row->id) continue;
            float s = 0;
            for (int j = 0; j < dims; j++)
                s += q[j] * vecs[i * (size_t)dims + (size_t)j];
            r[k].id = row->id;
            r[k].score = s;
            snprintf(r[k].path, sizeof r[k].path, "%s", row->path);
            k++;
        }
    }
    collection_cursor_close(cur);
    collection_close(c);
    free(row);
    free(ids);
    free(vecs);
    qsort(r, k, sizeof *r, by_score);
    *n_out = k;
    return r;
}

static e2e_run search(const char *const *extra)
{
    const char *args[32] = {"--collection", ws.coll, "--model", ws.model};
    int n = 4;
    for (int i = 0; extra[i]; i++) args[n++] = extra[i];
    args[n] = NULL;
    return e2e_exec("vlmsearch", args);
}

/* Parses JSONL output and checks it equals the brute-force top-k. */
static void check_jsonl_against(const e2e_run *r, const ranked *ref,
                                size_t n_ref, int k)
{
    char *save = NULL, *text = strdup(r->out);
    int line = 0;
    for (char *l = strtok_r(text, "\n", &save); l;
         l = strtok_r(NULL, "\n", &save), line++) {
        json_object *o = json_tokener_parse(l);
        cr_assert_not_null(o, "line %d is not JSON: %s", line, l);
        json_object *id, *score, *path, *rank;
        cr_assert(json_object_object_get_ex(o, "id", &id));
        cr_assert(json_object_object_get_ex(o, "score", &score));
        cr_assert(json_object_object_get_ex(o, "path", &path));
        cr_assert(json_object_object_get_ex(o, "rank", &rank));
        cr_assert_lt((size_t)line, n_ref);
        cr_assert_eq(json_object_get_int(rank), line + 1);
        /* Ties could swap ids; compare scores strictly, ids where distinct. */
        cr_assert_float_eq(json_object_get_double(score), ref[line].score, 1e-4,
                           "rank %d score %f vs %f", line,
                           json_object_get_double(score), ref[line].score);
        if (line + 1 < (int)n_ref &&
            fabsf(ref[line].score - ref[line + 1].score) > 1e-5f &&
            (line == 0 || fabsf(ref[line].score - ref[line - 1].score) > 1e-5f))
            cr_assert_eq(json_object_get_int64(id), ref[line].id, "rank %d",
                         line);
        cr_assert_str_eq(json_object_get_string(path), ref[line].path);
        json_object_put(o);
    }
    cr_assert_eq(line, k < (int)n_ref ? k : (int)n_ref);
    free(text);
}

Test(cli_search, ranking_equals_brute_force_and_jsonl_parses)
{
    const char *q[] = {
        "--format", "jsonl", "-n", "7", "a black cat sleeping on a chair",
        NULL};
    e2e_run r = search(q);
    cr_assert_eq(r.status, 0, "%s", r.err);
    size_t n;
    ranked *ref = brute_force("a black cat sleeping on a chair", NULL, &n);
    cr_assert_eq(n, 28);
    check_jsonl_against(&r, ref, n, 7);
    free(ref);
    e2e_run_free(&r);
}

Test(cli_search, in_dir_restricts_inside_the_search)
{
    cr_assert_eq(
        e2e_sh("mkdir -p '%s/sub' && cp '%s/cat.jpg' '%s/camera.jpg' '%s/sub/'",
               ws.photos, ws.photos, ws.photos, ws.photos),
        0);
    const char *a[] = {"add",    "--collection", ws.coll, "--model",
                       ws.model, ws.photos,      NULL};
    e2e_run r = e2e_exec("vlmindex", a);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "copied 2"), "duplicates copy their vectors: %s",
              r.out);
    e2e_run_free(&r);

    char sub[1024];
    snprintf(sub, sizeof sub, "%s/sub", ws.photos);
    const char *q[] = {"--format", "jsonl", "--in",    sub,
                       "-n",       "5",     "flowers", NULL};
    r = search(q);
    cr_assert_eq(r.status, 0, "%s", r.err);
    size_t n;
    char prefix[1100];
    snprintf(prefix, sizeof prefix, "%s/", sub);
    ranked *ref = brute_force("flowers", prefix, &n);
    cr_assert_eq(n, 2);
    check_jsonl_against(&r, ref, n, 5);
    free(ref);
    e2e_run_free(&r);
}

Test(cli_search, formats_threshold_and_exit_codes)
{
    const char *tsv[] = {"-n", "3", "red", "flowers", NULL};
    e2e_run r = search(tsv);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(e2e_count_lines(r.out), 3);
    cr_assert(strchr(r.out, '\t'));
    e2e_run_free(&r);

    const char *nul[] = {"-0", "-n", "4", "cat", NULL};
    r = search(nul);
    cr_assert_eq(r.status, 0);
    int zeros = 0;
    for (size_t i = 0; i < r.out_len; i++) zeros += r.out[i] == 0;
    cr_assert_eq(zeros, 4, "-0 prints NUL-terminated paths");
    cr_assert_eq(e2e_count_lines(r.out), 0);
    e2e_run_free(&r);

    const char *csv[] = {"--format", "csv", "-n", "2", "cat", NULL};
    r = search(csv);
    cr_assert_eq(r.status, 0);
    cr_assert_eq(strncmp(r.out, "rank,score,path", 15), 0);
    cr_assert_eq(e2e_count_lines(r.out), 3);
    e2e_run_free(&r);

    const char *none[] = {"--threshold", "0.9999", "cat", NULL};
    r = search(none);
    cr_assert_eq(r.status, 1, "no results must exit 1, got %d", r.status);
    cr_assert_eq(r.out_len, 0);
    e2e_run_free(&r);

    const char *bad[] = {"./no-such-image.jpg", NULL};
    r = search(bad);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "no-such-image.jpg"), "%s", r.err);
    e2e_run_free(&r);
}

Test(cli_search, image_and_weighted_terms)
{
    char img[1024];
    snprintf(img, sizeof img, "%s/cat.jpg", ws.photos);
    const char *q[] = {"--format",       "paths", "-n", "1",
                       "--include-self", img,     NULL};
    e2e_run r = search(q);
    cr_assert_eq(r.status, 0, "%s", r.err);
    char expect[1100];
    snprintf(expect, sizeof expect, "%s\n", img);
    cr_assert_str_eq(r.out, expect, "an image is its own nearest neighbour");
    e2e_run_free(&r);
    /* Without --include-self it leaves itself out (rclip's rule). */
    const char *q2[] = {"--format", "paths", "-n", "1", img, NULL};
    r = search(q2);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_neq(r.out, expect, "the query image found itself");
    e2e_run_free(&r);

    const char *mix[] = {"--format", "jsonl", "2:black cat", "+",
                         img,        "-",     "coffee",      NULL};
    r = search(mix);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(e2e_count_lines(r.out), 10);
    e2e_run_free(&r);
}

Test(cli_search, classify_writes_csv_and_filters)
{
    const char *args[] = {"classify", "--collection", ws.coll,  "--model",
                          ws.model,   "--label",      "cat",    "--label",
                          "bee",      "--label",      "camera", NULL};
    e2e_run r = e2e_exec("vlmindex", args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(strncmp(r.out, "path,label,prob,cat,bee,camera\n", 31), 0,
                 "%s", r.out);
    cr_assert_eq(e2e_count_lines(r.out), 29, "header + one row per image");
    /* Fields: path,label,prob,p_cat,p_bee,p_camera (fixture paths have no
     * commas); probabilities sum to 1 and the label is the argmax. */
    char *save = NULL, *text = strdup(r.out);
    int cats = 0;
    strtok_r(text, "\n", &save);
    for (char *l = strtok_r(NULL, "\n", &save); l;
         l = strtok_r(NULL, "\n", &save)) {
        char *f[6], *fs = NULL;
        int nf = 0;
        for (char *t = strtok_r(l, ",", &fs); t && nf < 6;
             t = strtok_r(NULL, ",", &fs))
            f[nf++] = t;
        cr_assert_eq(nf, 6);
        float p[3] = {strtof(f[3], NULL), strtof(f[4], NULL),
                      strtof(f[5], NULL)};
        cr_assert_float_eq(p[0] + p[1] + p[2], 1.0f, 1e-4);
        int top = p[0] >= p[1] && p[0] >= p[2] ? 0 : p[1] >= p[2] ? 1 : 2;
        const char *labels[] = {"cat", "bee", "camera"};
        cr_assert_str_eq(f[1], labels[top]);
        cats += top == 0;
    }
    free(text);
    e2e_run_free(&r);

    const char *only[] = {"classify", "--collection", ws.coll,  "--model",
                          ws.model,   "--label",      "cat",    "--label",
                          "bee",      "--label",      "camera", "--only",
                          "cat",      "--format",     "jsonl",  NULL};
    r = e2e_exec("vlmindex", only);
    cr_assert(r.status == 0 || r.status == 1, "%s", r.err);
    int n = e2e_count_lines(r.out);
    cr_assert_eq(n, cats,
                 "--only cat lists exactly the rows whose top label is cat");
    for (char *l = r.out; l && *l;
         l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        cr_assert(strstr(l, "\"label\":\"cat\""));
    e2e_run_free(&r);
}

Test(cli_search, embed_prints_normalised_json)
{
    char img[1024];
    snprintf(img, sizeof img, "%s/bee.jpg", ws.photos);
    const char *args[] = {"embed", "--model", ws.model, "--text",
                          "a bee", "--image", img,      NULL};
    e2e_run r = e2e_exec("vlmindex", args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(e2e_count_lines(r.out), 2);
    char *save = NULL, *text = strdup(r.out);
    const char *kinds[] = {"text", "image"};
    int i = 0;
    for (char *l = strtok_r(text, "\n", &save); l;
         l = strtok_r(NULL, "\n", &save), i++) {
        json_object *o = json_tokener_parse(l), *k, *e;
        cr_assert_not_null(o);
        cr_assert(json_object_object_get_ex(o, "kind", &k));
        cr_assert_str_eq(json_object_get_string(k), kinds[i]);
        cr_assert(json_object_object_get_ex(o, "embedding", &e));
        cr_assert_eq(json_object_array_length(e), 24);
        double norm = 0;
        for (int j = 0; j < 24; j++) {
            double v = json_object_get_double(json_object_array_get_idx(e, j));
            norm += v * v;
        }
        cr_assert_float_eq(norm, 1.0, 1e-5);
        json_object_put(o);
    }
    free(text);
    e2e_run_free(&r);
}
