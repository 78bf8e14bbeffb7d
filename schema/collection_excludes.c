/*
 * collection_excludes.c — the excludes table (per-root globs) and the
 * files added on their own.
 */
#include <stdlib.h>
#include <string.h>

#include "schema/collection_internal.h"

int collection_put_exclude(collection *c, const char *root, const char *glob,
                           bool off, char *err)
{
    sqlite3_stmt *st = coll_stmt(c,
                                 "INSERT OR REPLACE INTO excludes (root, glob, "
                                 "off, added_at) VALUES (?, ?, ?, ?)",
                                 err);
    if (!st) return VLM_EIO;
    sqlite3_bind_text(st, 1, root ? root : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, glob, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, off ? 1 : 0);
    sqlite3_bind_int64(st, 4, coll_now());
    return coll_step_done(c, st, "cannot record an exclude", err);
}

int collection_delete_exclude(collection *c, const char *root, const char *glob,
                              char *err)
{
    sqlite3_stmt *st =
        coll_stmt(c, "DELETE FROM excludes WHERE root = ? AND glob = ?", err);
    if (!st) return VLM_EIO;
    sqlite3_bind_text(st, 1, root ? root : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, glob, -1, SQLITE_TRANSIENT);
    int rc = coll_step_done(c, st, "cannot remove an exclude", err);
    if (rc == VLM_OK && sqlite3_changes(c->db) == 0) {
        vlm_set_err(err, "no exclude '%s'%s%s", glob,
                    root && *root ? " for " : "", root && *root ? root : "");
        return VLM_ENOTFOUND;
    }
    return rc;
}

void collection_free_excludes(collection_exclude *ex, size_t n)
{
    for (size_t i = 0; ex && i < n; i++) {
        free(ex[i].root);
        free(ex[i].glob);
    }
    free(ex);
}

static int push_exclude(collection_exclude **out, size_t *n, sqlite3_stmt *st)
{
    collection_exclude *grown = realloc(*out, (*n + 1) * sizeof *grown);
    if (!grown) return VLM_ENOMEM;
    *out = grown;
    collection_exclude *e = &grown[*n];
    e->root = strdup((const char *)sqlite3_column_text(st, 0));
    e->glob = strdup((const char *)sqlite3_column_text(st, 1));
    e->off = sqlite3_column_int(st, 2) != 0;
    (*n)++;
    return e->root && e->glob ? VLM_OK : VLM_ENOMEM;
}

int collection_list_excludes(collection *c, collection_exclude **out, size_t *n,
                             char *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = coll_stmt(
        c, "SELECT root, glob, off FROM excludes ORDER BY root, glob", err);
    if (!st) return VLM_EIO;
    int rc, status = VLM_OK;
    while (!status && (rc = sqlite3_step(st)) == SQLITE_ROW)
        status = push_exclude(out, n, st);
    sqlite3_reset(st);
    if (!status && rc != SQLITE_DONE)
        status = coll_sqlite_err(c, rc, "cannot list excludes", err);
    if (status == VLM_ENOMEM)
        vlm_set_err(err, "out of memory listing excludes");
    if (status) {
        collection_free_excludes(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return status;
}

int collection_list_lone_files(collection *c, char ***paths, size_t *n,
                               char *err)
{
    *paths = NULL;
    *n = 0;
    sqlite3_stmt *st = coll_stmt(
        c, "SELECT path FROM images WHERE root = path ORDER BY path", err);
    if (!st) return VLM_EIO;
    int rc, status = VLM_OK;
    while (!status && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        char **grown = realloc(*paths, (*n + 1) * sizeof *grown);
        char *s = strdup((const char *)sqlite3_column_text(st, 0));
        if (grown) *paths = grown;
        if (!grown || !s) {
            free(s);
            status = VLM_ENOMEM;
        } else {
            grown[(*n)++] = s;
        }
    }
    sqlite3_reset(st);
    if (!status && rc != SQLITE_DONE)
        status = coll_sqlite_err(c, rc, "cannot list files", err);
    if (status) {
        collection_free_strings(*paths, *n);
        *paths = NULL;
        *n = 0;
    }
    return status;
}
