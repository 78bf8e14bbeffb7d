/* schema/: migrations 5 (root identity) and 6 (label sets stored once),
 * read-only opening, and a new collection appearing atomically when
 * several processes create it at once. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "schema/collection.h"
#include "schema/collection_internal.h" /* the old schema, for migrations */
#include "tests/schema/schema_test_util.h"

#define DIMS 8

TestSuite(collection_field, .init = scratch_fixture_init,
          .fini = scratch_fixture_fini);

/* A collection as version 4 wrote it (before root identity and label
 * sets): a root, two images, and three classifications over two label
 * sets, each row with the whole list. */
static void write_v4_collection(void)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s", test_dir, COLLECTION_DB_NAME);
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    exec_sql(db, schema_migration_steps[0]);
    exec_sql(db, schema_migration_steps[1]);
    exec_sql(db, schema_migration_steps[2]);
    exec_sql(db, schema_migration_steps[3]);
    exec_sql(
        db,
        "PRAGMA user_version = 4;"
        "INSERT INTO model VALUES (1, 'm', 8, 'id', 0);"
        "INSERT INTO roots VALUES ('/photos', 5);"
        "INSERT INTO images (id, path, root, added_at, updated_at) VALUES"
        " (1, '/photos/a.jpg', '/photos', 0, 0),"
        " (2, '/photos/b.jpg', '/photos', 0, 0);"
        "INSERT INTO classifications VALUES"
        " (1, 'h1', '[\"cat\",\"dog\"]', 'cat', 0.9, '[0.9,0.1]', 'id', 7),"
        " (2, 'h1', '[\"cat\",\"dog\"]', 'dog', 0.8, '[0.2,0.8]', 'id', 8),"
        " (1, 'h2', '[\"x\",\"y\",\"z\"]', 'z', 0.5, '[0.1,0.4,0.5]', 'id', 9);");
    sqlite3_close(db);
}

Test(collection_field, migration_stores_each_label_set_once)
{
    write_v4_collection();
    collection *c;
    cr_assert_eq(collection_open(test_dir, NULL, &c, test_err), VLM_OK, "%s",
                 test_err);
    cr_assert_eq(collection_schema_version(c), schema_migration_count);
    cr_assert_eq(count_sql(c, "SELECT count(*) FROM labelsets"), 2);
    cr_assert_eq(count_sql(c, "SELECT count(*) FROM classifications"), 3);
    cr_assert_eq(count_sql(c, "SELECT count(*) FROM classifications c "
                              "JOIN labelsets l ON l.id = c.labelset_id "
                              "WHERE l.hash = 'h1' AND "
                              "l.labels = '[\"cat\",\"dog\"]'"),
                 2);
    cr_assert_eq(count_sql(c, "SELECT count(*) FROM pragma_table_info("
                              "'classifications') WHERE name = 'labels'"),
                 0, "no per-row label list any more");
    /* The old result rows still cascade with their image. */
    cr_assert_eq(collection_delete_image(c, 1, test_err), VLM_OK, "%s",
                 test_err);
    cr_assert_eq(count_sql(c, "SELECT count(*) FROM classifications"), 1);
    collection_root r;
    cr_assert_eq(collection_get_root(c, "/photos", &r, test_err), VLM_OK, "%s",
                 test_err);
    cr_assert(!r.has_dev && r.kind == COLLECTION_ROOT_UNKNOWN,
              "roots from version 4 have no identity until seen online");
    cr_assert_eq(r.added_at, 5);
    collection_close(c);
}

Test(collection_field, roots_record_device_and_kind)
{
    collection *c = open_test_collection(test_dir, DIMS);
    cr_assert_eq(collection_note_root(c, "/media/usb/photos", 2049,
                                      COLLECTION_ROOT_DIR, test_err),
                 VLM_OK, "%s", test_err);
    cr_assert_eq(
        collection_note_root(c, "/one.jpg", 7, COLLECTION_ROOT_FILE, test_err),
        VLM_OK);
    collection_root r;
    cr_assert_eq(collection_get_root(c, "/media/usb/photos", &r, test_err),
                 VLM_OK);
    cr_assert(r.has_dev && r.dev == 2049 && r.kind == COLLECTION_ROOT_DIR);
    cr_assert_gt(r.seen_at, 0);
    cr_assert_eq(collection_get_root(c, "/one.jpg", &r, test_err), VLM_OK);
    cr_assert_eq(r.kind, COLLECTION_ROOT_FILE);
    cr_assert_eq(collection_get_root(c, "/nope", &r, test_err), VLM_ENOTFOUND);
    /* Seen again on another device: updated, still one root. */
    cr_assert_eq(collection_note_root(c, "/media/usb/photos", 2050,
                                      COLLECTION_ROOT_DIR, test_err),
                 VLM_OK);
    cr_assert_eq(collection_get_root(c, "/media/usb/photos", &r, test_err),
                 VLM_OK);
    cr_assert_eq(r.dev, 2050);
    cr_assert_eq(count_sql(c, "SELECT count(*) FROM roots"), 2);

    float *v = random_unit_vectors(3, DIMS, 1);
    int64_t ids[3];
    add_test_images(c, "/media/usb/photos", v, 3, DIMS, ids);
    int64_t n = 0;
    cr_assert_eq(collection_count_under(c, "/media/usb/photos", &n, test_err),
                 VLM_OK);
    cr_assert_eq(n, 3);
    char **paths;
    size_t np;
    cr_assert_eq(collection_sample_under(c, "/media/usb/photos", 2, &paths, &np,
                                         test_err),
                 VLM_OK);
    cr_assert_eq(np, 2);
    cr_assert(!strncmp(paths[0], "/media/usb/photos/", 18), "%s", paths[0]);
    collection_free_strings(paths, np);
    free(v);
    collection_close(c);
}

Test(collection_field, read_only_open_reads_and_refuses_writes_clearly)
{
    collection *c = open_test_collection(test_dir, DIMS);
    float *v = random_unit_vectors(2, DIMS, 2);
    add_test_images(c, "/p", v, 2, DIMS, NULL);
    collection_close(c);
    collection_options ro = {.read_only = true};
    cr_assert_eq(collection_open(test_dir, &ro, &c, test_err), VLM_OK, "%s",
                 test_err);
    const char *why;
    cr_assert(collection_is_read_only(c, &why));
    cr_assert(strstr(why, "read-only"), "%s", why);
    collection_counts k;
    cr_assert_eq(collection_get_counts(c, &k, test_err), VLM_OK);
    cr_assert_eq(k.embeddings, 2);
    collection_image_info info = {.path = "/p/new.jpg"};
    cr_assert_eq(collection_put_image(c, &info, v, DIMS, NULL, test_err),
                 VLM_EREADONLY);
    cr_assert(strstr(test_err, "write access"), "%s", test_err);
    free(v);
    collection_close(c);
}

Test(collection_field, read_only_open_of_an_old_schema_says_what_to_do)
{
    write_v4_collection();
    collection_options ro = {.read_only = true};
    collection *c = NULL;
    cr_assert_eq(collection_open(test_dir, &ro, &c, test_err), VLM_EREADONLY);
    cr_assert_null(c);
    cr_assert(strstr(test_err, "schema version 4") &&
                  strstr(test_err, "write access"),
              "%s", test_err);
}

Test(collection_field, concurrent_creators_get_one_whole_collection)
{
    char coll[700];
    for (int round = 0; round < 5; round++) {
        snprintf(coll, sizeof coll, "%s/c%d", test_dir, round);
        pid_t pids[6];
        for (int i = 0; i < 6; i++) {
            pids[i] = fork();
            if (pids[i] == 0) {
                collection *c;
                collection_options o = {.create_if_missing = true};
                int rc = collection_open(coll, &o, &c, test_err);
                if (!rc)
                    rc = collection_bind_model(c, "m", DIMS, "id", test_err);
                if (rc) fprintf(stderr, "creator %d: %s\n", i, test_err);
                if (!rc)
                    rc = collection_schema_version(c) == schema_migration_count
                             ? 0
                             : 1;
                collection_close(c);
                _exit(rc ? 1 : 0);
            }
        }
        for (int i = 0; i < 6; i++) {
            int st;
            waitpid(pids[i], &st, 0);
            cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0,
                      "round %d: creator %d failed", round, i);
        }
        DIR *d = opendir(coll);
        struct dirent *e;
        while ((e = readdir(d)))
            cr_assert_null(strstr(e->d_name, ".new-"),
                           "temporary database left: %s", e->d_name);
        closedir(d);
    }
}
