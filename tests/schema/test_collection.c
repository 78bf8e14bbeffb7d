/* Tests for schema/collection.h: migrations, model binding, image rows,
 * generation / change log, derived tables, permissions, privacy. */
#include <criterion/criterion.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "schema/collection.h"
#include "schema/collection_internal.h" /* collection_db: schema whitebox */
#include "schema/vector_index.h"
#include "tests/schema/schema_test_util.h"

#define DIMS 8

TestSuite(collection, .init = scratch_fixture_init,
          .fini = scratch_fixture_fini);

Test(collection, open_missing_without_create_fails)
{
    collection *c = NULL;
    char sub[600];
    snprintf(sub, sizeof sub, "%s/nothing", test_dir);
    cr_assert_eq(collection_open(sub, NULL, &c, test_err), VLM_ENOTFOUND);
    cr_assert_null(c);
    cr_assert(strstr(test_err, "no collection") != NULL, "%s", test_err);
}

Test(collection, migrates_from_empty_and_reopens)
{
    char sub[600];
    snprintf(sub, sizeof sub, "%s/a/b/coll", test_dir); /* creates parents */
    collection *c = NULL;
    collection_options o = {.create_if_missing = true};
    cr_assert_eq(collection_open(sub, &o, &c, test_err), VLM_OK, "%s",
                 test_err);
    int version = collection_schema_version(c);
    cr_assert_geq(version, 1);
    cr_assert_eq(count_sql(c, "SELECT count(*) FROM sqlite_master WHERE "
                              "name IN ('images','roots','model','meta',"
                              "'classifications','captions','captions_fts',"
                              "'dicom','vector_changes')"),
                 9);
    char mode[16];
    sqlite3_stmt *st;
    sqlite3_prepare_v2(collection_db(c), "PRAGMA journal_mode", -1, &st, NULL);
    sqlite3_step(st);
    snprintf(mode, sizeof mode, "%s", sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    cr_assert_str_eq(mode, "wal");
    cr_assert_eq(collection_add_root(c, "/photos", test_err), VLM_OK, "%s",
                 test_err);
    collection_close(c);

    cr_assert_eq(collection_open(sub, NULL, &c, test_err), VLM_OK, "%s",
                 test_err);
    cr_assert_eq(collection_schema_version(c), version);
    char **roots;
    size_t n;
    cr_assert_eq(collection_list_roots(c, &roots, &n, test_err), VLM_OK);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(roots[0], "/photos");
    collection_free_strings(roots, n);
    collection_close(c);
}

/* collection_get_counts runs for every `status` and serve's /api/status:
 * at 10M images a scan of the images table (24 GB, the embeddings live in
 * its rows) took seconds to tens of seconds.  Every part of its plan must
 * go through an index. */
Test(collection, counts_never_scan_the_image_rows)
{
    collection *c = open_test_collection(test_dir, DIMS);
    sqlite3_stmt *st;
    char sql[1200];
    snprintf(sql, sizeof sql, "EXPLAIN QUERY PLAN %s", coll_counts_sql);
    cr_assert_eq(sqlite3_prepare_v2(collection_db(c), sql, -1, &st, NULL),
                 SQLITE_OK, "%s", sqlite3_errmsg(collection_db(c)));
    int steps = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *detail = (const char *)sqlite3_column_text(st, 3);
        bool images = strstr(detail, " images") != NULL;
        cr_assert(!images || strstr(detail, "INDEX"),
                  "the counts read every image row: %s", detail);
        steps++;
    }
    sqlite3_finalize(st);
    cr_assert_geq(steps, 3);
    collection_close(c);
}

Test(collection, model_mismatch_is_refused_with_advice)
{
    collection *c = open_test_collection(test_dir, DIMS);
    cr_assert_eq(
        collection_bind_model(c, "test-model", DIMS, "abc123", test_err),
        VLM_OK, "same model must be accepted: %s", test_err);
    cr_assert_eq(collection_bind_model(c, "other", DIMS, "zzz", test_err),
                 VLM_EMISMATCH);
    cr_assert(strstr(test_err, "--collection") &&
                  strstr(test_err, "vlmindex reset"),
              "%s", test_err);
    cr_assert_eq(collection_bind_model(c, "test-model", 16, "abc123", test_err),
                 VLM_EMISMATCH);
    collection_model m;
    cr_assert_eq(collection_get_model(c, &m, test_err), VLM_OK);
    cr_assert_str_eq(m.name, "test-model");
    cr_assert_eq(m.dims, DIMS);
    collection_close(c);

    /* reset forgets the model, so another one may be bound */
    cr_assert_eq(collection_open(test_dir, NULL, &c, test_err), VLM_OK, "%s",
                 test_err);
    cr_assert_eq(collection_reset(c, test_err), VLM_OK, "%s", test_err);
    cr_assert_eq(collection_bind_model(c, "other", 16, "zzz", test_err), VLM_OK,
                 "%s", test_err);
    collection_close(c);
}

typedef struct hash_visit {
    int n, stop_after;
    int64_t ids[4];
    char paths[4][64];
} hash_visit;

static int visit_hash_row(void *ud, int64_t id, const char *path)
{
    hash_visit *hv = ud;
    hv->ids[hv->n] = id;
    snprintf(hv->paths[hv->n], sizeof hv->paths[0], "%s", path);
    return ++hv->n == hv->stop_after ? 7 : 0;
}

Test(collection, put_lookup_move_delete)
{
    collection *c = open_test_collection(test_dir, DIMS);
    float v[DIMS] = {3, 4}; /* not normalised: stored as (0.6, 0.8) */
    collection_image_info info = {.path = "/p/a.jpg",
                                  .root = "/p",
                                  .size = 10,
                                  .mtime_ns = 123456789012LL,
                                  .content_hash = "hash-a",
                                  .width = 640,
                                  .height = 480,
                                  .format = "jpeg",
                                  .exif_datetime = "2020:01:02 03:04:05",
                                  .orientation = 6};
    int64_t id = 0;
    cr_assert_eq(collection_put_image(c, &info, v, DIMS, &id, test_err), VLM_OK,
                 "%s", test_err);
    collection_image row;
    cr_assert_eq(collection_find_by_path(c, "/p/a.jpg", &row, test_err),
                 VLM_OK);
    cr_assert_eq(row.id, id);
    cr_assert_eq(row.size, 10);
    cr_assert_eq(row.mtime_ns, 123456789012LL);
    cr_assert_str_eq(row.content_hash, "hash-a");
    cr_assert_eq(row.width, 640);
    cr_assert_eq(row.orientation, 6);
    cr_assert_str_eq(row.exif_datetime, "2020:01:02 03:04:05");
    cr_assert_eq(row.status, COLLECTION_STATUS_OK);
    cr_assert(row.has_embedding);
    collection_image by_id;
    cr_assert_eq(collection_get_image(c, id, &by_id, test_err), VLM_OK, "%s",
                 test_err);
    cr_assert_str_eq(by_id.path, "/p/a.jpg");
    cr_assert_eq(collection_get_image(c, id + 1000, &by_id, test_err),
                 VLM_ENOTFOUND);
    float back[DIMS];
    cr_assert_eq(collection_get_embedding(c, id, back, DIMS, test_err), VLM_OK);
    cr_assert_float_eq(back[0], 0.6f, 1e-6);
    cr_assert_float_eq(back[1], 0.8f, 1e-6);

    /* wrong dims refused */
    cr_assert_eq(collection_put_image(c, &info, v, DIMS - 1, NULL, test_err),
                 VLM_EMISMATCH);

    /* update by path keeps the id */
    int64_t id2 = 0;
    info.size = 11;
    cr_assert_eq(collection_put_image(c, &info, v, DIMS, &id2, test_err),
                 VLM_OK);
    cr_assert_eq(id2, id);

    /* content-hash lookups: the lowest embedded id, every (id, path) */
    int64_t found = 0;
    cr_assert_eq(collection_find_by_hash(c, "hash-a", &found, test_err), VLM_OK,
                 "%s", test_err);
    cr_assert_eq(found, id);
    cr_assert_eq(collection_find_by_hash(c, "nope", &found, test_err),
                 VLM_ENOTFOUND);
    hash_visit hv = {0};
    cr_assert_eq(
        collection_hash_rows(c, "hash-a", visit_hash_row, &hv, test_err), 0,
        "%s", test_err);
    cr_assert_eq(hv.n, 1);
    cr_assert_eq(hv.ids[0], id);
    cr_assert_str_eq(hv.paths[0], "/p/a.jpg");
    cr_assert_eq(
        collection_move_image(c, id, "/q/a.jpg", "/q", 11, 5, test_err), VLM_OK,
        "%s", test_err);
    cr_assert_eq(collection_find_by_path(c, "/p/a.jpg", &row, test_err),
                 VLM_ENOTFOUND);
    cr_assert_eq(collection_find_by_path(c, "/q/a.jpg", &row, test_err),
                 VLM_OK);
    cr_assert_eq(row.id, id);
    cr_assert(row.has_embedding);
    collection_brief b;
    cr_assert_eq(collection_image_brief(c, id, &b, test_err), VLM_OK, "%s",
                 test_err);
    cr_assert_str_eq(b.path, "/q/a.jpg");
    cr_assert_eq(b.width, 640);
    cr_assert_eq(b.height, 480);
    cr_assert_eq(collection_image_brief(c, id + 1000, &b, test_err),
                 VLM_ENOTFOUND);

    /* a second row with the same bytes: both visited, in id order */
    char real[700];
    snprintf(real, sizeof real, "%s/real.jpg", test_dir);
    info.path = real;
    int64_t id3 = 0;
    cr_assert_eq(collection_put_image(c, &info, v, DIMS, &id3, test_err),
                 VLM_OK);
    hv = (hash_visit){.stop_after = 0};
    cr_assert_eq(
        collection_hash_rows(c, "hash-a", visit_hash_row, &hv, test_err), 0);
    cr_assert_eq(hv.n, 2);
    cr_assert_eq(hv.ids[1], id3);
    hv = (hash_visit){.stop_after = 1}; /* the callback's value stops it */
    cr_assert_eq(
        collection_hash_rows(c, "hash-a", visit_hash_row, &hv, test_err), 7);
    cr_assert_eq(hv.n, 1);

    /* move onto a taken path is refused */
    cr_assert_eq(collection_move_image(c, id, real, test_dir, 1, 1, test_err),
                 VLM_EINVAL);

    cr_assert_eq(collection_delete_image(c, id, test_err), VLM_OK, "%s",
                 test_err);
    cr_assert_eq(collection_delete_image(c, id, test_err), VLM_ENOTFOUND);
    cr_assert_eq(collection_get_embedding(c, id, back, DIMS, test_err),
                 VLM_ENOTFOUND);
    collection_close(c);
}

Test(collection, prefix_delete_and_ids_under)
{
    collection *c = open_test_collection(test_dir, DIMS);
    float *v = random_unit_vectors(6, DIMS, 1);
    const char *paths[] = {"/r/a/1.jpg",  "/r/a/2.jpg", "/r/a/sub/3.jpg",
                           "/r/ab/4.jpg", "/r/a.jpg",   "/r/b/5.jpg"};
    int64_t ids[6];
    for (int i = 0; i < 6; i++) {
        collection_image_info info = {.path = paths[i], .root = "/r"};
        cr_assert_eq(collection_put_image(c, &info, v + i * DIMS, DIMS, &ids[i],
                                          test_err),
                     VLM_OK, "%s", test_err);
    }
    int64_t *under;
    size_t n;
    cr_assert_eq(collection_ids_under(c, "/r/a/", &under, &n, test_err),
                 VLM_OK);
    cr_assert_eq(n, 3, "/r/ab and /r/a.jpg are not under /r/a");
    cr_assert_eq(under[0], ids[0]);
    cr_assert_eq(under[2], ids[2]);
    free(under);
    cr_assert_eq(collection_ids_under(c, "/r/a.jpg", &under, &n, test_err),
                 VLM_OK);
    cr_assert_eq(n, 1);
    free(under);

    int64_t deleted = 0;
    cr_assert_eq(collection_delete_under(c, "/r/a", &deleted, test_err), VLM_OK,
                 "%s", test_err);
    cr_assert_eq(deleted, 3);
    collection_counts k;
    cr_assert_eq(collection_get_counts(c, &k, test_err), VLM_OK);
    cr_assert_eq(k.images, 3);
    cr_assert_eq(k.embeddings, 3);
    free(v);
    collection_close(c);
}

Test(collection, failures_and_cursor)
{
    collection *c = open_test_collection(test_dir, DIMS);
    float *v = random_unit_vectors(3, DIMS, 2);
    collection_image_info ok1 = {.path = "/x/1.jpg"},
                          ok2 = {.path = "/x/2.jpg"},
                          bad = {.path = "/x/bad.jpg", .size = 3};
    cr_assert_eq(collection_put_image(c, &ok1, v, DIMS, NULL, test_err),
                 VLM_OK);
    cr_assert_eq(collection_put_image(c, &ok2, v + DIMS, DIMS, NULL, test_err),
                 VLM_OK);
    cr_assert_eq(
        collection_put_failure(c, &bad, "not an image", NULL, test_err), VLM_OK,
        "%s", test_err);
    /* an image that later fails loses its embedding */
    int64_t gen0, gen1;
    collection_generation(c, &gen0, test_err);
    cr_assert_eq(
        collection_put_failure(c, &ok2, "truncated JPEG", NULL, test_err),
        VLM_OK);
    collection_generation(c, &gen1, test_err);
    cr_assert_eq(gen1, gen0 + 1, "dropping an embedding bumps generation");

    collection_cursor *cur;
    collection_image row;
    cr_assert_eq(
        collection_cursor_open(c, NULL, COLLECTION_ROWS_FAILED, &cur, test_err),
        VLM_OK, "%s", test_err);
    cr_assert_eq(collection_cursor_step(cur, &row, test_err), 1);
    cr_assert_str_eq(row.path, "/x/2.jpg");
    cr_assert_str_eq(row.error, "truncated JPEG");
    cr_assert_not(row.has_embedding);
    cr_assert_eq(collection_cursor_step(cur, &row, test_err), 1);
    cr_assert_str_eq(row.path, "/x/bad.jpg");
    cr_assert_eq(row.status, COLLECTION_STATUS_FAILED);
    cr_assert_eq(collection_cursor_step(cur, &row, test_err), 0);
    collection_cursor_close(cur);

    int n = 0;
    cr_assert_eq(
        collection_cursor_open(c, "/x", COLLECTION_ROWS_ALL, &cur, test_err),
        VLM_OK);
    while (collection_cursor_step(cur, &row, test_err) == 1) n++;
    collection_cursor_close(cur);
    cr_assert_eq(n, 3);

    collection_counts k;
    cr_assert_eq(collection_get_counts(c, &k, test_err), VLM_OK);
    cr_assert_eq(k.ok, 1);
    cr_assert_eq(k.failed, 2);
    cr_assert_eq(k.embeddings, 1);
    free(v);
    collection_close(c);
}

Test(collection, generation_and_change_log)
{
    collection *c = open_test_collection(test_dir, DIMS);
    float *v = random_unit_vectors(4, DIMS, 3);
    int64_t g0, g1, ids[4];
    cr_assert_eq(collection_generation(c, &g0, test_err), VLM_OK);
    add_test_images(c, "/g", v, 4, DIMS, ids);
    cr_assert_eq(collection_generation(c, &g1, test_err), VLM_OK);
    cr_assert_eq(g1, g0 + 4);

    /* a move does not touch embeddings: no bump */
    cr_assert_eq(
        collection_move_image(c, ids[0], "/g/moved.jpg", "/g", 1, 1, test_err),
        VLM_OK);
    int64_t g2;
    collection_generation(c, &g2, test_err);
    cr_assert_eq(g2, g1);

    int64_t *changed, current;
    size_t n;
    cr_assert_eq(
        collection_changes_since(c, g0 + 2, &changed, &n, &current, test_err),
        VLM_OK, "%s", test_err);
    cr_assert_eq(current, g1);
    cr_assert_eq(n, 2);
    cr_assert_eq(changed[0], ids[2]);
    cr_assert_eq(changed[1], ids[3]);
    free(changed);

    cr_assert_eq(collection_prune_changes(c, g0 + 3, test_err), VLM_OK);
    cr_assert_eq(
        collection_changes_since(c, g0 + 2, &changed, &n, &current, test_err),
        VLM_ENOTFOUND);
    cr_assert_eq(
        collection_changes_since(c, g0 + 3, &changed, &n, &current, test_err),
        VLM_OK);
    cr_assert_eq(n, 1);
    free(changed);
    free(v);
    collection_close(c);
}

Test(collection, rollback_discards_batch)
{
    collection *c = open_test_collection(test_dir, DIMS);
    float *v = random_unit_vectors(1, DIMS, 4);
    collection_image_info info = {.path = "/t/1.jpg"};
    cr_assert_eq(collection_begin(c, test_err), VLM_OK);
    cr_assert_eq(collection_put_image(c, &info, v, DIMS, NULL, test_err),
                 VLM_OK);
    collection_rollback(c);
    collection_image row;
    cr_assert_eq(collection_find_by_path(c, "/t/1.jpg", &row, test_err),
                 VLM_ENOTFOUND);
    int64_t g;
    collection_generation(c, &g, test_err);
    cr_assert_eq(g, 0);
    free(v);
    collection_close(c);
}

Test(collection, classifications_captions_dicom)
{
    collection *c = open_test_collection(test_dir, DIMS);
    float *v = random_unit_vectors(1, DIMS, 5);
    int64_t id;
    collection_image_info info = {.path = "/d/1.dcm", .format = "dicom"};
    cr_assert_eq(collection_put_image(c, &info, v, DIMS, &id, test_err),
                 VLM_OK);
    int64_t ls = 0, ls_again = 0;
    cr_assert_eq(
        collection_put_labelset(c, "ls1", "[\"cat\",\"dog\"]", &ls, test_err),
        VLM_OK, "%s", test_err);
    cr_assert_eq(collection_put_labelset(c, "ls1", "[\"cat\",\"dog\"]",
                                         &ls_again, test_err),
                 VLM_OK, "%s", test_err);
    cr_assert(ls > 0 && ls == ls_again, "a label set is stored once");
    cr_assert_eq(count_sql(c, "SELECT count(*) FROM labelsets"), 1);
    const float probs[2] = {0.1f, 0.9f};
    collection_classification cl = {.image_id = id,
                                    .labelset_id = ls,
                                    .top_label = "dog",
                                    .top_prob = 0.9,
                                    .probs = probs,
                                    .n_probs = 2,
                                    .model_id = "abc123"};
    cr_assert_eq(collection_put_classification(c, &cl, test_err), VLM_OK, "%s",
                 test_err);
    cl.top_prob = 0.8;
    cr_assert_eq(collection_put_classification(c, &cl, test_err), VLM_OK);
    cr_assert_eq(count_sql(c, "SELECT count(*) FROM classifications"), 1);
    cr_assert_eq(count_sql(c, "SELECT length(probs) FROM classifications"), 8,
                 "probs are float32, one per label");

    cr_assert_eq(collection_put_caption(c, id, "llava", "describe",
                                        "a chest x-ray with a nodule",
                                        test_err),
                 VLM_OK, "%s", test_err);
    cr_assert_eq(count_sql(c, "SELECT count(*) FROM captions_fts "
                              "WHERE captions_fts MATCH 'nodule'"),
                 1);
    cr_assert_eq(collection_put_caption(c, id, "llava", "describe",
                                        "a knee radiograph", test_err),
                 VLM_OK);
    cr_assert_eq(count_sql(c, "SELECT count(*) FROM captions_fts "
                              "WHERE captions_fts MATCH 'nodule'"),
                 0);
    cr_assert_eq(count_sql(c, "SELECT count(*) FROM captions_fts "
                              "WHERE captions_fts MATCH 'knee'"),
                 1);

    collection_dicom d = {.image_id = id,
                          .sop_uid = "1.2.3",
                          .modality = "CR",
                          .instance_number = 4,
                          .window = "40/400"};
    cr_assert_eq(collection_put_dicom(c, &d, test_err), VLM_OK, "%s", test_err);
    collection_counts k;
    collection_get_counts(c, &k, test_err);
    cr_assert_eq(k.classifications, 1);
    cr_assert_eq(k.captions, 1);
    cr_assert_eq(k.dicom, 1);

    /* deleting the image removes dependent rows and their FTS entries */
    cr_assert_eq(collection_delete_image(c, id, test_err), VLM_OK);
    collection_get_counts(c, &k, test_err);
    cr_assert_eq(k.classifications + k.captions + k.dicom, 0);
    cr_assert_eq(count_sql(c, "SELECT count(*) FROM captions_fts "
                              "WHERE captions_fts MATCH 'knee'"),
                 0);
    free(v);
    collection_close(c);
}

Test(collection, dicom_table_has_no_patient_columns)
{
    collection *c = open_test_collection(test_dir, DIMS);
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(collection_db(c),
                                    "SELECT lower(name) FROM pragma_table_info"
                                    "('dicom')",
                                    -1, &st, NULL),
                 SQLITE_OK);
    int columns = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        columns++;
        cr_assert_null(strstr(name, "patient"), "PHI column %s", name);
        cr_assert_null(strstr(name, "birth"), "PHI column %s", name);
        cr_assert_null(strstr(name, "name"), "PHI column %s", name);
    }
    sqlite3_finalize(st);
    cr_assert_eq(columns, 11);
    /* and nowhere else in the schema text either */
    cr_assert_eq(count_sql(c, "SELECT count(*) FROM sqlite_master WHERE "
                              "lower(sql) LIKE '%patient%' OR "
                              "lower(sql) LIKE '%birth%'"),
                 0);
    collection_close(c);
}

Test(collection, private_permissions)
{
    char sub[600];
    snprintf(sub, sizeof sub, "%s/private", test_dir);
    collection *c = NULL;
    collection_options o = {.create_if_missing = true, .private_perms = true};
    mode_t old = umask(022);
    cr_assert_eq(collection_open(sub, &o, &c, test_err), VLM_OK, "%s",
                 test_err);
    umask(old);
    struct stat sb;
    cr_assert_eq(stat(sub, &sb), 0);
    cr_assert_eq(sb.st_mode & 0777, 0700);
    char db[700];
    snprintf(db, sizeof db, "%s/collection.db", sub);
    cr_assert_eq(stat(db, &sb), 0);
    cr_assert_eq(sb.st_mode & 0777, 0600);
    snprintf(db, sizeof db, "%s/collection.db-wal", sub);
    cr_assert_eq(stat(db, &sb), 0);
    cr_assert_eq(sb.st_mode & 0077, 0, "WAL file readable by others");
    collection_close(c);

    /* reopened without the option, new files stay private */
    cr_assert_eq(collection_open(sub, NULL, &c, test_err), VLM_OK, "%s",
                 test_err);
    cr_assert_eq(collection_bind_model(c, "m", 4, "id", test_err), VLM_OK);
    vector_index *vi = NULL;
    vector_index_options vo = {.save_after_rebuild = true};
    cr_assert_eq(vector_index_open(c, &vo, &vi, test_err), VLM_OK, "%s",
                 test_err);
    vector_index_close(vi);
    snprintf(db, sizeof db, "%s/%s", sub, VECTOR_INDEX_FILE_NAME);
    cr_assert_eq(stat(db, &sb), 0);
    cr_assert_eq(sb.st_mode & 0777, 0600);
    collection_close(c);
}

Test(collection, default_dir_follows_env)
{
    char buf[512];
    setenv("VLMINDEX_COLLECTION", "/tmp/explicit", 1);
    cr_assert_eq(collection_default_dir(buf, sizeof buf, test_err), VLM_OK);
    cr_assert_str_eq(buf, "/tmp/explicit");
    unsetenv("VLMINDEX_COLLECTION");
    setenv("XDG_DATA_HOME", "/tmp/xdg", 1);
    cr_assert_eq(collection_default_dir(buf, sizeof buf, test_err), VLM_OK);
    cr_assert_str_eq(buf, "/tmp/xdg/vlmindex/collection");
}
