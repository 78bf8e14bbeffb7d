/* collection_merge_from() with rows that point at shared rows by id: label
 * sets (one row per set, referenced by labelset_id) arrive by their hash
 * and the pointing column is remapped, so two sources that numbered the
 * same set differently agree after the merge, and merging again moves
 * nothing.  The tables are made here when the schema does not have them. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/collection_internal.h"

static char root[] = "/tmp/vlm-collection-merge.XXXXXX";

static void exec_sql(collection *c, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(collection_db(c), sql, NULL, NULL, &msg);
    cr_assert_eq(rc, SQLITE_OK, "%s: %s", sql, msg ? msg : "");
}

static collection *open_coll(const char *name)
{
    char dir[128], err[VLM_ERR_MAX];
    snprintf(dir, sizeof dir, "%s/%s", root, name);
    collection_options o = {.create_if_missing = true};
    collection *c;
    cr_assert_eq(collection_open(dir, &o, &c, err), 0, "%s", err);
    cr_assert_eq(collection_bind_model(c, "m", 4, "id", err), 0, "%s", err);
    exec_sql(c, "CREATE TABLE IF NOT EXISTS labelsets (id INTEGER PRIMARY "
                "KEY, hash TEXT NOT NULL UNIQUE, labels TEXT NOT NULL, "
                "created_at INTEGER NOT NULL);"
                "CREATE TABLE test_tags (image_id INTEGER NOT NULL REFERENCES "
                "images (id) ON DELETE CASCADE, labelset_id INTEGER NOT NULL, "
                "tag TEXT, PRIMARY KEY (image_id, labelset_id));");
    return c;
}

static void tagged_image(collection *c, const char *path, const char *hash)
{
    char err[VLM_ERR_MAX], sql[512];
    float v[4] = {1, 0, 0, 0};
    collection_image_info info = {.path = path, .root = "/", .size = 1};
    int64_t id;
    cr_assert_eq(collection_put_image(c, &info, v, 4, &id, err), 0, "%s", err);
    snprintf(sql, sizeof sql,
             "INSERT INTO test_tags SELECT %lld, id, 'x' FROM labelsets "
             "WHERE hash = '%s'",
             (long long)id, hash);
    exec_sql(c, sql);
}

static int64_t scalar(collection *c, const char *sql)
{
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(collection_db(c), sql, -1, &st, NULL), 0);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s", sql);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

Test(collection_merge, pointing_columns_follow_their_shared_rows)
{
    cr_assert_not_null(mkdtemp(root));
    collection *a = open_coll("a"), *b = open_coll("b"), *out = open_coll("o");
    exec_sql(a, "INSERT INTO labelsets (hash, labels, created_at) VALUES "
                "('h1', '[]', 1), ('h2', '[]', 1)");
    exec_sql(b, "INSERT INTO labelsets (hash, labels, created_at) VALUES "
                "('h2', '[]', 1), ('h3', '[]', 1)");
    tagged_image(a, "/a/1.jpg", "h2");
    tagged_image(b, "/b/1.jpg", "h2");
    tagged_image(b, "/b/2.jpg", "h3");
    char err[VLM_ERR_MAX], dir[128];
    collection_merge_counts n;
    for (int pass = 0; pass < 2; pass++)
        for (int s = 0; s < 2; s++) {
            snprintf(dir, sizeof dir, "%s/%s", root, s ? "b" : "a");
            cr_assert_eq(collection_merge_from(out, dir, NULL, &n, err), 0,
                         "%s", err);
            if (pass == 1) /* nothing moves the second time */
                cr_assert_eq(n.derived + n.added + n.updated + n.removed, 0);
        }
    cr_assert_eq(scalar(out, "SELECT count(*) FROM labelsets"), 3);
    cr_assert_eq(scalar(out, "SELECT count(*) FROM test_tags"), 3);
    cr_assert_eq(scalar(out, "SELECT count(*) FROM test_tags t JOIN images i "
                             "ON i.id = t.image_id JOIN labelsets l ON l.id = "
                             "t.labelset_id WHERE (i.path LIKE '%/1.jpg' AND "
                             "l.hash = 'h2') OR (i.path = '/b/2.jpg' AND "
                             "l.hash = 'h3')"),
                 3);
    collection_close(a), collection_close(b), collection_close(out);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    cr_assert_eq(system(cmd), 0);
}
