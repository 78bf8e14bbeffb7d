/*
 * collection_images.c — the images table: insert/update with embeddings,
 * failures, lookups (path, moved-by-hash), moves, deletes, embeddings,
 * and the step-style cursor.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "schema/collection_internal.h"

/* Embeddings are stored as raw float32 in host order; we only build for
 * little-endian hosts, which makes that the documented LE format. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "embedding BLOBs are little-endian float32; add byte swapping"
#endif

#define IMAGE_COLS                                                          \
    "id, path, root, size, mtime_ns, content_hash, width, height, format, " \
    "exif_datetime, orientation, status, error, embedding IS NOT NULL, "    \
    "added_at, updated_at"

/* "path is P or under P/": [P/, P0) is every string starting with "P/"
 * ('0' follows '/'), and lets SQLite use the UNIQUE index on path. */
#define UNDER_PREFIX "(path = ?1 OR (path >= ?2 AND path < ?3))"

static void read_image_row(sqlite3_stmt *st, collection_image *out)
{
    out->id = sqlite3_column_int64(st, 0);
    coll_column_text(st, 1, out->path, sizeof out->path);
    coll_column_text(st, 2, out->root, sizeof out->root);
    out->size = sqlite3_column_int64(st, 3);
    out->mtime_ns = sqlite3_column_int64(st, 4);
    coll_column_text(st, 5, out->content_hash, sizeof out->content_hash);
    out->width = sqlite3_column_int(st, 6);
    out->height = sqlite3_column_int(st, 7);
    coll_column_text(st, 8, out->format, sizeof out->format);
    coll_column_text(st, 9, out->exif_datetime, sizeof out->exif_datetime);
    out->orientation = sqlite3_column_int(st, 10);
    const unsigned char *status = sqlite3_column_text(st, 11);
    out->status = status && strcmp((const char *)status, "failed") == 0
                      ? COLLECTION_STATUS_FAILED
                      : COLLECTION_STATUS_OK;
    coll_column_text(st, 12, out->error, sizeof out->error);
    out->has_embedding = sqlite3_column_int(st, 13) != 0;
    out->added_at = sqlite3_column_int64(st, 14);
    out->updated_at = sqlite3_column_int64(st, 15);
}

/* Binds ?1..?3 for UNDER_PREFIX; trailing '/' of the prefix ignored. */
static int bind_prefix(sqlite3_stmt *st, const char *prefix, char *err)
{
    size_t len = strlen(prefix);
    while (len > 0 && prefix[len - 1] == '/') len--;
    char *lo = malloc(len + 2), *hi = malloc(len + 2);
    if (!lo || !hi) {
        free(lo), free(hi);
        vlm_set_err(err, "out of memory");
        return VLM_ENOMEM;
    }
    memcpy(lo, prefix, len), memcpy(hi, prefix, len);
    lo[len] = '/', hi[len] = '0';
    lo[len + 1] = hi[len + 1] = '\0';
    sqlite3_bind_text(st, 1, prefix, (int)len, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, lo, -1, free);
    sqlite3_bind_text(st, 3, hi, -1, free);
    return VLM_OK;
}

/* ------------------------------------------------------------------ */
/* Writing rows                                                        */
/* ------------------------------------------------------------------ */

static void bind_info(sqlite3_stmt *st, const collection_image_info *in)
{
    coll_bind_text(st, 1, in->path);
    coll_bind_text(st, 2, in->root);
    sqlite3_bind_int64(st, 3, in->size);
    sqlite3_bind_int64(st, 4, in->mtime_ns);
    coll_bind_text(
        st, 5, in->content_hash && *in->content_hash ? in->content_hash : NULL);
    sqlite3_bind_int(st, 6, in->width);
    sqlite3_bind_int(st, 7, in->height);
    coll_bind_text(st, 8, in->format);
    coll_bind_text(st, 9,
                   in->exif_datetime && *in->exif_datetime ? in->exif_datetime
                                                           : NULL);
    sqlite3_bind_int(st, 10, in->orientation);
    sqlite3_bind_int64(st, 13, coll_now());
}

/* Upsert by path; ?11 status, ?12 error, ?13 now, ?14 embedding. */
static const char upsert_sql[] =
    "INSERT INTO images (path, root, size, mtime_ns, content_hash, width, "
    "  height, format, exif_datetime, orientation, status, error, "
    "  embedding, added_at, updated_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?14, ?13, ?13) "
    "ON CONFLICT (path) DO UPDATE SET root = excluded.root, "
    "  size = excluded.size, mtime_ns = excluded.mtime_ns, "
    "  content_hash = excluded.content_hash, width = excluded.width, "
    "  height = excluded.height, format = excluded.format, "
    "  exif_datetime = excluded.exif_datetime, "
    "  orientation = excluded.orientation, status = excluded.status, "
    "  error = excluded.error, embedding = excluded.embedding, "
    "  updated_at = excluded.updated_at "
    "RETURNING id";

typedef struct {
    const collection_image_info *info;
    const float *vec; /* NULL for a failure */
    int dims;
    const char *error_text;
    int64_t id;
} put_args;

static int had_embedding(collection *c, const char *path, bool *had, char *err)
{
    sqlite3_stmt *st = coll_stmt(
        c, "SELECT embedding IS NOT NULL FROM images WHERE path = ?", err);
    if (!st) return VLM_EIO;
    sqlite3_bind_text(st, 1, path, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    *had = rc == SQLITE_ROW && sqlite3_column_int(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE
               ? VLM_OK
               : coll_sqlite_err(c, rc, "cannot look up", err);
}

static int put_op(collection *c, void *ud, char *err)
{
    put_args *a = ud;
    bool changed = a->vec != NULL;
    if (!changed) {
        int rc = had_embedding(c, a->info->path, &changed, err);
        if (rc != VLM_OK) return rc;
    }
    sqlite3_stmt *st = coll_stmt(c, upsert_sql, err);
    if (!st) return VLM_EIO;
    bind_info(st, a->info);
    sqlite3_bind_text(st, 11, a->vec ? "ok" : "failed", -1, SQLITE_STATIC);
    coll_bind_text(st, 12, a->error_text);
    if (a->vec)
        sqlite3_bind_blob(st, 14, a->vec, a->dims * (int)sizeof(float),
                          SQLITE_STATIC);
    int rc = sqlite3_step(st);
    a->id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW)
        return coll_sqlite_err(c, rc, "cannot write an image row", err);
    return changed ? coll_embedding_changed(c, a->id, err) : VLM_OK;
}

/* Copy of v scaled to unit length (stored vectors are always normalised,
 * so inner product = cosine). */
static float *normalised_copy(const float *v, int dims, char *err)
{
    double ss = 0;
    for (int i = 0; i < dims; i++) ss += (double)v[i] * v[i];
    float *out = malloc((size_t)dims * sizeof *out);
    if (!out) {
        vlm_set_err(err, "out of memory");
        return NULL;
    }
    float scale = ss > 0 ? (float)(1.0 / sqrt(ss)) : 0.0f;
    for (int i = 0; i < dims; i++) out[i] = v[i] * scale;
    return out;
}

int collection_put_image(collection *c, const collection_image_info *info,
                         const float *embedding, int dims, int64_t *id_out,
                         char *err)
{
    if (!info || !info->path || !embedding) {
        vlm_set_err(err, "put image: path and embedding required");
        return VLM_EINVAL;
    }
    if (c->model_dims == 0) {
        vlm_set_err(err, "collection %s: bind a model before adding images",
                    c->dir);
        return VLM_EINVAL;
    }
    if (dims != c->model_dims) {
        vlm_set_err(err, "%s: embedding has %d dims, collection model %d",
                    info->path, dims, c->model_dims);
        return VLM_EMISMATCH;
    }
    float *unit = normalised_copy(embedding, dims, err);
    if (!unit) return VLM_ENOMEM;
    put_args a = {.info = info, .vec = unit, .dims = dims};
    int rc = coll_atomic(c, put_op, &a, err);
    free(unit);
    if (rc == VLM_OK && id_out) *id_out = a.id;
    return rc;
}

int collection_put_failure(collection *c, const collection_image_info *info,
                           const char *error_text, int64_t *id_out, char *err)
{
    if (!info || !info->path) {
        vlm_set_err(err, "put failure: path required");
        return VLM_EINVAL;
    }
    put_args a = {.info = info, .error_text = error_text ? error_text : ""};
    int rc = coll_atomic(c, put_op, &a, err);
    if (rc == VLM_OK && id_out) *id_out = a.id;
    return rc;
}

/* ------------------------------------------------------------------ */
/* Lookups                                                             */
/* ------------------------------------------------------------------ */

/* Steps a bound single-row lookup into *out; VLM_ENOTFOUND if no row. */
static int read_one_image(collection *c, sqlite3_stmt *st,
                          collection_image *out, char *err)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) read_image_row(st, out);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW) return VLM_OK;
    return rc == SQLITE_DONE ? VLM_ENOTFOUND
                             : coll_sqlite_err(c, rc, "cannot look up", err);
}

int collection_find_by_path(collection *c, const char *path,
                            collection_image *out, char *err)
{
    sqlite3_stmt *st =
        coll_stmt(c, "SELECT " IMAGE_COLS " FROM images WHERE path = ?", err);
    if (!st) return VLM_EIO;
    sqlite3_bind_text(st, 1, path, -1, SQLITE_TRANSIENT);
    int rc = read_one_image(c, st, out, err);
    if (rc == VLM_ENOTFOUND)
        vlm_set_err(err, "%s is not in collection %s", path, c->dir);
    return rc;
}

int collection_get_image(collection *c, int64_t id, collection_image *out,
                         char *err)
{
    sqlite3_stmt *st =
        coll_stmt(c, "SELECT " IMAGE_COLS " FROM images WHERE id = ?", err);
    if (!st) return VLM_EIO;
    sqlite3_bind_int64(st, 1, id);
    int rc = read_one_image(c, st, out, err);
    if (rc == VLM_ENOTFOUND)
        vlm_set_err(err, "no image with id %lld in collection %s",
                    (long long)id, c->dir);
    return rc;
}

int collection_find_moved(collection *c, const char *content_hash,
                          collection_image *out, char *err)
{
    sqlite3_stmt *st = coll_stmt(c,
                                 "SELECT " IMAGE_COLS " FROM images "
                                 "WHERE content_hash = ? AND "
                                 "embedding IS NOT NULL ORDER BY id",
                                 err);
    if (!st) return VLM_EIO;
    sqlite3_bind_text(st, 1, content_hash, -1, SQLITE_TRANSIENT);
    int rc;
    struct stat sb;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        read_image_row(st, out);
        if (stat(out->path, &sb) != 0 && errno == ENOENT) break;
    }
    sqlite3_reset(st);
    if (rc == SQLITE_ROW) return VLM_OK;
    if (rc != SQLITE_DONE)
        return coll_sqlite_err(c, rc, "cannot look up a hash", err);
    vlm_set_err(err, "no vanished file with hash %.16s", content_hash);
    return VLM_ENOTFOUND;
}

/* ------------------------------------------------------------------ */
/* Moves and deletes                                                   */
/* ------------------------------------------------------------------ */

int collection_move_image(collection *c, int64_t id, const char *new_path,
                          const char *new_root, int64_t size, int64_t mtime_ns,
                          char *err)
{
    sqlite3_stmt *st = coll_stmt(c,
                                 "UPDATE images SET path = ?, root = ?, "
                                 "size = ?, mtime_ns = ?, updated_at = ? "
                                 "WHERE id = ?",
                                 err);
    if (!st) return VLM_EIO;
    sqlite3_bind_text(st, 1, new_path, -1, SQLITE_TRANSIENT);
    coll_bind_text(st, 2, new_root);
    sqlite3_bind_int64(st, 3, size);
    sqlite3_bind_int64(st, 4, mtime_ns);
    sqlite3_bind_int64(st, 5, coll_now());
    sqlite3_bind_int64(st, 6, id);
    int rc = coll_step_done(c, st, "cannot move an image row", err);
    if (rc == VLM_EINVAL)
        vlm_set_err(err, "cannot move image %lld to %s: path already indexed",
                    (long long)id, new_path);
    if (rc == VLM_OK && sqlite3_changes(c->db) == 0) {
        vlm_set_err(err, "no image with id %lld", (long long)id);
        return VLM_ENOTFOUND;
    }
    return rc;
}

typedef struct {
    int64_t id; /* delete by id when prefix is NULL */
    const char *prefix;
    int64_t n_deleted;
} delete_args;

/* Logs every deleted id that had an embedding. */
static int delete_op(collection *c, void *ud, char *err)
{
    delete_args *a = ud;
    sqlite3_stmt *st = a->prefix
                           ? coll_stmt(c,
                                       "DELETE FROM images WHERE " UNDER_PREFIX
                                       " RETURNING id, embedding IS NOT NULL",
                                       err)
                           : coll_stmt(c,
                                       "DELETE FROM images WHERE id = ?1 "
                                       "RETURNING id, embedding IS NOT NULL",
                                       err);
    if (!st) return VLM_EIO;
    int rc = a->prefix ? bind_prefix(st, a->prefix, err)
                       : sqlite3_bind_int64(st, 1, a->id);
    if (rc != VLM_OK) return rc;
    int64_t *ids = NULL;
    size_t n = 0, cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        a->n_deleted++;
        if (sqlite3_column_int(st, 1) &&
            !coll_push_id(&ids, &n, &cap, sqlite3_column_int64(st, 0)))
            break;
    }
    sqlite3_reset(st);
    int status = rc == SQLITE_DONE ? VLM_OK
                 : rc == SQLITE_ROW
                     ? (vlm_set_err(err, "out of memory deleting"), VLM_ENOMEM)
                     : coll_sqlite_err(c, rc, "cannot delete images", err);
    for (size_t i = 0; status == VLM_OK && i < n; i++)
        status = coll_embedding_changed(c, ids[i], err);
    free(ids);
    return status;
}

int collection_delete_image(collection *c, int64_t id, char *err)
{
    delete_args a = {.id = id};
    int rc = coll_atomic(c, delete_op, &a, err);
    if (rc == VLM_OK && a.n_deleted == 0) {
        vlm_set_err(err, "no image with id %lld", (long long)id);
        return VLM_ENOTFOUND;
    }
    return rc;
}

int collection_delete_under(collection *c, const char *prefix,
                            int64_t *n_deleted, char *err)
{
    delete_args a = {.prefix = prefix};
    int rc = coll_atomic(c, delete_op, &a, err);
    if (n_deleted) *n_deleted = rc == VLM_OK ? a.n_deleted : 0;
    return rc;
}

/* ------------------------------------------------------------------ */
/* Embeddings                                                          */
/* ------------------------------------------------------------------ */

int collection_get_embedding(collection *c, int64_t id, float *out, int dims,
                             char *err)
{
    sqlite3_stmt *st =
        coll_stmt(c, "SELECT embedding FROM images WHERE id = ?", err);
    if (!st) return VLM_EIO;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    const void *blob = rc == SQLITE_ROW ? sqlite3_column_blob(st, 0) : NULL;
    int bytes = blob ? sqlite3_column_bytes(st, 0) : 0;
    int status = VLM_OK;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        status = coll_sqlite_err(c, rc, "cannot read an embedding", err);
    else if (!blob) {
        vlm_set_err(err, "image %lld has no embedding", (long long)id);
        status = VLM_ENOTFOUND;
    } else if (bytes != dims * (int)sizeof(float)) {
        vlm_set_err(err, "image %lld: embedding is %d bytes, expected %d",
                    (long long)id, bytes, dims * (int)sizeof(float));
        status = VLM_EMISMATCH;
    } else
        memcpy(out, blob, (size_t)bytes);
    sqlite3_reset(st);
    return status;
}

int collection_ids_under(collection *c, const char *prefix, int64_t **ids,
                         size_t *n, char *err)
{
    *ids = NULL;
    *n = 0;
    sqlite3_stmt *st = coll_stmt(c,
                                 "SELECT id FROM images WHERE " UNDER_PREFIX
                                 " AND status = 'ok' AND embedding IS NOT NULL"
                                 " ORDER BY id",
                                 err);
    if (!st) return VLM_EIO;
    int rc = bind_prefix(st, prefix, err);
    if (rc != VLM_OK) return rc;
    size_t cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (!coll_push_id(ids, n, &cap, sqlite3_column_int64(st, 0))) break;
    sqlite3_reset(st);
    if (rc == SQLITE_DONE) return VLM_OK;
    free(*ids);
    *ids = NULL, *n = 0;
    if (rc == SQLITE_ROW) {
        vlm_set_err(err, "out of memory listing ids under %s", prefix);
        return VLM_ENOMEM;
    }
    return coll_sqlite_err(c, rc, "cannot list ids", err);
}

/* Streams (id, embedding) in ascending id into chunk buffers. */
int collection_for_each_embedding(collection *c, size_t chunk,
                                  collection_embedding_cb cb, void *ud,
                                  char *err)
{
    int dims = c->model_dims;
    if (dims == 0) return VLM_OK; /* no model, so no embeddings */
    if (chunk == 0) chunk = 4096;
    int64_t *ids = malloc(chunk * sizeof *ids);
    float *vecs = malloc(chunk * (size_t)dims * sizeof *vecs);
    sqlite3_stmt *st = coll_stmt(c,
                                 "SELECT id, embedding FROM images WHERE "
                                 "embedding IS NOT NULL ORDER BY id",
                                 err);
    int status = !ids || !vecs ? (vlm_set_err(err, "out of memory"), VLM_ENOMEM)
                 : !st         ? VLM_EIO
                               : VLM_OK;
    size_t n = 0;
    int rc = SQLITE_DONE;
    while (status == VLM_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        ids[n] = sqlite3_column_int64(st, 0);
        if (sqlite3_column_bytes(st, 1) != dims * (int)sizeof(float)) {
            vlm_set_err(err,
                        "image %lld: embedding size does not match "
                        "the model's %d dims",
                        (long long)ids[n], dims);
            status = VLM_EFORMAT;
            break;
        }
        memcpy(vecs + n * (size_t)dims, sqlite3_column_blob(st, 1),
               (size_t)dims * sizeof(float));
        if (++n == chunk) {
            status = cb(ud, ids, vecs, n);
            n = 0;
        }
    }
    if (status == VLM_OK && rc != SQLITE_DONE)
        status = coll_sqlite_err(c, rc, "cannot read embeddings", err);
    if (status == VLM_OK && n > 0) status = cb(ud, ids, vecs, n);
    if (st) sqlite3_reset(st);
    free(ids);
    free(vecs);
    return status;
}

typedef struct {
    int64_t *ids;
    float *vecs;
    size_t n, cap;
    int dims;
} load_acc;

static int load_chunk(void *ud, const int64_t *ids, const float *vecs, size_t n)
{
    load_acc *a = ud;
    if (a->n + n > a->cap) {
        size_t cap = a->cap ? a->cap : 1024;
        while (cap < a->n + n) cap *= 2;
        int64_t *gi = realloc(a->ids, cap * sizeof *gi);
        if (gi) a->ids = gi;
        float *gv = realloc(a->vecs, cap * (size_t)a->dims * sizeof *gv);
        if (gv) a->vecs = gv;
        if (!gi || !gv) return VLM_ENOMEM;
        a->cap = cap;
    }
    memcpy(a->ids + a->n, ids, n * sizeof *ids);
    memcpy(a->vecs + a->n * (size_t)a->dims, vecs,
           n * (size_t)a->dims * sizeof *vecs);
    a->n += n;
    return VLM_OK;
}

int collection_load_embeddings(collection *c, int64_t **ids, float **vecs,
                               size_t *n, int *dims, char *err)
{
    load_acc a = {.dims = c->model_dims};
    int rc = collection_for_each_embedding(c, 8192, load_chunk, &a, err);
    if (rc == VLM_ENOMEM) vlm_set_err(err, "out of memory loading embeddings");
    if (rc != VLM_OK) {
        free(a.ids), free(a.vecs);
        a = (load_acc){0};
    }
    *ids = a.ids, *vecs = a.vecs, *n = a.n, *dims = c->model_dims;
    return rc;
}

/* ------------------------------------------------------------------ */
/* Cursor                                                              */
/* ------------------------------------------------------------------ */

struct collection_cursor {
    collection *c;
    sqlite3_stmt *st; /* owned: not from the cache, may outlive calls */
};

int collection_cursor_open(collection *c, const char *prefix, int which,
                           collection_cursor **out, char *err)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT " IMAGE_COLS " FROM images WHERE %s%s "
             "ORDER BY path",
             prefix ? UNDER_PREFIX : "1",
             which == COLLECTION_ROWS_OK       ? " AND status = 'ok'"
             : which == COLLECTION_ROWS_FAILED ? " AND status = 'failed'"
                                               : "");
    *out = NULL;
    collection_cursor *cur = calloc(1, sizeof *cur);
    if (!cur) {
        vlm_set_err(err, "out of memory");
        return VLM_ENOMEM;
    }
    cur->c = c;
    int rc = sqlite3_prepare_v2(c->db, sql, -1, &cur->st, NULL);
    int status = rc == SQLITE_OK
                     ? VLM_OK
                     : coll_sqlite_err(c, rc, "cannot iterate", err);
    if (status == VLM_OK && prefix) status = bind_prefix(cur->st, prefix, err);
    if (status != VLM_OK) {
        collection_cursor_close(cur);
        return status;
    }
    *out = cur;
    return VLM_OK;
}

int collection_cursor_step(collection_cursor *cur, collection_image *row,
                           char *err)
{
    int rc = sqlite3_step(cur->st);
    if (rc == SQLITE_ROW) {
        read_image_row(cur->st, row);
        return 1;
    }
    if (rc == SQLITE_DONE) return 0;
    return coll_sqlite_err(cur->c, rc, "cannot iterate images", err);
}

void collection_cursor_close(collection_cursor *cur)
{
    if (!cur) return;
    sqlite3_finalize(cur->st);
    free(cur);
}
