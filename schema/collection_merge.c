/*
 * collection_merge.c — collection_merge_from(): one source collection's
 * rows into this one, through ATTACH and set-based SQL.
 *
 * Each source row is matched by path with a row here (temp.merge_map,
 * state: 0 same, 1 new, 2 changed, 3 conflict).  Columns are whatever
 * both schemas have in common, so columns and per-image tables added by
 * later migrations are merged without a change here.  merge_rows records
 * which source owns each row: what a source dropped is found there.
 */
#include <stdlib.h>
#include <string.h>

#include "schema/collection_internal.h"

enum {
    MAP_SAME = 0,
    MAP_NEW = 1,
    MAP_CHANGED = 2,
    MAP_CONFLICT = 3
};

typedef struct col_set {
    char **names;
    char **expr; /* per column: the source value's SQL instead of s."name"
                    (a remapped id), or NULL */
    int n;
} col_set;

/* Collection-wide rows that per-image rows point at by integer id (a
 * label set shared by many classifications): merged by their natural
 * key, and the pointing column remapped on the way.  Used only when the
 * table exists in both databases. */
typedef struct shared_ref {
    const char *table, *key, *column;
} shared_ref;

static const shared_ref shared_refs[] = {
    {"labelsets", "hash", "labelset_id"},
};
#define N_SHARED_REFS (sizeof shared_refs / sizeof shared_refs[0])

typedef struct merge_job {
    collection *c;
    int64_t sid; /* merge_sources.id */
    collection_merge_counts *n;
} merge_job;

/* Runs sql (sqlite3_mprintf'ed; NULL = out of memory) and frees it. */
static int run(collection *c, char *sql, const char *what, char *err)
{
    if (!sql) {
        vlm_set_err(err, "out of memory merging (%s)", what);
        return VLM_ENOMEM;
    }
    char *msg = NULL;
    int rc = sqlite3_exec(c->db, sql, NULL, NULL, &msg);
    sqlite3_free(sql);
    if (rc == SQLITE_OK) return VLM_OK;
    vlm_set_err(err, "%s: merge failed (%s): %s", c->dir, what,
                msg ? msg : sqlite3_errmsg(c->db));
    sqlite3_free(msg);
    return VLM_EIO;
}

/* The one integer `sql` (mprintf'ed, freed) selects. */
static int count(collection *c, char *sql, int64_t *out, char *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sql ? sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) : SQLITE_NOMEM;
    sqlite3_free(sql);
    if (rc == SQLITE_OK) rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? VLM_OK
                            : coll_sqlite_err(c, rc, "merge: counting", err);
}

static void cols_free(col_set *cs)
{
    for (int i = 0; i < cs->n; i++) {
        sqlite3_free(cs->names[i]);
        if (cs->expr) sqlite3_free(cs->expr[i]);
    }
    free(cs->names);
    free(cs->expr);
    cs->names = cs->expr = NULL;
    cs->n = 0;
}

/* Appends a column name; false when out of memory. */
static bool cols_push(col_set *cs, const char *name)
{
    char **grown = realloc(cs->names, (size_t)(cs->n + 1) * sizeof *grown);
    if (grown) cs->names = grown;
    char **eg =
        grown ? realloc(cs->expr, (size_t)(cs->n + 1) * sizeof *eg) : NULL;
    if (eg) cs->expr = eg;
    char *copy = eg ? sqlite3_mprintf("%s", name) : NULL;
    if (!copy) return false;
    cs->names[cs->n] = copy;
    cs->expr[cs->n++] = NULL;
    return true;
}

/* Columns of `table` that main and src both have, in main's order, except
 * image_id and the rowid alias (images.id, captions.id: numbered here). */
static int load_columns(collection *c, const char *table, col_set *cs,
                        char *err)
{
    static const char sql[] =
        "SELECT name FROM pragma_table_info(?1, 'main') AS m "
        "WHERE name IN (SELECT name FROM pragma_table_info(?1, 'src')) "
        "AND name <> 'image_id' AND NOT (pk = 1 AND upper(type) = 'INTEGER' "
        "AND (SELECT count(*) FROM pragma_table_info(?1, 'main') "
        "     WHERE pk > 0) = 1) ORDER BY cid";
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    memset(cs, 0, sizeof *cs);
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
        rc = cols_push(cs, (const char *)sqlite3_column_text(st, 0))
                 ? SQLITE_OK
                 : SQLITE_NOMEM;
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE) return VLM_OK;
    cols_free(cs);
    return coll_sqlite_err(c, rc, "merge: reading the columns", err);
}

/* "a"."x", "a"."y" (alias NULL: "x", "y"), or with `same` set:
 * a."x" IS b."x" AND ... ("1" when there are none); on the source side
 * (a = "s") a column's expr replaces s."x".  sqlite3_free it. */
static char *cols_sql(sqlite3 *db, const col_set *cs, const char *a,
                      const char *same)
{
    sqlite3_str *s = sqlite3_str_new(db);
    for (int i = 0; i < cs->n; i++) {
        const char *sep = i == 0 ? "" : same ? " AND " : ", ";
        if (same && !strcmp(a, "s") && cs->expr[i])
            sqlite3_str_appendf(s, "%s%s IS %s.\"%w\"", sep, cs->expr[i], same,
                                cs->names[i]);
        else if (same)
            sqlite3_str_appendf(s, "%s%s.\"%w\" IS %s.\"%w\"", sep, a,
                                cs->names[i], same, cs->names[i]);
        else if (a && !strcmp(a, "s") && cs->expr[i])
            sqlite3_str_appendf(s, "%s%s", sep, cs->expr[i]);
        else if (a)
            sqlite3_str_appendf(s, "%s%s.\"%w\"", sep, a, cs->names[i]);
        else
            sqlite3_str_appendf(s, "%s\"%w\"", sep, cs->names[i]);
    }
    if (same && cs->n == 0) sqlite3_str_appendall(s, "1");
    return sqlite3_str_finish(s);
}

/* Every id `ids_sql` selects counts as an embedding change: one
 * generation each, in id order (what coll_embedding_changed does). */
static int log_changes(collection *c, const char *ids_sql, char *err)
{
    int rc = run(c,
                 sqlite3_mprintf(
                     "INSERT INTO main.vector_changes (generation, image_id) "
                     "SELECT g.v + row_number() OVER (ORDER BY x.id), x.id "
                     "FROM (%s) AS x, (SELECT CAST(value AS INTEGER) AS v "
                     "FROM main.meta WHERE key = 'generation') AS g",
                     ids_sql),
                 "logging changes", err);
    if (rc) return rc;
    return run(c,
               sqlite3_mprintf(
                   "UPDATE main.meta SET value = (SELECT max(generation) "
                   "FROM main.vector_changes) WHERE key = 'generation' AND "
                   "(SELECT max(generation) FROM main.vector_changes) > "
                   "CAST(value AS INTEGER)"),
               "bumping the generation", err);
}

/* temp.merge_map: every source row, its row here and its state. */
static int build_map(merge_job *j, const char *same, char *err)
{
    int rc = run(
        j->c,
        sqlite3_mprintf("CREATE TEMP TABLE IF NOT EXISTS merge_map (src_id "
                        "INTEGER PRIMARY KEY, out_id INTEGER, state INTEGER);"
                        "CREATE INDEX IF NOT EXISTS temp.merge_map_out ON "
                        "merge_map (out_id); DELETE FROM temp.merge_map;"),
        "map", err);
    if (rc) return rc;
    return run(
        j->c,
        sqlite3_mprintf(
            "INSERT INTO temp.merge_map (src_id, out_id, state) "
            "SELECT s.id, o.id, CASE WHEN o.id IS NULL THEN "
            "  CASE WHEN s.sop_uid IS NOT NULL AND EXISTS (SELECT 1 FROM "
            "  main.images x WHERE x.sop_uid = s.sop_uid) THEN %d ELSE %d END "
            " WHEN r.source IS NOT NULL AND r.source <> %lld THEN %d "
            " WHEN %s THEN %d ELSE %d END "
            "FROM src.images AS s LEFT JOIN main.images AS o ON o.path = "
            "s.path LEFT JOIN main.merge_rows AS r ON r.image_id = o.id",
            MAP_CONFLICT, MAP_NEW, (long long)j->sid, MAP_CONFLICT, same,
            MAP_SAME, MAP_CHANGED),
        "matching rows", err);
}

/* Rows this source owned that it no longer holds. */
static int remove_dropped(merge_job *j, char *err)
{
    collection *c = j->c;
    int rc = run(c,
                 sqlite3_mprintf(
                     "CREATE TEMP TABLE IF NOT EXISTS merge_gone (id INTEGER "
                     "PRIMARY KEY); DELETE FROM temp.merge_gone;"
                     "INSERT INTO temp.merge_gone SELECT r.image_id FROM "
                     "main.merge_rows AS r WHERE r.source = %lld AND NOT "
                     "EXISTS (SELECT 1 FROM temp.merge_map AS m WHERE "
                     "m.out_id = r.image_id AND m.state <> %d)",
                     (long long)j->sid, MAP_CONFLICT),
                 "finding dropped rows", err);
    if (!rc) rc = log_changes(c, "SELECT id FROM temp.merge_gone", err);
    if (!rc)
        rc = run(c,
                 sqlite3_mprintf("DELETE FROM main.images WHERE id IN "
                                 "(SELECT id FROM temp.merge_gone)"),
                 "removing dropped rows", err);
    if (!rc) j->n->removed = sqlite3_changes64(c->db);
    return rc;
}

/* Changed rows take the source's values; new rows are inserted and
 * mapped; both go to the change log. */
static int write_rows(merge_job *j, const col_set *cs, char *err)
{
    collection *c = j->c;
    char *plain = cols_sql(c->db, cs, NULL, NULL);
    char *from_s = cols_sql(c->db, cs, "s", NULL);
    int rc = plain && from_s ? VLM_OK : VLM_ENOMEM;
    if (!rc)
        rc = run(c,
                 sqlite3_mprintf(
                     "UPDATE main.images SET (%s) = (SELECT %s FROM "
                     "src.images AS s JOIN temp.merge_map AS m ON m.src_id = "
                     "s.id WHERE m.out_id = images.id) WHERE id IN (SELECT "
                     "out_id FROM temp.merge_map WHERE state = %d)",
                     plain, from_s, MAP_CHANGED),
                 "updating changed rows", err);
    if (!rc)
        rc = run(c,
                 sqlite3_mprintf(
                     "INSERT INTO main.images (%s) SELECT %s FROM src.images "
                     "AS s JOIN temp.merge_map AS m ON m.src_id = s.id WHERE "
                     "m.state = %d ORDER BY s.id;"
                     "UPDATE temp.merge_map SET out_id = (SELECT o.id FROM "
                     "main.images AS o JOIN src.images AS s ON o.path = "
                     "s.path WHERE s.id = merge_map.src_id) WHERE state = %d",
                     plain, from_s, MAP_NEW, MAP_NEW),
                 "adding new rows", err);
    sqlite3_free(plain);
    sqlite3_free(from_s);
    if (rc == VLM_ENOMEM) vlm_set_err(err, "out of memory merging rows");
    if (!rc)
        rc = log_changes(c,
                         "SELECT out_id AS id FROM temp.merge_map WHERE "
                         "state IN (1, 2)",
                         err);
    return rc;
}

/* merge_rows: this source owns every row it matched (unless conflicting). */
static int record_owners(merge_job *j, char *err)
{
    long long sid = (long long)j->sid;
    return run(j->c,
               sqlite3_mprintf(
                   "INSERT INTO main.merge_rows (image_id, source, source_id) "
                   "SELECT m.out_id, %lld, m.src_id FROM temp.merge_map AS m "
                   "WHERE m.state <> %d AND NOT EXISTS (SELECT 1 FROM "
                   "main.merge_rows AS r WHERE r.image_id = m.out_id AND "
                   "r.source = %lld AND r.source_id = m.src_id) "
                   "ON CONFLICT (image_id) DO UPDATE SET source = "
                   "excluded.source, source_id = excluded.source_id",
                   sid, MAP_CONFLICT, sid),
               "recording row owners", err);
}

static int count_states(merge_job *j, char *err)
{
    int64_t *dst[] = {&j->n->unchanged, &j->n->added, &j->n->updated,
                      &j->n->conflicts};
    int rc = VLM_OK;
    for (int s = 0; !rc && s < 4; s++)
        rc = count(j->c,
                   sqlite3_mprintf("SELECT count(*) FROM temp.merge_map "
                                   "WHERE state = %d",
                                   s),
                   dst[s], err);
    return rc;
}

static int merge_images(merge_job *j, char *err)
{
    col_set cs;
    int rc = load_columns(j->c, "images", &cs, err);
    if (rc) return rc;
    char *same = cols_sql(j->c->db, &cs, "o", "s");
    rc = same ? build_map(j, same, err) : VLM_ENOMEM;
    sqlite3_free(same);
    if (!rc) rc = remove_dropped(j, err);
    if (!rc) rc = write_rows(j, &cs, err);
    if (!rc) rc = record_owners(j, err);
    if (!rc) rc = count_states(j, err);
    cols_free(&cs);
    if (rc == VLM_ENOMEM) vlm_set_err(err, "out of memory merging images");
    return rc;
}

/* 1 when `table` exists in main and src, 0 when not, <0 on error. */
static int in_both(collection *c, const char *table, char *err)
{
    int64_t n = 0;
    int rc = count(
        c,
        sqlite3_mprintf("SELECT (SELECT count(*) FROM main.sqlite_schema WHERE "
                        "type = 'table' AND name = %Q) + (SELECT count(*) FROM "
                        "src.sqlite_schema WHERE type = 'table' AND name = %Q)",
                        table, table),
        &n, err);
    return rc ? rc : n == 2;
}

/* Collection-wide rows kept by their own key (INSERT OR IGNORE): roots
 * (so `update` works on the merged collection), their exclude globs, and
 * the shared rows below. */
static const char *const keyed_tables[] = {"roots", "excludes"};

static int merge_keyed_table(merge_job *j, const char *table, char *err)
{
    int both = in_both(j->c, table, err);
    if (both <= 0) return both;
    col_set cs;
    int rc = load_columns(j->c, table, &cs, err);
    if (rc) return rc;
    char *plain = cols_sql(j->c->db, &cs, NULL, NULL);
    rc = run(j->c,
             plain ? sqlite3_mprintf("INSERT OR IGNORE INTO main.\"%w\" (%s) "
                                     "SELECT %s FROM src.\"%w\"",
                                     table, plain, plain, table)
                   : NULL,
             table, err);
    sqlite3_free(plain);
    cols_free(&cs);
    return rc;
}

/* Shared rows (label sets...) come over by their natural key first. */
static int merge_shared_refs(merge_job *j, char *err)
{
    int rc = VLM_OK;
    for (size_t i = 0; !rc && i < N_SHARED_REFS; i++)
        rc = merge_keyed_table(j, shared_refs[i].table, err);
    return rc;
}

/* A column pointing at a shared row reads the id that row has here. */
static int remap_columns(merge_job *j, col_set *cs, char *err)
{
    for (int c = 0; c < cs->n; c++)
        for (size_t i = 0; i < N_SHARED_REFS; i++) {
            const shared_ref *r = &shared_refs[i];
            if (strcmp(cs->names[c], r->column)) continue;
            int both = in_both(j->c, r->table, err);
            if (both < 0) return both;
            if (!both) continue;
            cs->expr[c] = sqlite3_mprintf(
                "(SELECT o.id FROM main.\"%w\" AS o JOIN src.\"%w\" AS x ON "
                "o.\"%w\" = x.\"%w\" WHERE x.id = s.\"%w\")",
                r->table, r->table, r->key, r->key, r->column);
            if (!cs->expr[c]) return VLM_ENOMEM;
        }
    return VLM_OK;
}

/* One per-image table: rows of matched images that differ from the
 * source's go, the source's rows missing here come in. */
static int merge_table(merge_job *j, const char *table, char *err)
{
    collection *c = j->c;
    col_set cs;
    int rc = load_columns(c, table, &cs, err);
    if (rc) return rc;
    rc = remap_columns(j, &cs, err);
    if (rc) {
        cols_free(&cs);
        if (rc == VLM_ENOMEM) vlm_set_err(err, "out of memory merging");
        return rc;
    }
    char *same_t = cols_sql(c->db, &cs, "s", "t");
    char *plain = cols_sql(c->db, &cs, NULL, NULL);
    char *from_s = cols_sql(c->db, &cs, "s", NULL);
    rc = same_t && plain && from_s ? VLM_OK : VLM_ENOMEM;
    if (!rc)
        rc = run(c,
                 sqlite3_mprintf(
                     "DELETE FROM main.\"%w\" AS t WHERE t.image_id IN "
                     "(SELECT out_id FROM temp.merge_map WHERE state <> %d) "
                     "AND NOT EXISTS (SELECT 1 FROM src.\"%w\" AS s JOIN "
                     "temp.merge_map AS m ON s.image_id = m.src_id WHERE "
                     "m.out_id = t.image_id AND %s)",
                     table, MAP_CONFLICT, table, same_t),
                 table, err);
    if (!rc) j->n->derived += sqlite3_changes64(c->db);
    if (!rc)
        rc = run(c,
                 sqlite3_mprintf(
                     "INSERT OR IGNORE INTO main.\"%w\" (image_id%s%s) "
                     "SELECT m.out_id%s%s FROM src.\"%w\" AS s JOIN "
                     "temp.merge_map AS m ON s.image_id = m.src_id WHERE "
                     "m.state <> %d AND NOT EXISTS (SELECT 1 FROM "
                     "main.\"%w\" AS t WHERE t.image_id = m.out_id AND %s)",
                     table, cs.n ? ", " : "", plain, cs.n ? ", " : "", from_s,
                     table, MAP_CONFLICT, table, same_t),
                 table, err);
    if (!rc) j->n->derived += sqlite3_changes64(c->db);
    if (rc == VLM_ENOMEM) vlm_set_err(err, "out of memory merging %s", table);
    sqlite3_free(same_t), sqlite3_free(plain), sqlite3_free(from_s);
    cols_free(&cs);
    return rc;
}

/* Tables with an image_id column in both databases (captions,
 * classifications, dicom and whatever later migrations add). */
static int merge_per_image_tables(merge_job *j, char *err)
{
    static const char sql[] =
        "SELECT t.name FROM main.sqlite_schema AS t WHERE t.type = 'table' "
        "AND t.name NOT IN ('images', 'merge_rows', 'vector_changes') "
        "AND t.sql NOT LIKE 'CREATE VIRTUAL%' "
        "AND EXISTS (SELECT 1 FROM pragma_table_info(t.name, 'main') "
        "            WHERE name = 'image_id') "
        "AND EXISTS (SELECT 1 FROM src.sqlite_schema AS s "
        "            WHERE s.type = 'table' AND s.name = t.name) "
        "ORDER BY t.name";
    col_set tables = {0};
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(j->c->db, sql, -1, &st, NULL);
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
        rc = cols_push(&tables, (const char *)sqlite3_column_text(st, 0))
                 ? SQLITE_OK
                 : SQLITE_NOMEM;
    sqlite3_finalize(st);
    int vrc = rc == SQLITE_DONE
                  ? VLM_OK
                  : coll_sqlite_err(j->c, rc, "merge: listing tables", err);
    for (int i = 0; !vrc && i < tables.n; i++)
        vrc = merge_table(j, tables.names[i], err);
    cols_free(&tables);
    return vrc;
}

/* The source's row in merge_sources (created on its first merge). */
static int register_source(merge_job *j, const char *dir, const char *shard,
                           char *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(
        j->c->db,
        "INSERT INTO main.merge_sources (dir, shard, merged_at) "
        "VALUES (?1, ?2, ?3) ON CONFLICT (dir) DO UPDATE SET shard = "
        "excluded.shard, merged_at = excluded.merged_at RETURNING id",
        -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, dir, -1, SQLITE_STATIC);
        coll_bind_text(st, 2, shard);
        sqlite3_bind_int64(st, 3, coll_now());
        rc = sqlite3_step(st);
    }
    if (rc == SQLITE_ROW) j->sid = sqlite3_column_int64(st, 0);
    if (rc == SQLITE_ROW) rc = sqlite3_step(st); /* finish RETURNING */
    sqlite3_finalize(st);
    return rc == SQLITE_DONE
               ? VLM_OK
               : coll_sqlite_err(j->c, rc, "merge: recording the source", err);
}

/* Keyed tables, and the folders of the model and captioner when none is
 * recorded here yet. */
static int merge_roots_meta(merge_job *j, char *err)
{
    int rc = VLM_OK;
    for (size_t i = 0; !rc && i < sizeof keyed_tables / sizeof *keyed_tables;
         i++)
        rc = merge_keyed_table(j, keyed_tables[i], err);
    if (rc) return rc;
    return run(j->c,
               sqlite3_mprintf("INSERT OR IGNORE INTO main.meta (key, value) "
                               "SELECT key, value FROM src.meta WHERE key IN "
                               "('model_dir', 'captioner_dir')"),
               "model folders", err);
}

static int merge_all(merge_job *j, const char *dir, const char *shard,
                     char *err)
{
    int rc = register_source(j, dir, shard, err);
    if (!rc) rc = merge_images(j, err);
    if (!rc) rc = merge_shared_refs(j, err);
    if (!rc) rc = merge_per_image_tables(j, err);
    if (!rc) rc = merge_roots_meta(j, err);
    return rc;
}

static int attach(collection *c, const char *src_dir, char *err)
{
    char *path = sqlite3_mprintf("%s/%s", src_dir, COLLECTION_DB_NAME);
    sqlite3_stmt *st = NULL;
    int rc = path ? sqlite3_prepare_v2(c->db, "ATTACH DATABASE ?1 AS src", -1,
                                       &st, NULL)
                  : SQLITE_NOMEM;
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
    }
    sqlite3_finalize(st);
    sqlite3_free(path);
    if (rc == SQLITE_DONE) return VLM_OK;
    vlm_set_err(err, "%s: cannot open it for merging: %s", src_dir,
                sqlite3_errmsg(c->db));
    return VLM_EIO;
}

int collection_merge_from(collection *c, const char *src_dir, const char *shard,
                          collection_merge_counts *out, char *err)
{
    memset(out, 0, sizeof *out);
    merge_job j = {.c = c, .n = out};
    int rc = attach(c, src_dir, err);
    if (rc) return rc;
    rc = collection_begin(c, err);
    if (!rc) {
        rc = merge_all(&j, src_dir, shard, err);
        if (!rc) rc = collection_commit(c, err);
        if (rc) collection_rollback(c);
    }
    sqlite3_exec(c->db,
                 "DROP TABLE IF EXISTS temp.merge_map;"
                 "DROP TABLE IF EXISTS temp.merge_gone;"
                 "DETACH DATABASE src",
                 NULL, NULL, NULL);
    if (rc) memset(out, 0, sizeof *out);
    return rc;
}
