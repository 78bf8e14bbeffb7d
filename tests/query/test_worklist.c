/* query/worklist.h: slices aggregate into series and studies exactly as
 * documented (series max and top-k mean, the study's best series, ranking
 * by max, filters), images without DICOM fields are ignored, the CSV and
 * JSONL rows, and the query worklist's scores. */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/worklist.h"
#include "tests/schema/schema_test_util.h"

#define DIMS 4

static char *dir;
static collection *c;
static int64_t ids[8];
static char err[VLM_ERR_MAX];

/* Study S1: series A (3 slices), series B (1 slice); study S2: series C
 * (2 slices); one image without DICOM fields. */
static const struct {
    const char *study, *series;
} layout[7] = {{"S1", "A"}, {"S1", "A"}, {"S1", "A"}, {"S1", "B"},
               {"S2", "C"}, {"S2", "C"}, {NULL, NULL}};

static void setup(void)
{
    dir = scratch_dir();
    c = open_test_collection(dir, DIMS);
    float *v = random_unit_vectors(7, DIMS, 9);
    add_test_images(c, "/w", v, 7, DIMS, ids);
    free(v);
    for (int i = 0; i < 6; i++) {
        char sop[16];
        snprintf(sop, sizeof sop, "1.%d", i);
        collection_dicom d = {.image_id = ids[i],
                              .study_uid = layout[i].study,
                              .series_uid = layout[i].series,
                              .sop_uid = sop,
                              .accession = "ACC,1",
                              .modality = "CT",
                              .study_date = "20240102",
                              .window = "-600/1500"};
        cr_assert_eq(collection_put_dicom(c, &d, err), VLM_OK, "%s", err);
    }
}

static void teardown(void)
{
    collection_close(c);
    scratch_remove(dir);
}

TestSuite(worklist, .init = setup, .fini = teardown);

static worklist_study *build(const float *scores, const worklist_options *o,
                             int *n)
{
    worklist_study *w;
    cr_assert_eq(worklist_build(c, ids, scores, 7, o, &w, n, err), VLM_OK, "%s",
                 err);
    return w;
}

Test(worklist, slices_aggregate_into_studies)
{
    /* S1/A: .9 .5 .1 (max .9, top-3 mean .5); S1/B: .95 (max .95, mean .95)
     * S2/C: .8 .7 (max .8, mean .75); the plain image scores 1.0 */
    const float scores[7] = {.9f, .5f, .1f, .95f, .8f, .7f, 1.0f};
    int n;
    worklist_study *w = build(scores, NULL, &n);
    cr_assert_eq(n, 2, "the image without DICOM fields is ignored");
    cr_assert_str_eq(w[0].study_uid, "S1");
    cr_assert_float_eq(w[0].score_max, .95f, 1e-6);
    cr_assert_str_eq(w[0].best_series_uid, "B");
    cr_assert_str_eq(w[0].best_sop_uid, "1.3");
    cr_assert_float_eq(w[0].score_topk_mean, .95f, 1e-6,
                       "the best series by top-k mean");
    cr_assert_eq(w[0].images, 4);
    cr_assert_eq(w[0].series, 2);
    cr_assert_str_eq(w[0].window, "-600/1500");
    cr_assert_str_eq(w[1].study_uid, "S2");
    cr_assert_float_eq(w[1].score_topk_mean, .75f, 1e-6);
    free(w);

    worklist_options k1 = {.top_k = 1, .use_min = 1, .min_score = .9f};
    w = build(scores, &k1, &n);
    cr_assert_eq(n, 1, "S2's max .8 is under the threshold");
    free(w);
    worklist_options first = {.max_studies = 1};
    w = build(scores, &first, &n);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(w[0].study_uid, "S1");
    free(w);
}

static char *written(const worklist_study *w, int n, int jsonl)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    worklist_context ctx = {"nodule, left", "tiny", "2024-01-02T03:04:05Z"};
    worklist_write(f, jsonl, w, n, &ctx);
    fclose(f);
    return buf;
}

Test(worklist, csv_and_jsonl_rows_carry_the_marker)
{
    const float scores[7] = {.1f, .2f, .3f, .4f, .5f, .6f, .7f};
    int n;
    worklist_study *w = build(scores, NULL, &n);
    char *csv = written(w, n, 0);
    cr_assert(!strncmp(csv, "rank,study_uid,accession,", 25), "%s", csv);
    cr_assert(strstr(csv, "\n1,S2,\"ACC,1\",C,1.5,"), "%s", csv);
    cr_assert(strstr(csv, ",\"nodule, left\",tiny,-600/1500,"), "%s", csv);
    cr_assert(strstr(csv, WORKLIST_NOTE "\n2,S1,"), "%s", csv);
    free(csv);
    char *jl = written(w, n, 1);
    json_object *o = json_tokener_parse(jl); /* the first line */
    cr_assert_not_null(o, "%s", jl);
    json_object *f;
    cr_assert(json_object_object_get_ex(o, "note", &f));
    cr_assert_str_eq(json_object_get_string(f), WORKLIST_NOTE);
    cr_assert(json_object_object_get_ex(o, "score_max", &f));
    cr_assert_float_eq(json_object_get_double(f), .6, 1e-6);
    json_object_put(o);
    free(jl);
    free(w);
    char when[32];
    worklist_time_now(when);
    cr_assert_eq(strlen(when), 20, "%s", when);
    cr_assert_eq(when[10], 'T');
    cr_assert_eq(when[19], 'Z');
}

Test(worklist, the_query_worklist_scores_by_cosine)
{
    float q[DIMS];
    cr_assert_eq(collection_get_embedding(c, ids[4], q, DIMS, err), VLM_OK);
    int n;
    worklist_study *w;
    cr_assert_eq(worklist_for_query(c, q, DIMS, NULL, &w, &n, err), VLM_OK,
                 "%s", err);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(w[0].study_uid, "S2", "its own slice scores 1");
    cr_assert_float_eq(w[0].score_max, 1.0f, 1e-5);
    cr_assert_str_eq(w[0].best_sop_uid, "1.4");
    free(w);
}
