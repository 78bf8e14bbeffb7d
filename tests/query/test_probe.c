/* query/probe.h and feedback.h on a collection of synthetic embeddings:
 * training from folders, the examples' checks, the model id check, the
 * label set's threshold rule, ranking through the vector index (the
 * direction rule), probe:NAME vectors, evaluation, worklists, and
 * Rocchio's rule with the feedback examples left out of the results. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "query/feedback.h"
#include "query/probe.h"
#include "query/worklist.h"
#include "tests/schema/schema_test_util.h"

#define DIMS 16
#define N    24 /* per folder */

static char *dir;
static char pos_dir[700], neg_dir[700], mid_dir[700];
static collection *c;
static vector_index *vi;
static int64_t ids[3 * N];
static char err[VLM_ERR_MAX];

/* Unit vectors around +axis0 (pos), -axis0 (neg) and axis1 (mid). */
static float *cluster(int axis, float sign, uint64_t seed)
{
    float *v = random_unit_vectors(N, DIMS, seed);
    for (int i = 0; i < N; i++) {
        float *x = v + i * DIMS, norm = 0;
        for (int j = 0; j < DIMS; j++) x[j] *= 0.3f;
        x[axis] += sign;
        for (int j = 0; j < DIMS; j++) norm += x[j] * x[j];
        for (int j = 0; j < DIMS; j++) x[j] /= sqrtf(norm);
    }
    return v;
}

static void setup(void)
{
    dir = scratch_dir();
    snprintf(pos_dir, sizeof pos_dir, "%s/pos", dir);
    snprintf(neg_dir, sizeof neg_dir, "%s/neg", dir);
    snprintf(mid_dir, sizeof mid_dir, "%s/mid", dir);
    mkdir(pos_dir, 0755), mkdir(neg_dir, 0755), mkdir(mid_dir, 0755);
    c = open_test_collection(dir, DIMS);
    float *p = cluster(0, 1, 1), *n = cluster(0, -1, 2), *m = cluster(1, 1, 3);
    add_test_images(c, pos_dir, p, N, DIMS, ids);
    add_test_images(c, neg_dir, n, N, DIMS, ids + N);
    add_test_images(c, mid_dir, m, N, DIMS, ids + 2 * N);
    free(p), free(n), free(m);
    cr_assert_eq(vector_index_open(c, NULL, &vi, err), VLM_OK, "%s", err);
}

static void teardown(void)
{
    vector_index_close(vi);
    collection_close(c);
    scratch_remove(dir);
}

TestSuite(probe, .init = setup, .fini = teardown);

static const char *model_id(void)
{
    static collection_model m;
    cr_assert_eq(collection_get_model(c, &m, err), VLM_OK);
    return m.model_id;
}

static void train_binary(const char *name, collection_probe *out)
{
    const char *pos[] = {pos_dir}, *neg[] = {neg_dir, mid_dir};
    probe_class_input cls[2] = {{name, pos, 1}, {"rest", neg, 2}};
    cr_assert_eq(probe_train(c, name, cls, 2, NULL, out, err), VLM_OK, "%s",
                 err);
}

Test(probe, trains_from_folders_and_stores_everything)
{
    collection_probe p;
    train_binary("up", &p);
    cr_assert_eq(p.n_classes, 2);
    cr_assert_eq(p.classes[0].examples, N);
    cr_assert_eq(p.classes[1].examples, 2 * N);
    cr_assert_str_eq(p.model_id, model_id());
    cr_assert_geq(p.cv_accuracy, 0.99);
    cr_assert(!isnan(p.threshold));
    collection_probe_free(&p);
    /* Applying it needs the same model. */
    cr_assert_eq(probe_load(c, "up", model_id(), &p, err), VLM_OK);
    collection_probe_free(&p);
    cr_assert_eq(probe_load(c, "up", "another-model", &p, err), VLM_EMISMATCH);
    cr_assert(strstr(err, "trained under another model"), "%s", err);
}

Test(probe, refuses_bad_examples)
{
    char missing[800], file[800];
    snprintf(missing, sizeof missing, "%s/nothing-here", dir);
    snprintf(file, sizeof file, "%s/img0.jpg", pos_dir);
    const char *pos[] = {pos_dir, missing}, *neg[] = {neg_dir};
    probe_class_input cls[2] = {{"x", pos, 2}, {"y", neg, 1}};
    cr_assert_eq(probe_train(c, "x", cls, 2, NULL, NULL, err), VLM_ENOTFOUND);
    cr_assert(strstr(err, "1 of the example paths have no indexed image") &&
                  strstr(err, "nothing-here"),
              "%s", err);
    const char *both[] = {file};
    cls[0] = (probe_class_input){"x", pos, 1};
    cls[1] = (probe_class_input){"y", both, 1};
    cr_assert_eq(probe_train(c, "x", cls, 2, NULL, NULL, err), VLM_EINVAL);
    cr_assert(strstr(err, "img0.jpg is an example of two classes"), "%s", err);
    cls[1] = (probe_class_input){"x", neg, 1};
    cr_assert_eq(probe_train(c, "x", cls, 2, NULL, NULL, err), VLM_EINVAL);
    cr_assert(strstr(err, "'x' is given twice"), "%s", err);
    cls[1] = (probe_class_input){"y", neg, 1};
    cr_assert_eq(probe_train(c, "x y", cls, 2, NULL, NULL, err), VLM_EINVAL);
    cr_assert(strstr(err, "not a probe name"), "%s", err);
}

Test(probe, label_set_uses_the_threshold)
{
    collection_probe p;
    train_binary("up", &p);
    label_set *ls;
    cr_assert_eq(probe_label_set(&p, &ls, err), VLM_OK, "%s", err);
    cr_assert_str_eq(label_set_label(ls, 0), "up");
    float e[DIMS], probs[2];
    cr_assert_eq(collection_get_embedding(c, ids[3], e, DIMS, err), VLM_OK);
    cr_assert_eq(label_set_classify(ls, e, probs), 0);
    cr_assert_float_eq(probs[0], probe_rank_prob(&p, 0, e), 1e-6);
    cr_assert_float_eq(probs[0] + probs[1], 1, 1e-6);
    label_set_destroy(ls);
    /* A threshold above every probability: nothing is "up". */
    p.threshold = 1.5;
    cr_assert_eq(probe_label_set(&p, &ls, err), VLM_OK);
    cr_assert_eq(label_set_classify(ls, e, probs), 1);
    label_set_destroy(ls);
    collection_probe_free(&p);
}

Test(probe, search_ranks_by_the_weight_direction)
{
    collection_probe p;
    train_binary("up", &p);
    search_options so = {.top_k = N};
    search_hit *hits;
    int n;
    cr_assert_eq(probe_search(c, vi, &p, 0, &so, &hits, &n, err), VLM_OK, "%s",
                 err);
    cr_assert_eq(n, N);
    for (int i = 0; i < n; i++) {
        cr_assert(strstr(hits[i].path, "/pos/"), "rank %d: %s", i,
                  hits[i].path);
        if (i) cr_assert_geq(hits[i - 1].score, hits[i].score);
    }
    search_hits_free(hits, n);
    /* Class 1 of two ranks by the other end. */
    cr_assert_eq(probe_search(c, vi, &p, 1, &so, &hits, &n, err), VLM_OK);
    for (int i = 0; i < n; i++) cr_assert(!strstr(hits[i].path, "/pos/"));
    search_hits_free(hits, n);
    /* The threshold is a probability. */
    so.top_k = 3 * N;
    so.use_threshold = 1;
    so.min_score = 0.5f;
    cr_assert_eq(probe_search(c, vi, &p, 0, &so, &hits, &n, err), VLM_OK);
    cr_assert_eq(n, N);
    search_hits_free(hits, n);
    collection_probe_free(&p);
}

Test(probe, term_vectors_several_classes_and_eval)
{
    const char *pos[] = {pos_dir}, *neg[] = {neg_dir}, *mid[] = {mid_dir};
    probe_class_input cls[3] = {{"p", pos, 1}, {"n", neg, 1}, {"m", mid, 1}};
    collection_probe p;
    cr_assert_eq(probe_train(c, "three", cls, 3, NULL, &p, err), VLM_OK, "%s",
                 err);
    cr_assert(isnan(p.threshold));
    float v[DIMS];
    cr_assert_eq(probe_term_vector(c, model_id(), "three", v, DIMS, err),
                 VLM_EINVAL);
    cr_assert(strstr(err, "has 3 classes ('p', 'n', 'm'): name one"), "%s",
              err);
    cr_assert_eq(probe_term_vector(c, model_id(), "three:m", v, DIMS, err),
                 VLM_OK, "%s", err);
    double norm = 0;
    for (int j = 0; j < DIMS; j++) norm += v[j] * v[j];
    cr_assert_float_eq(norm, 1, 1e-5, "a unit direction");
    cr_assert_gt(v[1], 0.5, "towards the mid cluster's axis");
    cr_assert_eq(probe_term_vector(c, model_id(), "three:q", v, DIMS, err),
                 VLM_EINVAL);
    cr_assert_eq(probe_term_vector(c, "other", "three:m", v, DIMS, err),
                 VLM_EMISMATCH);

    probe_examples ex;
    cr_assert_eq(probe_gather(c, cls, 3, &ex, err), VLM_OK);
    probe_eval_result r;
    cr_assert_eq(probe_eval(c, &p, &ex, &r, err), VLM_OK, "%s", err);
    cr_assert_eq(r.n, 3 * N);
    cr_assert_eq(r.n_training, 3 * N, "the training examples, recognised");
    cr_assert_geq(r.accuracy, 0.99);
    cr_assert_geq(r.auc, 0.99);
    cr_assert_eq(r.per_class[2], N);
    probe_eval_result_free(&r);
    probe_examples_free(&ex);
    collection_probe_free(&p);
}

Test(probe, worklist_by_a_probe)
{
    collection_probe p;
    train_binary("up", &p);
    /* Study A: three neg slices and one pos; study B: four neg slices. */
    int64_t a[] = {ids[N], ids[N + 1], ids[N + 2], ids[5]},
            b[] = {ids[N + 3], ids[N + 4], ids[N + 5], ids[N + 6]};
    for (int i = 0; i < 8; i++) {
        char sop[16];
        snprintf(sop, sizeof sop, "1.%d", i);
        collection_dicom d = {.image_id = i < 4 ? a[i] : b[i - 4],
                              .study_uid = i < 4 ? "A" : "B",
                              .series_uid = i < 4 ? "A1" : "B1",
                              .sop_uid = sop};
        cr_assert_eq(collection_put_dicom(c, &d, err), VLM_OK, "%s", err);
    }
    label_set *ls;
    cr_assert_eq(probe_label_set(&p, &ls, err), VLM_OK);
    worklist_study *w;
    int n;
    cr_assert_eq(
        worklist_for_label(c, ls, 0, p.model_id, NULL, 0, NULL, &w, &n, err),
        VLM_OK, "%s", err);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(w[0].study_uid, "A", "the study with a positive slice");
    cr_assert_gt(w[0].score_max, 0.9);
    cr_assert_lt(w[1].score_max, 0.1);
    free(w);
    label_set_destroy(ls);
    collection_probe_free(&p);
}

Test(feedback, rocchio_by_hand)
{
    float q[2] = {1, 0}, more[4] = {0, 1, 0, 1}, less[2] = {1, 0}, out[2];
    /* 1*(1,0) + 0.75*(0,1) - 0.15*(1,0) = (0.85, 0.75) */
    cr_assert_eq(feedback_apply(q, more, 2, less, 1, 2, out, err), VLM_OK);
    double n = sqrt(0.85 * 0.85 + 0.75 * 0.75);
    cr_assert_float_eq(out[0], 0.85 / n, 1e-6);
    cr_assert_float_eq(out[1], 0.75 / n, 1e-6);
    /* No query: the relevant mean moved away from the rest. */
    cr_assert_eq(feedback_apply(NULL, more, 2, less, 1, 2, out, err), VLM_OK);
    n = sqrt(0.15 * 0.15 + 0.75 * 0.75);
    cr_assert_float_eq(out[0], -0.15 / n, 1e-6);
    cr_assert_eq(feedback_apply(NULL, NULL, 0, less, 1, 2, out, err),
                 VLM_EINVAL);
    cr_assert(strstr(err, "nothing to move towards"), "%s", err);
    float neg_q[2] = {0, -0.75f}; /* cancels the relevant mean exactly */
    cr_assert_eq(feedback_apply(neg_q, more, 2, NULL, 0, 2, out, err),
                 VLM_EINVAL);
}

Test(probe, feedback_by_ids_leaves_the_examples_out)
{
    int64_t more[] = {ids[2 * N], ids[2 * N + 1]}, less[] = {ids[0]};
    float q[DIMS];
    cr_assert_eq(feedback_query_ids(c, NULL, more, 2, less, 1, DIMS, q, err),
                 VLM_OK, "%s", err);
    int64_t skip[] = {more[0], more[1], less[0]};
    search_options so = {.top_k = 5, .exclude_ids = skip, .n_exclude = 3};
    search_hit *hits;
    int n;
    cr_assert_eq(search_run(c, vi, q, &so, &hits, &n, err), VLM_OK);
    cr_assert_eq(n, 5, "the excluded ids do not cost places");
    for (int i = 0; i < n; i++) {
        cr_assert(strstr(hits[i].path, "/mid/"), "%s", hits[i].path);
        for (int k = 0; k < 3; k++) cr_assert_neq(hits[i].id, skip[k]);
    }
    search_hits_free(hits, n);
    int64_t gone[] = {999999};
    cr_assert_eq(feedback_query_ids(c, NULL, gone, 1, NULL, 0, DIMS, q, err),
                 VLM_ENOTFOUND);
    cr_assert(strstr(err, "image 999999 has no stored embedding"), "%s", err);
}
