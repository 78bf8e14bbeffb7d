/* End-to-end: linear probes and relevance feedback through the CLIs, on
 * image sets generated here whose classes differ visibly (background
 * colour; the shape drawn on it, its colour and the noise are random).
 * The fixture model has random weights: the test checks that it separates
 * these colours linearly (it does not separate shapes), so the numbers are
 * about the code, not about the model. */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model/clip/clip.h"
#include "schema/collection.h"
#include "schema/collection_probes.h"
#include "tests/e2e/e2e_util.h"

#define MODEL   "clip-tiny-quickgelu-f32"
#define N_TRAIN 16 /* per class */
#define N_HELD  12

static e2e_ws ws;
static char imgs[700]; /* the shared image sets (see PRE_ALL) */

/* ---- generated images ------------------------------------------------------ */

static uint32_t rnd(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(*s >> 33);
}

static int jitter(uint64_t *s, int v, int by)
{
    v += (int)(rnd(s) % (2 * by + 1)) - by;
    return v < 0 ? 0 : v > 255 ? 255 : v;
}

/* A 48x48 PPM: a noisy background of the class colour with a random disc
 * or square of a random colour on it.  0 or -1. */
static int write_image(const char *path, const int base[3], uint64_t seed)
{
    uint64_t s = seed * 2654435761u + 1;
    int bg[3], fg[3], cx = 14 + rnd(&s) % 21, cy = 14 + rnd(&s) % 21,
                      r = 8 + rnd(&s) % 7, disc = rnd(&s) % 2;
    for (int i = 0; i < 3; i++) {
        bg[i] = jitter(&s, base[i], 50);
        fg[i] = (int)(rnd(&s) % 256);
    }
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    fprintf(f, "P6\n48 48\n255\n");
    for (int y = 0; y < 48; y++)
        for (int x = 0; x < 48; x++) {
            int in = disc ? (x - cx) * (x - cx) + (y - cy) * (y - cy) < r * r
                          : abs(x - cx) < r && abs(y - cy) < r;
            for (int i = 0; i < 3; i++)
                fputc(jitter(&s, in ? fg[i] : bg[i], 25), f);
        }
    return fclose(f) ? -1 : 0;
}

static const struct {
    const char *name;
    int rgb[3];
} colours[3] = {
    {"red", {200, 50, 40}}, {"blue", {40, 60, 200}}, {"green", {40, 180, 60}}};

/* root/set/{red,blue,green}/NN.ppm; 0 or -1. */
static int make_set(const char *root, const char *set, int n, uint64_t seed)
{
    for (int c = 0; c < 3; c++) {
        char dir[800], path[900];
        snprintf(dir, sizeof dir, "%s/%s/%s", root, set, colours[c].name);
        if (test_sh("mkdir -p '%s'", dir)) return -1;
        for (int i = 0; i < n; i++) {
            snprintf(path, sizeof path, "%s/%02d.ppm", dir, i);
            if (write_image(path, colours[c].rgb, seed + 1000 * c + i))
                return -1;
        }
    }
    return 0;
}

static const char *dir_of(const char *set, const char *colour)
{
    static char buf[8][800];
    static int next;
    char *b = buf[next++ % 8];
    snprintf(b, sizeof buf[0], "%s/%s/%s", imgs, set, colour);
    return b;
}

/* prog with extra, the collection and model options after vlmindex's
 * command word. */
static e2e_run run(const char *prog, const char *const *extra)
{
    const char *args[64];
    int n = 0, i = 0;
    if (!strcmp(prog, "vlmindex")) args[n++] = extra[i++];
    args[n++] = "--collection", args[n++] = ws.coll;
    args[n++] = "--model", args[n++] = ws.model;
    for (; extra[i] && n < 63; i++) args[n++] = extra[i];
    args[n] = NULL;
    return e2e_exec(prog, args);
}

/* ---- one indexed collection for every test -------------------------------- */

/* Generating and indexing the images is most of the work, so the runner
 * does it once (before the tests are started, so they inherit the
 * variable) and each test copies the collection. */
ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
    (void)set;
    const char *fx = getenv("VLM_FIXTURES"), *bd = getenv("VLM_BUILD_DIR");
    static char root[] = "/tmp/vlm-probe-XXXXXX";
    if (!fx || !bd || !mkdtemp(root)) return; /* each test says why */
    int rc = make_set(root, "train", N_TRAIN, 1) ||
             make_set(root, "held", N_HELD, 7777) ||
             test_sh("mkdir '%s/model' && ln -s '%s/" MODEL "'/* "
                     "'%s/tokenizer-clip/vocab.json' "
                     "'%s/tokenizer-clip/merges.txt' '%s/model/' && "
                     "'%s/bin/vlmindex' add -q --collection '%s/coll' "
                     "--model '%s/model' '%s/train' '%s/held' >/dev/null",
                     root, fx, fx, fx, root, bd, root, root, root, root);
    if (!rc) setenv("VLM_PROBE_SHARED", root, 1);
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
    (void)stats;
    const char *root = getenv("VLM_PROBE_SHARED");
    if (root) test_sh("rm -rf '%s'", root);
}

static void setup(void)
{
    e2e_ws_init(&ws, MODEL); /* skips without the fixtures */
    const char *shared = getenv("VLM_PROBE_SHARED");
    cr_assert_not_null(shared, "the shared image sets were not made "
                               "(see the PRE_ALL hook)");
    snprintf(imgs, sizeof imgs, "%s", shared);
    cr_assert_eq(e2e_sh("cp -r '%s/coll' '%s'", shared, ws.coll), 0);
}
static void teardown(void) { e2e_ws_cleanup(&ws); }

TestSuite(cli_probe, .init = setup, .fini = teardown, .timeout = 240);

static e2e_run train_redness(void)
{
    const char *a[] = {"probe",
                       "train",
                       "redness",
                       "--positive",
                       dir_of("train", "red"),
                       "--negative",
                       dir_of("train", "blue"),
                       "--negative",
                       dir_of("train", "green"),
                       NULL};
    return run("vlmindex", a);
}

/* The number after `key` in text; NAN when absent. */
static double number_after(const char *text, const char *key)
{
    const char *p = strstr(text, key);
    return p ? strtod(p + strlen(key), NULL) : NAN;
}

/* ---- training and evaluation ------------------------------------------------ */

Test(cli_probe, trains_reports_cv_metrics_and_classifies_held_out_images)
{
    e2e_run r = train_redness();
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "probe 'redness': 2 classes, 48 examples "
                            "('redness' 16, 'not redness' 32)"),
              "%s", r.out);
    double acc = number_after(r.out, "accuracy "),
           auc = number_after(r.out, "AUC ");
    cr_assert_geq(acc, 0.9, "cross-validated accuracy reported: %s", r.out);
    cr_assert_geq(auc, 0.9, "%s", r.out);
    cr_assert(strstr(r.out, "threshold for precision 0.90"), "%s", r.out);
    e2e_run_free(&r);

    const char *ev[] = {"probe",
                        "eval",
                        "redness",
                        "--positive",
                        dir_of("held", "red"),
                        "--negative",
                        dir_of("held", "blue"),
                        "--negative",
                        dir_of("held", "green"),
                        NULL};
    r = run("vlmindex", ev);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "on 36 labelled images ('redness' 12, "
                            "'not redness' 24); 0 of them trained it"),
              "%s", r.out);
    cr_assert_geq(number_after(r.out, "accuracy "), 0.9, "%s", r.out);
    cr_assert(strstr(r.out, "the stored threshold"), "%s", r.out);
    cr_assert(!isnan(number_after(r.out, "precision ")), "%s", r.out);
    e2e_run_free(&r);

    /* Evaluating on training images is allowed, and said to flatter. */
    const char *on_train[] = {"probe",
                              "eval",
                              "redness",
                              "--positive",
                              dir_of("train", "red"),
                              "--negative",
                              dir_of("held", "blue"),
                              NULL};
    r = run("vlmindex", on_train);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "16 of them trained it"), "%s", r.out);
    cr_assert(strstr(r.err, "optimistic"), "%s", r.err);
    e2e_run_free(&r);
}

/* classify --probe over the held-out images: >= 0.9 right, the results say
 * which probe made them and carry its cross-validated metrics. */
Test(cli_probe, classify_with_a_probe)
{
    e2e_run r = train_redness();
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_run_free(&r);
    char held[800];
    snprintf(held, sizeof held, "%s/held", imgs);
    const char *c[] = {"classify", "--probe", "redness", "--in",
                       held,       "-f",      "jsonl",   NULL};
    r = run("vlmindex", c);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.err, "classified by probe 'redness'"), "%s", r.err);
    int right = 0, n = 0;
    char *save = NULL;
    for (char *l = strtok_r(r.out, "\n", &save); l;
         l = strtok_r(NULL, "\n", &save), n++) {
        json_object *o = json_tokener_parse(l), *v, *p;
        cr_assert_not_null(o, "%s", l);
        cr_assert(json_object_object_get_ex(o, "label", &v));
        int red = strstr(l, "/held/red/") != NULL;
        right += red == !strcmp(json_object_get_string(v), "redness");
        cr_assert(json_object_object_get_ex(o, "probe", &p));
        cr_assert(json_object_object_get_ex(p, "cv_accuracy", &v));
        cr_assert_geq(json_object_get_double(v), 0.9);
        cr_assert(json_object_object_get_ex(p, "threshold", &v));
        json_object_put(o);
    }
    cr_assert_eq(n, 3 * N_HELD);
    cr_assert_geq((double)right / n, 0.9, "%d of %d right", right, n);
    e2e_run_free(&r);

    /* --only / --min-prob filter on the probe's classes and probabilities */
    const char *only[] = {"classify", "--probe", "redness",    "--in", held,
                          "--only",   "redness", "--min-prob", "0.5",  NULL};
    r = run("vlmindex", only);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strncmp(r.out, "path,label,prob,redness,not redness\n", 36) == 0,
              "%s", r.out);
    int rows = e2e_count_lines(r.out) - 1;
    cr_assert_geq(rows, N_HELD * 9 / 10, "%s", r.out);
    cr_assert_leq(rows, N_HELD + 1, "%s", r.out);
    e2e_run_free(&r);
}

/* ---- ranking ----------------------------------------------------------------- */

typedef struct scored_path {
    char path[1024];
    double score;
} scored_path;

/* JSONL hits: paths and scores, in order. */
static int parse_hits(const char *out, scored_path *h, int max)
{
    char *text = strdup(out), *save = NULL;
    int n = 0;
    for (char *l = strtok_r(text, "\n", &save); l && n < max;
         l = strtok_r(NULL, "\n", &save), n++) {
        json_object *o = json_tokener_parse(l), *v;
        cr_assert_not_null(o, "%s", l);
        cr_assert(json_object_object_get_ex(o, "path", &v));
        snprintf(h[n].path, sizeof h[n].path, "%s", json_object_get_string(v));
        cr_assert(json_object_object_get_ex(o, "score", &v));
        h[n].score = json_object_get_double(v);
        json_object_put(o);
    }
    free(text);
    return n;
}

/* The probe's probability for the stored embedding of `path`. */
static double probe_prob(collection *c, const collection_probe *p,
                         const char *path)
{
    collection_image row;
    char err[VLM_ERR_MAX];
    float e[64];
    cr_assert_eq(collection_find_by_path(c, path, &row, err), 0, "%s", path);
    cr_assert_eq(collection_get_embedding(c, row.id, e, p->dims, err), 0);
    double z = p->classes[0].bias;
    for (int j = 0; j < p->dims; j++) z += p->classes[0].weights[j] * e[j];
    return 1 / (1 + exp(-z));
}

Test(cli_probe, vlmsearch_probe_ranks_positives_above_negatives)
{
    e2e_run r = train_redness();
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_run_free(&r);
    char held[800];
    snprintf(held, sizeof held, "%s/held", imgs);
    const char *q[] = {"--probe", "redness", "--in",  held, "-n",
                       "100",     "-f",      "jsonl", NULL};
    r = run("vlmsearch", q);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.err, "ranked by probe 'redness'"), "%s", r.err);
    cr_assert(strstr(r.out, "\"probe\":{\"name\":\"redness\""), "%s", r.out);
    scored_path h[100];
    int n = parse_hits(r.out, h, 100);
    cr_assert_eq(n, 3 * N_HELD);
    for (int i = 0; i < N_HELD; i++)
        cr_assert(strstr(h[i].path, "/held/red/"),
                  "rank %d is %s: every positive ranks above the negatives",
                  i + 1, h[i].path);
    /* The scores are the probe's probabilities, computed here from the
     * stored weights and embeddings, best first. */
    collection *c;
    collection_probe p;
    char err[VLM_ERR_MAX];
    cr_assert_eq(collection_open(ws.coll, NULL, &c, err), 0, "%s", err);
    cr_assert_eq(collection_get_probe(c, "redness", &p, err), 0, "%s", err);
    for (int i = 0; i < n; i++) {
        cr_assert_float_eq(h[i].score, probe_prob(c, &p, h[i].path), 1e-5, "%s",
                           h[i].path);
        if (i) cr_assert_geq(h[i - 1].score, h[i].score);
    }
    collection_probe_free(&p);
    collection_close(c);
    e2e_run_free(&r);

    const char *t[] = {"--probe", "redness", "--in", held, "-n",
                       "100",     "-t",      "0.5",  NULL};
    r = run("vlmsearch", t);
    cr_assert_eq(r.status, 0, "%s", r.err);
    int above = e2e_count_lines(r.out);
    cr_assert(above >= N_HELD * 9 / 10 && above <= N_HELD + 2,
              "-t is a probability: %d above 0.5\n%s", above, r.out);
    e2e_run_free(&r);
}

/* "a photo + probe:redness": the probe's unit weight direction joins the
 * text's unit vector (query_parse.h); the ranking equals that vector's
 * brute-force cosine ranking, and leans towards red. */
Test(cli_probe, probe_term_mixes_with_text)
{
    e2e_run r = train_redness();
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_run_free(&r);
    char err[VLM_ERR_MAX];
    clip_model *m;
    clip_options o = clip_options_default();
    o.parts = CLIP_PART_TEXT;
    cr_assert_eq(clip_model_load(ws.model, &o, &m, err), 0, "%s", err);
    int dims = clip_embed_dim(m);
    float t[64], q[64];
    cr_assert_eq(clip_encode_text(m, "a photo", t, err), 0);
    clip_l2_normalize(t, dims);
    clip_model_destroy(m);
    collection *c;
    collection_probe p;
    cr_assert_eq(collection_open(ws.coll, NULL, &c, err), 0, "%s", err);
    cr_assert_eq(collection_get_probe(c, "redness", &p, err), 0, "%s", err);
    double wn = 0;
    for (int j = 0; j < dims; j++)
        wn += p.classes[0].weights[j] * p.classes[0].weights[j];
    for (int j = 0; j < dims; j++)
        q[j] = t[j] + 2 * p.classes[0].weights[j] / (float)sqrt(wn);
    clip_l2_normalize(q, dims);

    const char *s[] = {"-f", "jsonl",           "-n", "20", "a photo",
                       "+",  "2:probe:redness", NULL};
    r = run("vlmsearch", s);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.err, "in the query: probe 'redness'"), "%s", r.err);
    scored_path h[20];
    int n = parse_hits(r.out, h, 20), red = 0;
    cr_assert_eq(n, 20);
    for (int i = 0; i < n; i++) {
        collection_image row;
        float e[64], cos = 0;
        cr_assert_eq(collection_find_by_path(c, h[i].path, &row, err), 0);
        cr_assert_eq(collection_get_embedding(c, row.id, e, dims, err), 0);
        for (int j = 0; j < dims; j++) cos += e[j] * q[j];
        cr_assert_float_eq(h[i].score, cos, 1e-4, "rank %d", i + 1);
        red += strstr(h[i].path, "/red/") != NULL;
    }
    cr_assert_geq(red, 18, "the probe term pulls red up: %d of 20", red);
    collection_probe_free(&p);
    collection_close(c);
    e2e_run_free(&r);
}

/* ---- several classes ----------------------------------------------------------- */

Test(cli_probe, multi_class_probe)
{
    const char *a[] = {"probe", "train",   "colour", "--class",
                       "red=",  "--class", "x",      NULL};
    char red[900], green[900], blue[900];
    snprintf(red, sizeof red, "red=%s", dir_of("train", "red"));
    snprintf(green, sizeof green, "green=%s", dir_of("train", "green"));
    snprintf(blue, sizeof blue, "blue=%s", dir_of("train", "blue"));
    e2e_run r = run("vlmindex", a);
    cr_assert_eq(r.status, 2, "a --class without CLASS=PATH is refused");
    cr_assert(strstr(r.err, "write CLASS=PATH"), "%s", r.err);
    e2e_run_free(&r);
    const char *t[] = {"probe",   "train", "colour",  "--class", red,
                       "--class", green,   "--class", blue,      NULL};
    r = run("vlmindex", t);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "3 classes, 48 examples ('red' 16, 'green' 16, "
                            "'blue' 16)"),
              "%s", r.out);
    cr_assert_geq(number_after(r.out, "accuracy "), 0.9, "%s", r.out);
    e2e_run_free(&r);

    char held[800];
    snprintf(held, sizeof held, "%s/held", imgs);
    const char *c[] = {"classify", "--probe", "colour", "--in", held, NULL};
    r = run("vlmindex", c);
    cr_assert_eq(r.status, 0, "%s", r.err);
    int right = 0, n = 0;
    char *save = NULL;
    strtok_r(r.out, "\n", &save); /* the header */
    for (char *l = strtok_r(NULL, "\n", &save); l;
         l = strtok_r(NULL, "\n", &save), n++)
        for (int k = 0; k < 3; k++) {
            char dir[32], label[32];
            snprintf(dir, sizeof dir, "/held/%s/", colours[k].name);
            snprintf(label, sizeof label, ".ppm,%s,", colours[k].name);
            right += strstr(l, dir) && strstr(l, label);
        }
    cr_assert_geq((double)right / n, 0.9, "%d of %d right", right, n);
    cr_assert_eq(n, 3 * N_HELD);
    e2e_run_free(&r);

    const char *none[] = {"--probe", "colour", "cat", NULL};
    r = run("vlmsearch", none);
    cr_assert_eq(r.status, 2, "--probe takes no QUERY");
    e2e_run_free(&r);
    const char *which[] = {"--probe", "colour", NULL};
    r = run("vlmsearch", which);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "has 3 classes ('red', 'green', 'blue'): name one"),
              "%s", r.err);
    e2e_run_free(&r);
    const char *g[] = {"--probe", "colour:green", "--in",  held, "-n",
                       "12",      "-f",           "paths", NULL};
    r = run("vlmsearch", g);
    cr_assert_eq(r.status, 0, "%s", r.err);
    int green_hits = 0;
    for (const char *l = r.out; (l = strstr(l, "/held/green/")); l++)
        green_hits++;
    cr_assert_geq(green_hits, 11, "%s", r.out);
    e2e_run_free(&r);
}

/* ---- refusals ---------------------------------------------------------------- */

Test(cli_probe, too_few_examples_are_refused)
{
    char three[3][900];
    for (int i = 0; i < 3; i++)
        snprintf(three[i], sizeof three[i], "%s/%02d.ppm",
                 dir_of("train", "red"), i);
    const char *a[] = {"probe",
                       "train",
                       "tiny",
                       "--positive",
                       three[0],
                       "--positive",
                       three[1],
                       "--positive",
                       three[2],
                       "--negative",
                       dir_of("train", "blue"),
                       NULL};
    e2e_run r = run("vlmindex", a);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "the class 'tiny' has 3 examples; at least 5 per "
                            "class are needed"),
              "%s", r.err);
    e2e_run_free(&r);
    const char *l[] = {"probe", "list", NULL};
    r = run("vlmindex", l);
    cr_assert_eq(e2e_count_lines(r.out), 1, "nothing stored: %s", r.out);
    e2e_run_free(&r);
    const char *bad[] = {"probe",  "train",      "no/slash", "--positive",
                         three[0], "--negative", three[1],   NULL};
    r = run("vlmindex", bad);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "is not a probe name"), "%s", r.err);
    e2e_run_free(&r);
}

/* Examples must be indexed, or --add indexes them first. */
Test(cli_probe, unindexed_examples_need_add)
{
    cr_assert_eq(make_set(ws.root, "extra", 6, 4242), 0);
    char red[800], blue[800];
    snprintf(red, sizeof red, "%s/extra/red", ws.root);
    snprintf(blue, sizeof blue, "%s/extra/blue", ws.root);
    const char *a[] = {"probe", "train",      "extra", "--positive",
                       red,     "--negative", blue,    NULL};
    e2e_run r = run("vlmindex", a);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "have no indexed image") &&
                  strstr(r.err, "vlmindex add") && strstr(r.err, "--add"),
              "%s", r.err);
    e2e_run_free(&r);
    const char *b[] = {"probe", "train",      "extra", "--add", "--positive",
                       red,     "--negative", blue,    NULL};
    r = run("vlmindex", b);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.err, "indexed the examples: added 12"), "%s", r.err);
    cr_assert(strstr(r.out, "12 examples ('extra' 6, 'not extra' 6)"), "%s",
              r.out);
    e2e_run_free(&r);
}

/* The same collection re-indexed with another model keeps its probes,
 * which are then refused everywhere (their weights mean nothing there). */
Test(cli_probe, a_probe_from_another_model_is_refused)
{
    e2e_run r = train_redness();
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_run_free(&r);
    /* The same architecture, other weights: a changed config is another
     * model id, with the same dimensions. */
    char other[700];
    snprintf(other, sizeof other, "%s/other-model", ws.root);
    cr_assert_eq(e2e_sh("mkdir '%s' && cp -L '%s'/* '%s/' && sed -i "
                        "'s/\"logit_scale_init_value\"/\"_retrained\": "
                        "1, &/' '%s/config.json'",
                        other, ws.model, other, other),
                 0);
    char train[800];
    snprintf(train, sizeof train, "%s/train", imgs);
    cr_assert_eq(e2e_sh("'%s/bin/vlmindex' reset --collection '%s' -q && "
                        "'%s/bin/vlmindex' add -q --collection '%s' "
                        "--model '%s' '%s' >/dev/null",
                        getenv("VLM_BUILD_DIR"), ws.coll,
                        getenv("VLM_BUILD_DIR"), ws.coll, other, train),
                 0);
    const char *cl[] = {"classify", "--collection", ws.coll,
                        "--probe",  "redness",      NULL};
    r = e2e_exec("vlmindex", cl);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "probe 'redness' was trained under another model"),
              "%s", r.err);
    e2e_run_free(&r);
    const char *s[] = {"--collection", ws.coll, "--probe", "redness", NULL};
    r = e2e_exec("vlmsearch", s);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "trained under another model"), "%s", r.err);
    e2e_run_free(&r);
    const char *t[] = {"--collection", ws.coll, "--model",       other,
                       "red",          "+",     "probe:redness", NULL};
    r = e2e_exec("vlmsearch", t);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "trained under another model"), "%s", r.err);
    e2e_run_free(&r);
    const char *l[] = {"probe", "list", "--collection", ws.coll, NULL};
    r = e2e_exec("vlmindex", l);
    cr_assert(strstr(r.out, "other model: retrain"), "%s", r.out);
    e2e_run_free(&r);
}

/* ---- list, show, rm ------------------------------------------------------------ */

Test(cli_probe, list_show_rm)
{
    e2e_run r = train_redness();
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_run_free(&r);
    const char *l[] = {"probe", "list", NULL};
    r = run("vlmindex", l);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "\nredness\t2\t48\t"), "%s", r.out);
    cr_assert(strstr(r.out, "\tyes\n"), "%s", r.out);
    e2e_run_free(&r);
    const char *s[] = {"probe", "show", "redness", "--examples", NULL};
    r = run("vlmindex", s);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "cross-validated (5 folds, C = "), "%s", r.out);
    char ex[900];
    snprintf(ex, sizeof ex, "redness\t%s/00.ppm\n", dir_of("train", "red"));
    cr_assert(strstr(r.out, ex), "the examples are listed: %s", r.out);
    snprintf(ex, sizeof ex, "not redness\t%s/15.ppm\n",
             dir_of("train", "green"));
    cr_assert(strstr(r.out, ex), "%s", r.out);
    e2e_run_free(&r);
    const char *rm[] = {"probe", "rm", "redness", NULL};
    r = run("vlmindex", rm);
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_run_free(&r);
    r = run("vlmindex", rm);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "no probe named 'redness'"), "%s", r.err);
    e2e_run_free(&r);
    const char *v[] = {"probe", "trian", NULL};
    r = run("vlmindex", v);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "did you mean train?"), "%s", r.err);
    e2e_run_free(&r);
}

/* ---- relevance feedback ----------------------------------------------------------- */

static void embedding_of(collection *c, const char *path, float *e)
{
    collection_image row;
    char err[VLM_ERR_MAX];
    cr_assert_eq(collection_find_by_path(c, path, &row, err), 0, "%s", path);
    cr_assert_eq(collection_get_embedding(c, row.id, e, 24, err), 0);
}

Test(cli_probe, more_like_less_like_is_rocchio)
{
    char more[900], less[900];
    snprintf(more, sizeof more, "%s/03.ppm", dir_of("held", "green"));
    snprintf(less, sizeof less, "%s/04.ppm", dir_of("held", "blue"));
    const char *a[] = {"--more-like", more, "--less-like", less, "-n",
                       "10",          "-f", "jsonl",       NULL};
    e2e_run r = run("vlmsearch", a);
    cr_assert_eq(r.status, 0, "%s", r.err);
    scored_path h[10];
    int n = parse_hits(r.out, h, 10), green = 0;
    cr_assert_eq(n, 10);
    collection *c;
    char err[VLM_ERR_MAX];
    float em[24], el[24], q[24];
    cr_assert_eq(collection_open(ws.coll, NULL, &c, err), 0, "%s", err);
    embedding_of(c, more, em);
    embedding_of(c, less, el);
    for (int j = 0; j < 24; j++) q[j] = 0.75f * em[j] - 0.15f * el[j];
    clip_l2_normalize(q, 24);
    for (int i = 0; i < n; i++) {
        cr_assert(strcmp(h[i].path, more) && strcmp(h[i].path, less),
                  "the marked images are left out");
        float e[24], cos = 0;
        embedding_of(c, h[i].path, e);
        for (int j = 0; j < 24; j++) cos += e[j] * q[j];
        cr_assert_float_eq(h[i].score, cos, 1e-4, "rank %d", i + 1);
        green += strstr(h[i].path, "/green/") != NULL;
    }
    cr_assert_geq(green, 9, "more like a green image: %d of 10", green);
    collection_close(c);
    e2e_run_free(&r);

    const char *alone[] = {"--less-like", less, NULL};
    r = run("vlmsearch", alone);
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "nothing to move away from"), "%s", r.err);
    e2e_run_free(&r);
    const char *with_query[] = {"red", "--more-like", more, "-n", "3", NULL};
    r = run("vlmsearch", with_query);
    cr_assert_eq(r.status, 0, "a query refined by feedback: %s", r.err);
    cr_assert_eq(e2e_count_lines(r.out), 3);
    e2e_run_free(&r);
    /* --include-self keeps the examples: the one liked image is the whole
     * direction, so it comes first. */
    const char *self[] = {"--more-like", more, "--include-self", "-n",
                          "1",           "-f", "paths",          NULL};
    r = run("vlmsearch", self);
    cr_assert_eq(r.status, 0, "%s", r.err);
    char want[1000];
    snprintf(want, sizeof want, "%s\n", more);
    cr_assert_str_eq(r.out, want);
    e2e_run_free(&r);
}

/* ---- worklists ---------------------------------------------------------------------- */

/* The held-out images as two studies (DICOM rows written here): the probe
 * ranks the red study first. */
Test(cli_probe, worklist_ranks_studies_by_the_probe)
{
    e2e_run r = train_redness();
    cr_assert_eq(r.status, 0, "%s", r.err);
    e2e_run_free(&r);
    collection *c;
    char err[VLM_ERR_MAX];
    cr_assert_eq(collection_open(ws.coll, NULL, &c, err), 0, "%s", err);
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < N_HELD; i++) {
            char path[900], sop[32];
            collection_image row;
            snprintf(path, sizeof path, "%s/%02d.ppm",
                     dir_of("held", colours[k].name), i);
            cr_assert_eq(collection_find_by_path(c, path, &row, err), 0);
            snprintf(sop, sizeof sop, "1.2.%d.%d", k, i);
            collection_dicom d = {.image_id = row.id,
                                  .study_uid = k ? "1.2.9.2" : "1.2.9.1",
                                  .series_uid = k ? "1.2.8.2" : "1.2.8.1",
                                  .sop_uid = sop,
                                  .modality = "OT"};
            cr_assert_eq(collection_put_dicom(c, &d, err), 0, "%s", err);
        }
    collection_close(c);
    const char *w[] = {"--probe", "redness", "--worklist", NULL};
    r = run("vlmsearch", w);
    cr_assert_eq(r.status, 0, "%s", r.err);
    char *row1 = strchr(r.out, '\n');
    cr_assert(row1 && !strncmp(row1 + 1, "1,1.2.9.1,", 10), "%s", r.out);
    cr_assert(strstr(r.out, "probe 'redness'"), "the rows name the probe");
    cr_assert_eq(e2e_count_lines(r.out), 3, "%s", r.out);
    e2e_run_free(&r);
    const char *cw[] = {"classify",   "--probe",    "redness",
                        "--worklist", "--no-store", NULL};
    r = run("vlmindex", cw);
    cr_assert_eq(r.status, 0, "%s", r.err);
    row1 = strchr(r.out, '\n');
    cr_assert(row1 && !strncmp(row1 + 1, "1,1.2.9.1,", 10), "%s", r.out);
    cr_assert(strstr(r.out, "probe:redness:redness"), "%s", r.out);
    e2e_run_free(&r);
}
