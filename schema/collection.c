/*
 * collection.c — opening a collection (folder, SQLite pragmas, migrations),
 * the SQLite helpers shared by collection_*.c, model binding,
 * transactions, meta / generation / change log, roots and counts.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "schema/collection_internal.h"

#define DEFAULT_BUSY_TIMEOUT_MS 10000

/* ------------------------------------------------------------------ */
/* SQLite helpers                                                      */
/* ------------------------------------------------------------------ */

int coll_sqlite_err(collection *c, int rc, const char *what, char *err)
{
    if ((rc & 0xff) == SQLITE_READONLY && c->read_only) {
        vlm_set_err(err,
                    "%s: collection %s is open read-only (%s); this needs "
                    "write access to it",
                    what, c->dir, c->ro_why);
        return VLM_EREADONLY;
    }
    vlm_set_err(err, "%s (collection %s): %s", what, c->dir,
                sqlite3_errmsg(c->db));
    if (rc == SQLITE_NOMEM) return VLM_ENOMEM;
    if ((rc & 0xff) == SQLITE_READONLY) return VLM_EREADONLY;
    if (rc == SQLITE_CONSTRAINT) return VLM_EINVAL;
    if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB) return VLM_EFORMAT;
    return VLM_EIO;
}

sqlite3_stmt *coll_stmt(collection *c, const char *sql, char *err)
{
    int free_slot = -1;
    for (int i = 0; i < COLL_STMT_CACHE; i++) {
        if (c->cache[i].sql == sql) {
            sqlite3_reset(c->cache[i].stmt);
            sqlite3_clear_bindings(c->cache[i].stmt);
            return c->cache[i].stmt;
        }
        if (!c->cache[i].sql && free_slot < 0) free_slot = i;
    }
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
                                NULL);
    if (rc != SQLITE_OK) {
        coll_sqlite_err(c, rc, "cannot prepare a statement", err);
        return NULL;
    }
    if (free_slot >= 0) {
        c->cache[free_slot].sql = sql;
        c->cache[free_slot].stmt = st;
    } else { /* cache full: should not happen; keep it correct anyway */
        sqlite3_finalize(st);
        vlm_set_err(err, "statement cache full (raise COLL_STMT_CACHE)");
        return NULL;
    }
    return st;
}

int coll_exec(collection *c, const char *sql, char *err)
{
    int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? VLM_OK : coll_sqlite_err(c, rc, sql, err);
}

int coll_step_done(collection *c, sqlite3_stmt *st, const char *what, char *err)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW) return VLM_OK;
    return coll_sqlite_err(c, rc, what, err);
}

void coll_bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

void coll_column_text(sqlite3_stmt *st, int i, char *dst, size_t size)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    snprintf(dst, size, "%s", s ? (const char *)s : "");
}

bool coll_push_id(int64_t **arr, size_t *n, size_t *cap, int64_t v)
{
    if (*n == *cap) {
        size_t grown_cap = *cap ? *cap * 2 : 256;
        int64_t *grown = realloc(*arr, grown_cap * sizeof **arr);
        if (!grown) return false;
        *arr = grown;
        *cap = grown_cap;
    }
    (*arr)[(*n)++] = v;
    return true;
}

int coll_atomic(collection *c, int (*fn)(collection *, void *, char *),
                void *ud, char *err)
{
    /* Outside a batch, BEGIN IMMEDIATE takes the write lock up front so
     * the busy timeout applies (a deferred upgrade can fail at once). */
    bool own = sqlite3_get_autocommit(c->db);
    int rc = coll_exec(c, own ? "BEGIN IMMEDIATE" : "SAVEPOINT coll_op", err);
    if (rc != VLM_OK) return rc;
    rc = fn(c, ud, err);
    if (rc == VLM_OK)
        return coll_exec(c, own ? "COMMIT" : "RELEASE coll_op", err);
    if (own)
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    else
        sqlite3_exec(c->db, "ROLLBACK TO coll_op; RELEASE coll_op", NULL, NULL,
                     NULL);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Opening                                                             */
/* ------------------------------------------------------------------ */

static int load_model_dims(collection *c, char *err)
{
    collection_model m;
    int rc = collection_get_model(c, &m, err);
    c->model_dims = rc == VLM_OK ? m.dims : 0;
    return rc == VLM_ENOTFOUND ? VLM_OK : rc;
}

int collection_open(const char *dir, const collection_options *opts,
                    collection **out, char *err)
{
    static const collection_options defaults = {0};
    const collection_options *o = opts ? opts : &defaults;
    *out = NULL;
    if (!dir || !*dir) {
        vlm_set_err(err, "empty collection path");
        return VLM_EINVAL;
    }
    collection *c = calloc(1, sizeof *c);
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/') len--;
    char *db_path = malloc(len + sizeof "/" COLLECTION_DB_NAME);
    if (!c || !db_path || !(c->dir = strndup(dir, len))) {
        free(c), free(db_path);
        vlm_set_err(err, "out of memory opening collection %s", dir);
        return VLM_ENOMEM;
    }
    sprintf(db_path, "%s/%s", c->dir, COLLECTION_DB_NAME);
    c->private_perms = o->private_perms;
    c->busy_ms =
        o->busy_timeout_ms > 0 ? o->busy_timeout_ms : DEFAULT_BUSY_TIMEOUT_MS;
    int rc = coll_open_db(c, db_path, o, err);
    free(db_path);
    if (rc == VLM_OK) rc = load_model_dims(c, err);
    if (rc != VLM_OK) {
        collection_close(c);
        return rc;
    }
    *out = c;
    return VLM_OK;
}

void collection_close(collection *c)
{
    if (!c) return;
    for (int i = 0; i < COLL_STMT_CACHE; i++)
        sqlite3_finalize(c->cache[i].stmt);
    sqlite3_close(c->db);
    free(c->row_text.data);
    free(c->dir);
    free(c);
}

const char *collection_dir(const collection *c) { return c->dir; }

bool collection_is_read_only(const collection *c, const char **why)
{
    if (why) *why = c->read_only ? c->ro_why : "";
    return c->read_only;
}

sqlite3 *collection_db(collection *c) { return c->db; }

int collection_schema_version(collection *c)
{
    sqlite3_stmt *st = coll_stmt(c, "PRAGMA user_version", NULL);
    int v =
        st && sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    if (st) sqlite3_reset(st);
    return v;
}

int collection_default_dir(char *buf, size_t bufsize, char *err)
{
    const char *env = getenv("VLMINDEX_COLLECTION");
    const char *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");
    int n;
    if (env && *env)
        n = snprintf(buf, bufsize, "%s", env);
    else if (xdg && *xdg)
        n = snprintf(buf, bufsize, "%s/vlmindex/collection", xdg);
    else if (home && *home)
        n = snprintf(buf, bufsize, "%s/.local/share/vlmindex/collection", home);
    else {
        vlm_set_err(err, "no collection folder: set --collection, "
                         "VLMINDEX_COLLECTION, XDG_DATA_HOME or HOME");
        return VLM_ENOTFOUND;
    }
    if (n < 0 || (size_t)n >= bufsize) {
        vlm_set_err(err, "collection path too long");
        return VLM_EINVAL;
    }
    return VLM_OK;
}

/* ------------------------------------------------------------------ */
/* Model                                                               */
/* ------------------------------------------------------------------ */

int collection_get_model(collection *c, collection_model *out, char *err)
{
    sqlite3_stmt *st = coll_stmt(c,
                                 "SELECT name, dims, model_id, created_at, "
                                 "family FROM model WHERE id = 1",
                                 err);
    if (!st) return VLM_EIO;
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
            return coll_sqlite_err(c, rc, "cannot read the model", err);
        vlm_set_err(err, "collection %s has no model yet", c->dir);
        return VLM_ENOTFOUND;
    }
    coll_column_text(st, 0, out->name, sizeof out->name);
    out->dims = sqlite3_column_int(st, 1);
    coll_column_text(st, 2, out->model_id, sizeof out->model_id);
    out->created_at = sqlite3_column_int64(st, 3);
    coll_column_text(st, 4, out->family, sizeof out->family);
    sqlite3_reset(st);
    return VLM_OK;
}

/* The stored model is b's: the same id, or the legacy id earlier versions
 * stored for it.  *rewrite: the row should be brought up to date. */
static bool binding_matches(const collection_model *m,
                            const collection_model_binding *b, bool *rewrite)
{
    *rewrite = false;
    if (m->dims != b->dims) return false;
    if (!strcmp(m->model_id, b->model_id)) {
        *rewrite = b->family && strcmp(m->family, b->family) != 0;
        return true;
    }
    *rewrite = b->legacy_id && !strcmp(m->model_id, b->legacy_id);
    return *rewrite;
}

static int binding_mismatch(collection *c, const collection_model *m,
                            const collection_model_binding *b, char *err)
{
    if (b->family && m->family[0] && strcmp(m->family, b->family))
        vlm_set_err(err,
                    "collection %s holds %s embeddings (model '%s', %d-d) but "
                    "this run uses a %s model ('%s', %d-d): model families "
                    "cannot be mixed in one collection; use another "
                    "--collection DIR for this model, or re-index this one "
                    "with `vlmindex reset` followed by `vlmindex add`",
                    c->dir, m->family, m->name, m->dims, b->family, b->name,
                    b->dims);
    else
        vlm_set_err(err,
                    "collection %s was built with model '%s' (%d-d, id %.12s) "
                    "but this run uses '%s' (%d-d, id %.12s); use another "
                    "--collection DIR for this model, or re-index this one "
                    "with `vlmindex reset` followed by `vlmindex add`",
                    c->dir, m->name, m->dims, m->model_id, b->name, b->dims,
                    b->model_id);
    return VLM_EMISMATCH;
}

/* A legacy id becomes the current one; an unknown family is filled in. */
static int rewrite_binding(collection *c, const collection_model *m,
                           const collection_model_binding *b, char *err)
{
    sqlite3_stmt *st = coll_stmt(c,
                                 "UPDATE model SET model_id = ?1, "
                                 "family = coalesce(?2, family) "
                                 "WHERE id = 1 AND model_id = ?3",
                                 err);
    if (!st) return VLM_EIO;
    sqlite3_bind_text(st, 1, b->model_id, -1, SQLITE_TRANSIENT);
    coll_bind_text(st, 2, b->family);
    sqlite3_bind_text(st, 3, m->model_id, -1, SQLITE_TRANSIENT);
    return coll_step_done(c, st, "cannot update the model's id", err);
}

static int insert_binding(collection *c, const collection_model_binding *b,
                          char *err)
{
    sqlite3_stmt *st = coll_stmt(
        c,
        "INSERT INTO model (id, name, dims, model_id, created_at, family) "
        "VALUES (1, ?, ?, ?, ?, ?)",
        err);
    if (!st) return VLM_EIO;
    sqlite3_bind_text(st, 1, b->name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, b->dims);
    sqlite3_bind_text(st, 3, b->model_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, coll_now());
    coll_bind_text(st, 5, b->family);
    return coll_step_done(c, st, "cannot record the model", err);
}

/* Check and record (or rewrite) in one transaction, so two first binds
 * never race. */
static int bind_op(collection *c, void *ud, char *err)
{
    const collection_model_binding *b = ud;
    collection_model m;
    bool rewrite;
    int rc = collection_get_model(c, &m, err);
    if (rc == VLM_OK && !binding_matches(&m, b, &rewrite))
        return binding_mismatch(c, &m, b, err);
    if (rc == VLM_OK) return rewrite ? rewrite_binding(c, &m, b, err) : VLM_OK;
    return rc == VLM_ENOTFOUND ? insert_binding(c, b, err) : rc;
}

int collection_bind(collection *c, const collection_model_binding *b, char *err)
{
    if (!b->name || !b->model_id || b->dims <= 0) {
        vlm_set_err(err, "bind model: name, model_id and dims > 0 required");
        return VLM_EINVAL;
    }
    collection_model m;
    bool rewrite = false;
    /* The common case, a check: no write transaction (read-only works).  A
     * row to bring up to date on a read-only collection waits for the next
     * writer. */
    int rc = collection_get_model(c, &m, NULL);
    if (rc == VLM_OK && binding_matches(&m, b, &rewrite) &&
        (!rewrite || sqlite3_db_readonly(c->db, "main") == 1)) {
        c->model_dims = b->dims;
        return VLM_OK;
    }
    rc = coll_atomic(c, bind_op, (void *)b, err);
    if (rc == VLM_OK) c->model_dims = b->dims;
    return rc;
}

int collection_bind_model(collection *c, const char *name, int dims,
                          const char *model_id, char *err)
{
    collection_model_binding b = {
        .name = name, .dims = dims, .model_id = model_id};
    return collection_bind(c, &b, err);
}

static int reset_op(collection *c, void *ud, char *err)
{
    (void)ud;
    /* The change log cannot describe "everything went": move its floor
     * past the new generation so every saved vector index is rebuilt. */
    int rc = coll_exec(c,
                       "DELETE FROM images; DELETE FROM model;"
                       "DELETE FROM vector_changes;"
                       "UPDATE meta SET value = CAST(value AS INTEGER) + 1 "
                       "  WHERE key = 'generation';"
                       "UPDATE meta SET value = (SELECT value FROM meta "
                       "  WHERE key = 'generation') "
                       "  WHERE key = 'changelog_floor';",
                       err);
    if (rc == VLM_OK) c->model_dims = 0;
    return rc;
}

int collection_reset(collection *c, char *err)
{
    return coll_atomic(c, reset_op, NULL, err);
}

/* ------------------------------------------------------------------ */
/* Transactions                                                        */
/* ------------------------------------------------------------------ */

int collection_begin(collection *c, char *err)
{
    return coll_exec(c, "BEGIN IMMEDIATE", err);
}

int collection_commit(collection *c, char *err)
{
    return coll_exec(c, "COMMIT", err);
}

void collection_rollback(collection *c)
{
    if (!sqlite3_get_autocommit(c->db))
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
}

/* ------------------------------------------------------------------ */
/* Meta, generation, change log                                        */
/* ------------------------------------------------------------------ */

int collection_meta_set(collection *c, const char *key, const char *value,
                        char *err)
{
    sqlite3_stmt *st =
        value ? coll_stmt(
                    c,
                    "INSERT INTO meta (key, value) VALUES (?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    err)
              : coll_stmt(c, "DELETE FROM meta WHERE key = ?", err);
    if (!st) return VLM_EIO;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    if (value) sqlite3_bind_text(st, 2, value, -1, SQLITE_TRANSIENT);
    return coll_step_done(c, st, "cannot write meta", err);
}

int collection_meta_get(collection *c, const char *key, char *buf,
                        size_t bufsize, char *err)
{
    sqlite3_stmt *st =
        coll_stmt(c, "SELECT value FROM meta WHERE key = ?", err);
    if (!st) return VLM_EIO;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) coll_column_text(st, 0, buf, bufsize);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW) return VLM_OK;
    if (rc != SQLITE_DONE)
        return coll_sqlite_err(c, rc, "cannot read meta", err);
    vlm_set_err(err, "no meta key '%s' in collection %s", key, c->dir);
    return VLM_ENOTFOUND;
}

static int meta_int(collection *c, const char *key, int64_t *out, char *err)
{
    char buf[32];
    int rc = collection_meta_get(c, key, buf, sizeof buf, err);
    if (rc == VLM_OK) *out = strtoll(buf, NULL, 10);
    return rc;
}

int collection_generation(collection *c, int64_t *out, char *err)
{
    return meta_int(c, "generation", out, err);
}

int coll_embedding_changed(collection *c, int64_t id, char *err)
{
    sqlite3_stmt *st =
        coll_stmt(c,
                  "UPDATE meta SET value = CAST(value AS INTEGER) + 1 "
                  "WHERE key = 'generation' RETURNING CAST(value AS INTEGER)",
                  err);
    if (!st) return VLM_EIO;
    int rc = sqlite3_step(st);
    int64_t gen = sqlite3_column_int64(st, 0);
    if (rc == SQLITE_ROW) /* finish the statement before the insert */
        rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return coll_sqlite_err(c, rc, "cannot bump the generation", err);
    st = coll_stmt(c,
                   "INSERT INTO vector_changes (generation, image_id) "
                   "VALUES (?, ?)",
                   err);
    if (!st) return VLM_EIO;
    sqlite3_bind_int64(st, 1, gen);
    sqlite3_bind_int64(st, 2, id);
    return coll_step_done(c, st, "cannot log an embedding change", err);
}

/* Reads floor, generation and the changed ids in one read transaction,
 * so they are consistent with each other. */
static int read_changes(collection *c, int64_t since, int64_t **ids, size_t *n,
                        int64_t *current, char *err)
{
    int64_t floor = 0;
    int rc = meta_int(c, "changelog_floor", &floor, err);
    if (rc == VLM_OK) rc = collection_generation(c, current, err);
    if (rc != VLM_OK) return rc;
    if (since < floor || since > *current) {
        vlm_set_err(err, "change log of %s does not reach generation %lld",
                    c->dir, (long long)since);
        return VLM_ENOTFOUND;
    }
    sqlite3_stmt *st = coll_stmt(c,
                                 "SELECT DISTINCT image_id FROM vector_changes "
                                 "WHERE generation > ? ORDER BY image_id",
                                 err);
    if (!st) return VLM_EIO;
    sqlite3_bind_int64(st, 1, since);
    size_t cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (!coll_push_id(ids, n, &cap, sqlite3_column_int64(st, 0))) {
            sqlite3_reset(st);
            vlm_set_err(err, "out of memory reading the change log");
            return VLM_ENOMEM;
        }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? VLM_OK
                             : coll_sqlite_err(c, rc, "change log", err);
}

int collection_changes_since(collection *c, int64_t since, int64_t **ids,
                             size_t *n, int64_t *current, char *err)
{
    *ids = NULL;
    *n = 0;
    bool own = sqlite3_get_autocommit(c->db);
    if (own && coll_exec(c, "BEGIN", err) != VLM_OK) return VLM_EIO;
    int rc = read_changes(c, since, ids, n, current, err);
    if (own) sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
    if (rc != VLM_OK) {
        free(*ids);
        *ids = NULL;
        *n = 0;
    }
    return rc;
}

static int prune_op(collection *c, void *ud, char *err)
{
    int64_t upto = *(const int64_t *)ud;
    sqlite3_stmt *st =
        coll_stmt(c, "DELETE FROM vector_changes WHERE generation <= ?", err);
    if (!st) return VLM_EIO;
    sqlite3_bind_int64(st, 1, upto);
    int rc = coll_step_done(c, st, "cannot prune the change log", err);
    if (rc != VLM_OK) return rc;
    st = coll_stmt(c,
                   "UPDATE meta SET value = MAX(CAST(value AS INTEGER), ?) "
                   "WHERE key = 'changelog_floor'",
                   err);
    if (!st) return VLM_EIO;
    sqlite3_bind_int64(st, 1, upto);
    return coll_step_done(c, st, "cannot move the change-log floor", err);
}

int collection_prune_changes(collection *c, int64_t upto, char *err)
{
    return coll_atomic(c, prune_op, &upto, err);
}

/* ------------------------------------------------------------------ */
/* Roots                                                               */
/* ------------------------------------------------------------------ */

int collection_add_root(collection *c, const char *path, char *err)
{
    sqlite3_stmt *st = coll_stmt(
        c, "INSERT OR IGNORE INTO roots (path, added_at) VALUES (?, ?)", err);
    if (!st) return VLM_EIO;
    sqlite3_bind_text(st, 1, path, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, coll_now());
    return coll_step_done(c, st, "cannot add a root", err);
}

int collection_remove_root(collection *c, const char *path, char *err)
{
    sqlite3_stmt *st = coll_stmt(c, "DELETE FROM roots WHERE path = ?", err);
    if (!st) return VLM_EIO;
    sqlite3_bind_text(st, 1, path, -1, SQLITE_TRANSIENT);
    int rc = coll_step_done(c, st, "cannot remove a root", err);
    if (rc == VLM_OK && sqlite3_changes(c->db) == 0) {
        vlm_set_err(err, "%s is not a root of collection %s", path, c->dir);
        return VLM_ENOTFOUND;
    }
    return rc;
}

int collection_note_root(collection *c, const char *path, uint64_t dev,
                         int kind, char *err)
{
    sqlite3_stmt *st = coll_stmt(
        c,
        "INSERT INTO roots (path, added_at, dev, kind, seen_at) "
        "VALUES (?1, ?2, ?3, ?4, ?2) ON CONFLICT (path) DO UPDATE SET "
        "dev = excluded.dev, kind = excluded.kind, seen_at = excluded.seen_at",
        err);
    if (!st) return VLM_EIO;
    sqlite3_bind_text(st, 1, path, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, coll_now());
    /* st_dev fits in 63 bits on Linux (major:minor); stored as is. */
    sqlite3_bind_int64(st, 3, (sqlite3_int64)dev);
    sqlite3_bind_text(st, 4, kind == COLLECTION_ROOT_FILE ? "file" : "dir", -1,
                      SQLITE_STATIC);
    return coll_step_done(c, st, "cannot record a root", err);
}

int collection_get_root(collection *c, const char *path, collection_root *out,
                        char *err)
{
    sqlite3_stmt *st = coll_stmt(c,
                                 "SELECT kind, dev, added_at, seen_at "
                                 "FROM roots WHERE path = ?",
                                 err);
    if (!st) return VLM_EIO;
    sqlite3_bind_text(st, 1, path, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *kind = (const char *)sqlite3_column_text(st, 0);
        out->kind = !kind                   ? COLLECTION_ROOT_UNKNOWN
                    : !strcmp(kind, "file") ? COLLECTION_ROOT_FILE
                                            : COLLECTION_ROOT_DIR;
        out->has_dev = sqlite3_column_type(st, 1) != SQLITE_NULL;
        out->dev = (uint64_t)sqlite3_column_int64(st, 1);
        out->added_at = sqlite3_column_int64(st, 2);
        out->seen_at = sqlite3_column_int64(st, 3);
    }
    sqlite3_reset(st);
    if (rc == SQLITE_ROW) return VLM_OK;
    if (rc != SQLITE_DONE)
        return coll_sqlite_err(c, rc, "cannot read a root", err);
    vlm_set_err(err, "%s is not a root of collection %s", path, c->dir);
    return VLM_ENOTFOUND;
}

void collection_free_strings(char **strings, size_t n)
{
    for (size_t i = 0; strings && i < n; i++) free(strings[i]);
    free(strings);
}

int collection_list_roots(collection *c, char ***roots, size_t *n, char *err)
{
    *roots = NULL;
    *n = 0;
    sqlite3_stmt *st =
        coll_stmt(c, "SELECT path FROM roots ORDER BY path", err);
    if (!st) return VLM_EIO;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char **grown = realloc(*roots, (*n + 1) * sizeof **roots);
        char *s = strdup((const char *)sqlite3_column_text(st, 0));
        if (!grown || !s) {
            free(s);
            if (grown) *roots = grown;
            sqlite3_reset(st);
            collection_free_strings(*roots, *n);
            *roots = NULL, *n = 0;
            vlm_set_err(err, "out of memory listing roots");
            return VLM_ENOMEM;
        }
        *roots = grown;
        (*roots)[(*n)++] = s;
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? VLM_OK
                             : coll_sqlite_err(c, rc, "cannot list roots", err);
}

/* ------------------------------------------------------------------ */
/* Counts                                                              */
/* ------------------------------------------------------------------ */

/* Joins the first rows of quick_check ("ok", or one line per problem). */
int collection_quick_check(collection *c, bool *ok, char *report, size_t size,
                           char *err)
{
    sqlite3_stmt *st = coll_stmt(c, "PRAGMA quick_check(20)", err);
    if (!st) return VLM_EIO;
    size_t used = 0;
    int rc, rows = 0;
    report[0] = '\0';
    *ok = false;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *line = (const char *)sqlite3_column_text(st, 0);
        if (rows++ == 0 && line && strcmp(line, "ok") == 0) *ok = true;
        int n = snprintf(report + used, size - used, "%s%s", used ? "; " : "",
                         line ? line : "");
        if (n > 0) used = used + (size_t)n < size ? used + (size_t)n : size - 1;
    }
    sqlite3_reset(st);
    if (rc == SQLITE_DONE) return VLM_OK;
    if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB) { /* it is the verdict */
        snprintf(report, size, "%s", sqlite3_errmsg(c->db));
        *ok = false;
        return VLM_OK;
    }
    return coll_sqlite_err(c, rc, "quick_check", err);
}

/* Every count through an index, never a scan of the images table (whose
 * rows hold the embeddings): status is 'ok' or 'failed' (a CHECK), the
 * failed and the unembedded rows have partial indexes of their own. */
const char coll_counts_sql[] =
    "SELECT (SELECT count(*) FROM images),"
    " (SELECT count(*) FROM images WHERE status = 'failed'),"
    " (SELECT count(*) FROM images WHERE embedding IS NULL),"
    " (SELECT count(*) FROM roots),"
    " (SELECT count(*) FROM classifications),"
    " (SELECT count(*) FROM captions),"
    " (SELECT count(*) FROM dicom),"
    " (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'generation')";

int collection_get_counts(collection *c, collection_counts *out, char *err)
{
    sqlite3_stmt *st = coll_stmt(c, coll_counts_sql, err);
    if (!st) return VLM_EIO;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        int64_t unembedded = 0;
        int64_t *f[] = {&out->images, &out->failed,          &unembedded,
                        &out->roots,  &out->classifications, &out->captions,
                        &out->dicom,  &out->generation};
        for (int i = 0; i < 8; i++) *f[i] = sqlite3_column_int64(st, i);
        out->ok = out->images - out->failed;
        out->embeddings = out->images - unembedded;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? VLM_OK
                            : coll_sqlite_err(c, rc, "cannot count", err);
}
