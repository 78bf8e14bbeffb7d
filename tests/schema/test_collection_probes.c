/* schema/collection_probes.h: a probe stored and read back exactly
 * (weights, NULL numbers, classes in order, examples), replaced by name,
 * listed, deleted with its rows, kept by a reset, and the migration. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/collection_internal.h"
#include "schema/collection_probes.h"
#include "tests/schema/schema_test_util.h"

#define DIMS 8

static char *dir;
static collection *c;
static char err[VLM_ERR_MAX];
static float w0[DIMS], w1[DIMS], w2[DIMS];

static void setup(void)
{
    dir = scratch_dir();
    c = open_test_collection(dir, DIMS);
    for (int j = 0; j < DIMS; j++) {
        w0[j] = 0.5f * j - 1;
        w1[j] = -0.25f * j;
        w2[j] = 1e-3f * j * j;
    }
}

static void teardown(void)
{
    collection_close(c);
    scratch_remove(dir);
}

TestSuite(collection_probes, .init = setup, .fini = teardown);

static collection_probe binary(const char *name, collection_probe_class *k)
{
    collection_probe p = {.dims = DIMS,
                          .reg_c = 3.16,
                          .folds = 5,
                          .cv_accuracy = 0.95,
                          .cv_auc = 0.99,
                          .cv_logloss = 0.1,
                          .precision_target = 0.9,
                          .threshold = NAN,
                          .threshold_precision = NAN,
                          .threshold_recall = NAN,
                          .n_classes = 2,
                          .classes = k};
    snprintf(p.name, sizeof p.name, "%s", name);
    snprintf(p.model_id, sizeof p.model_id, "model-a");
    snprintf(p.model_name, sizeof p.model_name, "test/model");
    k[0] = (collection_probe_class){"yes", 7, w0, -0.75};
    k[1] = (collection_probe_class){"not yes", 9, NULL, 0};
    return p;
}

static int count_examples(void *ud, const char *path, int cls)
{
    int *n = ud;
    cr_assert(cls == 0 || cls == 1);
    cr_assert_eq(strncmp(path, "/x/", 3), 0);
    (*n)++;
    return 0;
}

Test(collection_probes, round_trip)
{
    collection_probe_class k[2];
    collection_probe p = binary("b1", k);
    const char *paths[] = {"/x/1.jpg", "/x/2.jpg", "/x/3.jpg"};
    int cls[] = {0, 1, 1};
    cr_assert_eq(collection_put_probe(c, &p, paths, cls, 3, err), VLM_OK, "%s",
                 err);
    collection_probe q;
    cr_assert_eq(collection_get_probe(c, "b1", &q, err), VLM_OK, "%s", err);
    cr_assert_str_eq(q.model_id, "model-a");
    cr_assert_str_eq(q.model_name, "test/model");
    cr_assert_eq(q.dims, DIMS);
    cr_assert_eq(q.folds, 5);
    cr_assert_float_eq(q.reg_c, 3.16, 1e-12);
    cr_assert_float_eq(q.cv_auc, 0.99, 1e-12);
    cr_assert(isnan(q.threshold), "NULL reads back as NAN");
    cr_assert_float_eq(q.precision_target, 0.9, 1e-12);
    cr_assert_gt(q.created_at, 0);
    cr_assert_eq(q.n_classes, 2);
    cr_assert_str_eq(q.classes[0].name, "yes");
    cr_assert_str_eq(q.classes[1].name, "not yes");
    cr_assert_eq(q.classes[0].examples, 7);
    cr_assert_eq(memcmp(q.classes[0].weights, w0, sizeof w0), 0);
    cr_assert_float_eq(q.classes[0].bias, -0.75, 0);
    cr_assert_null(q.classes[1].weights);
    collection_probe_free(&q);
    int n = 0;
    cr_assert_eq(collection_probe_examples(c, "b1", count_examples, &n, err),
                 VLM_OK);
    cr_assert_eq(n, 3);
}

static int names(void *ud, const collection_probe *p)
{
    char *out = ud;
    strcat(out, p->name);
    strcat(out, p->n_classes == 3 ? "(3)," : "(2),");
    return 0;
}

Test(collection_probes, replace_list_delete)
{
    collection_probe_class k[3];
    collection_probe p = binary("zeta", k);
    const char *paths[] = {"/x/a.jpg", "/x/b.jpg"};
    int cls[] = {0, 1};
    cr_assert_eq(collection_put_probe(c, &p, paths, cls, 2, err), VLM_OK);
    /* The same name again: three classes, one example; replaces all. */
    k[0].weights = w0, k[1] = (collection_probe_class){"b", 1, w1, 0.5};
    k[2] = (collection_probe_class){"c", 1, w2, 0.25};
    p.n_classes = 3;
    p.threshold = 0.7;
    cr_assert_eq(collection_put_probe(c, &p, paths, cls, 1, err), VLM_OK);
    collection_probe q;
    cr_assert_eq(collection_get_probe(c, "zeta", &q, err), VLM_OK);
    cr_assert_eq(q.n_classes, 3);
    cr_assert_eq(memcmp(q.classes[2].weights, w2, sizeof w2), 0);
    cr_assert_float_eq(q.threshold, 0.7, 1e-12);
    collection_probe_free(&q);
    int n = 0;
    collection_probe_examples(c, "zeta", count_examples, &n, err);
    cr_assert_eq(n, 1, "the old examples went with the old probe");

    collection_probe_class k2[2];
    collection_probe a = binary("alpha", k2);
    cr_assert_eq(collection_put_probe(c, &a, NULL, NULL, 0, err), VLM_OK);
    char listed[64] = "";
    cr_assert_eq(collection_for_each_probe(c, names, listed, err), VLM_OK);
    cr_assert_str_eq(listed, "alpha(2),zeta(3),");

    cr_assert_eq(collection_reset(c, err), VLM_OK, "%s", err);
    cr_assert_eq(collection_get_probe(c, "zeta", &q, err), VLM_OK,
                 "a reset keeps the probes (they are refused under another "
                 "model, and list their examples)");
    collection_probe_free(&q);

    cr_assert_eq(collection_delete_probe(c, "zeta", err), VLM_OK);
    cr_assert_eq(collection_get_probe(c, "zeta", &q, err), VLM_ENOTFOUND);
    cr_assert(strstr(err, "no probe named 'zeta'"), "%s", err);
    cr_assert_eq(collection_delete_probe(c, "zeta", err), VLM_ENOTFOUND);
    n = 0;
    collection_probe_examples(c, "zeta", count_examples, &n, err);
    cr_assert_eq(n, 0, "its examples are deleted with it");
}

Test(collection_probes, refuses_incomplete_probes_and_short_blobs)
{
    collection_probe_class k[2];
    collection_probe p = binary("bad", k);
    k[0].weights = NULL;
    cr_assert_eq(collection_put_probe(c, &p, NULL, NULL, 0, err), VLM_EINVAL);
    p.n_classes = 1;
    cr_assert_eq(collection_put_probe(c, &p, NULL, NULL, 0, err), VLM_EINVAL);
    /* A weights BLOB of the wrong size is a damaged probe, not a crash. */
    p = binary("short", k);
    cr_assert_eq(collection_put_probe(c, &p, NULL, NULL, 0, err), VLM_OK);
    cr_assert_eq(coll_exec(c,
                           "UPDATE probe_classes SET weights = x'0000' "
                           "WHERE probe = 'short'",
                           err),
                 VLM_OK);
    collection_probe q;
    cr_assert_eq(collection_get_probe(c, "short", &q, err), VLM_EFORMAT);
    cr_assert(strstr(err, "2 weight bytes, not 32"), "%s", err);
}
