/* Tests for the named readers of schema/collection.h that replaced SQL in
 * indexer/ and query/: SOP Instance UID keys (and the migration that moved
 * them out of content_hash), captions, DICOM rows, vectors stored as given
 * when already unit length. */
#include <criterion/criterion.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/collection.h"
#include "schema/collection_internal.h" /* the v1 schema, for the migration */
#include "tests/schema/schema_test_util.h"

#define DIMS 8

TestSuite(collection_keys, .init = scratch_fixture_init,
          .fini = scratch_fixture_fini);

/* A collection as version 1 wrote it: a DICOMweb row whose SOP Instance
 * UID sits in content_hash, and a file row with a real content hash. */
static void write_v1_collection(const char *path)
{
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    exec_sql(db, schema_migration_steps[0]);
    exec_sql(db, "PRAGMA user_version = 1;"
                 "INSERT INTO model VALUES (1, 'm', 8, 'id', 0);"
                 "INSERT INTO images (id, path, content_hash, format, added_at,"
                 "  updated_at) VALUES"
                 " (1, 'http://pacs/studies/1/series/2/instances/1.2.3',"
                 "  '1.2.3', 'dicomweb', 0, 0),"
                 " (2, '/photos/a.jpg', 'aabbcc', 'jpeg', 0, 0);"
                 "INSERT INTO dicom (image_id, sop_uid) VALUES (1, '1.2.3');");
    sqlite3_close(db);
}

Test(collection_keys, migration_moves_sop_uid_out_of_content_hash)
{
    char db_path[700];
    snprintf(db_path, sizeof db_path, "%s/%s", test_dir, COLLECTION_DB_NAME);
    write_v1_collection(db_path);
    collection *c;
    cr_assert_eq(collection_open(test_dir, NULL, &c, test_err), VLM_OK, "%s",
                 test_err);
    cr_assert_eq(collection_schema_version(c), schema_migration_count);
    collection_image row;
    cr_assert_eq(collection_get_image(c, 1, &row, test_err), VLM_OK, "%s",
                 test_err);
    cr_assert_str_eq(row.sop_uid, "1.2.3");
    cr_assert_str_eq(row.content_hash, "");
    cr_assert_eq(collection_get_image(c, 2, &row, test_err), VLM_OK);
    cr_assert_str_eq(row.content_hash, "aabbcc");
    cr_assert_str_eq(row.sop_uid, "");
    int64_t id;
    cr_assert_eq(collection_find_by_hash(c, "1.2.3", &id, test_err),
                 VLM_ENOTFOUND);
    cr_assert_eq(collection_has_sop_uid(c, "1.2.3", test_err), 1);
    cr_assert_eq(collection_has_sop_uid(c, "9.9.9", test_err), 0);
    collection_close(c);
}

Test(collection_keys, instance_rows_are_keyed_by_sop_uid)
{
    collection *c = open_test_collection(test_dir, DIMS);
    float *v = random_unit_vectors(2, DIMS, 11);
    collection_image_info info = {.path = "https://a/studies/1/instances/7",
                                  .root = "https://a",
                                  .sop_uid = "1.2.7",
                                  .format = "dicomweb"};
    int64_t id1 = 0, id2 = 0;
    cr_assert_eq(collection_put_image(c, &info, v, DIMS, &id1, test_err),
                 VLM_OK, "%s", test_err);
    /* the same instance under another URL: one row, path updated */
    info.path = "https://b/studies/1/instances/7";
    cr_assert_eq(collection_put_image(c, &info, v + DIMS, DIMS, &id2, test_err),
                 VLM_OK, "%s", test_err);
    cr_assert_eq(id2, id1);
    collection_image row;
    cr_assert_eq(collection_get_image(c, id1, &row, test_err), VLM_OK);
    cr_assert_str_eq(row.path, "https://b/studies/1/instances/7");
    cr_assert_str_eq(row.sop_uid, "1.2.7");
    collection_counts k;
    cr_assert_eq(collection_get_counts(c, &k, test_err), VLM_OK);
    cr_assert_eq(k.images, 1);
    /* a failure under the same key replaces the embedding */
    cr_assert_eq(collection_put_failure(c, &info, "HTTP 415", NULL, test_err),
                 VLM_OK, "%s", test_err);
    cr_assert_eq(collection_get_counts(c, &k, test_err), VLM_OK);
    cr_assert_eq(k.images, 1);
    cr_assert_eq(k.embeddings, 0);
    free(v);
    collection_close(c);
}

Test(collection_keys, unit_vectors_are_stored_bit_exact)
{
    collection *c = open_test_collection(test_dir, DIMS);
    float *v = random_unit_vectors(1, DIMS, 12);
    collection_image_info info = {.path = "/u/1.jpg"};
    int64_t id;
    cr_assert_eq(collection_put_image(c, &info, v, DIMS, &id, test_err),
                 VLM_OK);
    float back[DIMS];
    cr_assert_eq(collection_get_embedding(c, id, back, DIMS, test_err), VLM_OK);
    cr_assert_eq(memcmp(back, v, sizeof back), 0,
                 "an already-normalised vector is stored as given");
    float twice[DIMS];
    for (int i = 0; i < DIMS; i++) twice[i] = 2 * v[i];
    cr_assert_eq(collection_put_image(c, &info, twice, DIMS, &id, test_err),
                 VLM_OK);
    cr_assert_eq(collection_get_embedding(c, id, back, DIMS, test_err), VLM_OK);
    for (int i = 0; i < DIMS; i++) cr_assert_float_eq(back[i], v[i], 1e-6);
    free(v);
    collection_close(c);
}

Test(collection_keys, captions_read_back_and_match_words)
{
    collection *c = open_test_collection(test_dir, DIMS);
    float *v = random_unit_vectors(3, DIMS, 13);
    int64_t ids[3];
    add_test_images(c, "/c", v, 3, DIMS, ids);
    cr_assert_eq(collection_put_caption(c, ids[0], "llava", "p",
                                        "a red bicycle by a wall", test_err),
                 VLM_OK);
    cr_assert_eq(collection_put_caption(c, ids[1], "llava", "p",
                                        "a red red red car", test_err),
                 VLM_OK);
    cr_assert_eq(
        collection_put_caption(c, ids[1], "other", "p", "a car", test_err),
        VLM_OK);
    char *text = NULL;
    cr_assert_eq(
        collection_get_caption(c, ids[0], "llava", "p", &text, test_err),
        VLM_OK, "%s", test_err);
    cr_assert_str_eq(text, "a red bicycle by a wall");
    free(text);
    cr_assert_eq(
        collection_get_caption(c, ids[2], "llava", "p", &text, test_err),
        VLM_ENOTFOUND);
    cr_assert_null(text);

    collection_caption_match *m;
    int n;
    /* FTS syntax in user text is only words: no error, no injection */
    cr_assert_eq(collection_match_captions(c, "red\" OR NEAR(car*", 10, &m, &n,
                                           test_err),
                 VLM_OK, "%s", test_err);
    cr_assert_eq(n, 2, "each image once");
    cr_assert_eq(m[0].image_id, ids[1], "three 'red' beat one");
    cr_assert_eq(m[1].image_id, ids[0]);
    cr_assert_lt(m[0].bm25, m[1].bm25);
    free(m);
    cr_assert_eq(collection_match_captions(c, "red car", 1, &m, &n, test_err),
                 VLM_OK);
    cr_assert_eq(n, 1);
    free(m);
    cr_assert_eq(collection_match_captions(c, " !? ", 5, &m, &n, test_err),
                 VLM_OK);
    cr_assert_eq(n, 0);
    cr_assert_null(m);
    free(v);
    collection_close(c);
}

typedef struct dicom_seen {
    int n;
    int64_t ids[4];
    char study[4][16], window[4][16];
} dicom_seen;

static int on_dicom(void *ud, const collection_dicom *d)
{
    dicom_seen *s = ud;
    s->ids[s->n] = d->image_id;
    snprintf(s->study[s->n], 16, "%s", d->study_uid);
    snprintf(s->window[s->n], 16, "%s", d->window);
    s->n++;
    return 0;
}

Test(collection_keys, dicom_rows_are_listed_with_empty_strings_for_nulls)
{
    collection *c = open_test_collection(test_dir, DIMS);
    float *v = random_unit_vectors(2, DIMS, 14);
    int64_t ids[2];
    add_test_images(c, "/d", v, 2, DIMS, ids);
    collection_dicom d = {.image_id = ids[1],
                          .study_uid = "1.1",
                          .sop_uid = "1.1.2",
                          .window = "40/400"};
    cr_assert_eq(collection_put_dicom(c, &d, test_err), VLM_OK, "%s", test_err);
    d = (collection_dicom){.image_id = ids[0], .sop_uid = "1.1.1"};
    cr_assert_eq(collection_put_dicom(c, &d, test_err), VLM_OK, "%s", test_err);
    dicom_seen s = {0};
    cr_assert_eq(collection_for_each_dicom(c, on_dicom, &s, test_err), 0, "%s",
                 test_err);
    cr_assert_eq(s.n, 2);
    cr_assert_eq(s.ids[0], ids[0]);
    cr_assert_str_eq(s.study[0], "");
    cr_assert_str_eq(s.study[1], "1.1");
    cr_assert_str_eq(s.window[1], "40/400");
    cr_assert_eq(collection_has_sop_uid(c, "1.1.2", test_err), 1);
    free(v);
    collection_close(c);
}
