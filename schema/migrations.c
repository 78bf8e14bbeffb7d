/*
 * migrations.c — brings a collection database to the current schema by
 * applying the steps of schema_sql.c after PRAGMA user_version, each step
 * and its version bump in one transaction (a crash leaves a valid version).
 */
#include <stdio.h>

#include "schema/collection_internal.h"

static int user_version(sqlite3 *db, int *out, char *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
    if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        *out = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        return VLM_OK;
    }
    vlm_set_err(err, "cannot read the schema version: %s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return VLM_EIO;
}

static int apply_step(sqlite3 *db, int from, char *err)
{
    char bump[64];
    snprintf(bump, sizeof bump, "PRAGMA user_version = %d", from + 1);
    char *msg = NULL;
    /* IMMEDIATE: two processes opening a fresh collection at once must not
     * both run the step. */
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK)
        goto fail;
    int now = 0;
    if (user_version(db, &now, err) != VLM_OK) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return VLM_EIO;
    }
    if (now != from) /* someone else migrated meanwhile */
        return sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK
                   ? VLM_OK
                   : VLM_EIO;
    if (sqlite3_exec(db, schema_migration_steps[from], NULL, NULL, &msg) !=
            SQLITE_OK ||
        sqlite3_exec(db, bump, NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        goto fail;
    }
    return VLM_OK;
fail:
    vlm_set_err(err, "schema migration %d -> %d failed: %s", from, from + 1,
                msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    return VLM_EIO;
}

/* The database's version, refused when a newer vlmindex wrote it. */
static int known_version(sqlite3 *db, int *version, char *err)
{
    int rc = user_version(db, version, err);
    if (rc != VLM_OK || *version <= schema_migration_count) return rc;
    vlm_set_err(err,
                "collection schema version %d is newer than this vlmindex "
                "understands (%d); upgrade vlmindex",
                *version, schema_migration_count);
    return VLM_EUNSUPPORTED;
}

int schema_check_current(sqlite3 *db, const char *dir, const char *why,
                         char *err)
{
    int version = 0;
    int rc = known_version(db, &version, err);
    if (rc != VLM_OK) return rc;
    if (version == schema_migration_count) return VLM_OK;
    vlm_set_err(err,
                "collection %s has schema version %d and this vlmindex "
                "needs %d: upgrading it needs write access once (%s); run "
                "`vlmindex status --collection %s` as a user who can write it",
                dir, version, schema_migration_count, why, dir);
    return VLM_EREADONLY;
}

int schema_migrate(sqlite3 *db, char *err)
{
    int version = 0;
    int rc = known_version(db, &version, err);
    if (rc != VLM_OK) return rc;
    while (version < schema_migration_count) {
        rc = apply_step(db, version, err);
        if (rc == VLM_OK) /* re-read: another process may have gone on */
            rc = user_version(db, &version, err);
        if (rc != VLM_OK) return rc;
    }
    return VLM_OK;
}
