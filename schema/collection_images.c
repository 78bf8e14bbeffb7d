/*
 * collection_images.c — the images table: insert/update with embeddings,
 * failures, lookups (path, id, content hash, SOP UID), moves, deletes,
 * embeddings, and the step-style cursor.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/collection_internal.h"

/* Embeddings are stored as raw float32 in host order; we only build for
 * little-endian hosts, which makes that the documented LE format. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "embedding BLOBs are little-endian float32; add byte swapping"
#endif

#define IMAGE_COLS                                                          \
    "id, path, root, size, mtime_ns, content_hash, width, height, format, " \
    "exif_datetime, orientation, status, error, embedding IS NOT NULL, "    \
    "added_at, updated_at, sop_uid, camera_make, camera_model"

/* "path is P or under P/": [P/, P0) is every string starting with "P/"
 * ('0' follows '/'), and lets SQLite use the UNIQUE index on path. */
#define UNDER_PREFIX "(path = ?1 OR (path >= ?2 AND path < ?3))"

static const char *column_or_empty(sqlite3_stmt *st, int i)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    return s ? (const char *)s : "";
}

/* Copies the NUL-terminated strings src[0..n) into buf (grown as needed)
 * and points dst[i] at the copies. */
static int keep_strings(coll_text_buf *buf, const char *const *src,
                        const char **dst, int n, char *err)
{
    size_t need = 0, len[4];
    for (int i = 0; i < n; i++) need += (len[i] = strlen(src[i])) + 1;
    if (need > buf->cap) {
        char *grown = realloc(buf->data, need);
        if (!grown) {
            vlm_set_err(err, "out of memory reading an image row");
            return VLM_ENOMEM;
        }
        buf->data = grown;
        buf->cap = need;
    }
    char *p = buf->data;
    for (int i = 0; i < n; i++) {
        memcpy(p, src[i], len[i] + 1);
        dst[i] = p;
        p += len[i] + 1;
    }
    return VLM_OK;
}

static int read_image_row(sqlite3_stmt *st, collection_image *out,
                          coll_text_buf *buf, char *err)
{
    const char *text[3] = {column_or_empty(st, 1), column_or_empty(st, 2),
                           column_or_empty(st, 12)};
    const char *kept[3];
    int rc = keep_strings(buf, text, kept, 3, err);
    if (rc != VLM_OK) return rc;
    out->id = sqlite3_column_int64(st, 0);
    out->path = kept[0];
    out->root = kept[1];
    out->error = kept[2];
    out->size = sqlite3_column_int64(st, 3);
    out->mtime_ns = sqlite3_column_int64(st, 4);
    coll_column_text(st, 5, out->content_hash, sizeof out->content_hash);
    out->width = sqlite3_column_int(st, 6);
    out->height = sqlite3_column_int(st, 7);
    coll_column_text(st, 8, out->format, sizeof out->format);
    coll_column_text(st, 9, out->exif_datetime, sizeof out->exif_datetime);
    out->orientation = sqlite3_column_int(st, 10);
    out->status = strcmp(column_or_empty(st, 11), "failed") == 0
                      ? COLLECTION_STATUS_FAILED
                      : COLLECTION_STATUS_OK;
    out->has_embedding = sqlite3_column_int(st, 13) != 0;
    out->added_at = sqlite3_column_int64(st, 14);
    out->updated_at = sqlite3_column_int64(st, 15);
    coll_column_text(st, 16, out->sop_uid, sizeof out->sop_uid);
    coll_column_text(st, 17, out->camera_make, sizeof out->camera_make);
    coll_column_text(st, 18, out->camera_model, sizeof out->camera_model);
    return VLM_OK;
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

static const char *nonempty(const char *s) { return s && *s ? s : NULL; }

static void bind_info(sqlite3_stmt *st, const collection_image_info *in)
{
    coll_bind_text(st, 1, in->path);
    coll_bind_text(st, 2, in->root);
    sqlite3_bind_int64(st, 3, in->size);
    sqlite3_bind_int64(st, 4, in->mtime_ns);
    coll_bind_text(st, 5, nonempty(in->content_hash));
    sqlite3_bind_int(st, 6, in->width);
    sqlite3_bind_int(st, 7, in->height);
    coll_bind_text(st, 8, in->format);
    coll_bind_text(st, 9, nonempty(in->exif_datetime));
    sqlite3_bind_int(st, 10, in->orientation);
    sqlite3_bind_int64(st, 13, coll_now());
    coll_bind_text(st, 15, nonempty(in->sop_uid));
    coll_bind_text(st, 16, nonempty(in->camera_make));
    coll_bind_text(st, 17, nonempty(in->camera_model));
}

#define UPSERT_SET                                                           \
    "root = excluded.root, size = excluded.size, "                           \
    "mtime_ns = excluded.mtime_ns, content_hash = excluded.content_hash, "   \
    "width = excluded.width, height = excluded.height, "                     \
    "format = excluded.format, exif_datetime = excluded.exif_datetime, "     \
    "orientation = excluded.orientation, status = excluded.status, "         \
    "error = excluded.error, embedding = excluded.embedding, "               \
    "updated_at = excluded.updated_at, camera_make = excluded.camera_make, " \
    "camera_model = excluded.camera_model "

/* Upsert by key: the path, or the SOP Instance UID of an instance row
 * (whose URL may change).  ?11 status, ?12 error, ?13 now, ?14 embedding,
 * ?15 sop_uid. */
static const char upsert_sql[] =
    "INSERT INTO images (path, root, size, mtime_ns, content_hash, width, "
    "  height, format, exif_datetime, orientation, status, error, "
    "  embedding, added_at, updated_at, sop_uid, camera_make, camera_model) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?14, ?13, ?13, "
    "  ?15, ?16, ?17) "
    "ON CONFLICT (path) DO UPDATE SET " UPSERT_SET
    ", sop_uid = excluded.sop_uid "
    "ON CONFLICT (sop_uid) WHERE sop_uid IS NOT NULL DO UPDATE SET "
    "  path = excluded.path, " UPSERT_SET "RETURNING id";

typedef struct {
    const collection_image_info *info;
    const float *vec; /* NULL for a failure */
    int dims;
    const char *error_text;
    int64_t id;
} put_args;

/* Whether the row this put replaces (same key) had an embedding. */
static int had_embedding(collection *c, const collection_image_info *info,
                         bool *had, char *err)
{
    sqlite3_stmt *st = coll_stmt(c,
                                 "SELECT embedding IS NOT NULL FROM images "
                                 "WHERE path = ?1 OR sop_uid = ?2",
                                 err);
    if (!st) return VLM_EIO;
    sqlite3_bind_text(st, 1, info->path, -1, SQLITE_TRANSIENT);
    coll_bind_text(st, 2, nonempty(info->sop_uid));
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
        int rc = had_embedding(c, a->info, &changed, err);
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

/* Stored vectors are unit length (inner product = cosine).  Callers
 * normalise once on the way in; a vector that is not unit yet gets a
 * normalised copy in *copy, one that is passes through untouched. */
static const float *unit_vector(const float *v, size_t dims, float **copy,
                                char *err)
{
    double ss = 0;
    for (size_t i = 0; i < dims; i++) ss += (double)v[i] * v[i];
    *copy = NULL;
    if (fabs(ss - 1.0) <= 1e-4) return v;
    float *out = malloc(dims * sizeof *out);
    if (!out) {
        vlm_set_err(err, "out of memory");
        return NULL;
    }
    float scale = ss > 0 ? (float)(1.0 / sqrt(ss)) : 0.0f;
    for (size_t i = 0; i < dims; i++) out[i] = v[i] * scale;
    return *copy = out;
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
    float *copy;
    const float *unit = unit_vector(embedding, (size_t)dims, &copy, err);
    if (!unit) return VLM_ENOMEM;
    put_args a = {.info = info, .vec = unit, .dims = dims};
    int rc = coll_atomic(c, put_op, &a, err);
    free(copy);
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
    int status = rc == SQLITE_ROW ? read_image_row(st, out, &c->row_text, err)
                 : rc == SQLITE_DONE
                     ? VLM_ENOTFOUND
                     : coll_sqlite_err(c, rc, "cannot look up", err);
    sqlite3_reset(st);
    return status;
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

int collection_image_brief(collection *c, int64_t id, collection_brief *out,
                           char *err)
{
    sqlite3_stmt *st = coll_stmt(
        c,
        "SELECT path, width, height, " COLL_TAKEN_SQL ", " COLL_TAKEN_EXIF_SQL
        ", TRIM(COALESCE(camera_make, '') || ' ' || "
        "COALESCE(camera_model, '')), format, root FROM images WHERE id = ?",
        err);
    if (!st) return VLM_EIO;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    const char *text[2] = {NULL, NULL}, *kept[2];
    if (rc == SQLITE_ROW) {
        text[0] = column_or_empty(st, 0);
        text[1] = column_or_empty(st, 7);
    }
    int status = text[0] ? keep_strings(&c->row_text, text, kept, 2, err)
                 : rc == SQLITE_DONE
                     ? VLM_ENOTFOUND
                     : coll_sqlite_err(c, rc, "cannot look up", err);
    if (status == VLM_OK) {
        out->id = id;
        out->path = kept[0];
        out->root = kept[1];
        out->width = sqlite3_column_int(st, 1);
        out->height = sqlite3_column_int(st, 2);
        coll_column_text(st, 3, out->taken, sizeof out->taken);
        out->taken_exif = sqlite3_column_int(st, 4) != 0;
        coll_column_text(st, 5, out->camera, sizeof out->camera);
        coll_column_text(st, 6, out->format, sizeof out->format);
    }
    sqlite3_reset(st);
    if (status == VLM_ENOTFOUND)
        vlm_set_err(err, "no image with id %lld in collection %s",
                    (long long)id, c->dir);
    return status;
}

int collection_find_by_hash(collection *c, const char *content_hash,
                            int64_t *id, char *err)
{
    sqlite3_stmt *st =
        coll_stmt(c,
                  "SELECT id FROM images WHERE content_hash = ? "
                  "AND embedding IS NOT NULL ORDER BY id LIMIT 1",
                  err);
    if (!st) return VLM_EIO;
    sqlite3_bind_text(st, 1, content_hash, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW) return VLM_OK;
    if (rc != SQLITE_DONE)
        return coll_sqlite_err(c, rc, "cannot look up a hash", err);
    vlm_set_err(err, "no embedded image with hash %.16s", content_hash);
    return VLM_ENOTFOUND;
}

int collection_hash_rows(collection *c, const char *content_hash,
                         collection_path_cb cb, void *ud, char *err)
{
    sqlite3_stmt *st = coll_stmt(c,
                                 "SELECT id, path FROM images "
                                 "WHERE content_hash = ? AND "
                                 "embedding IS NOT NULL ORDER BY id",
                                 err);
    if (!st) return VLM_EIO;
    sqlite3_bind_text(st, 1, content_hash, -1, SQLITE_TRANSIENT);
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW)
        stop = cb(ud, sqlite3_column_int64(st, 0), column_or_empty(st, 1));
    sqlite3_reset(st);
    if (stop || rc == SQLITE_DONE) return stop;
    return coll_sqlite_err(c, rc, "cannot look up a hash", err);
}

int collection_has_sop_uid(collection *c, const char *sop_uid, char *err)
{
    /* Every instance row also has a dicom row, so the dicom table (DICOM
     * files and instances alike) answers for both. */
    sqlite3_stmt *st =
        coll_stmt(c, "SELECT 1 FROM dicom WHERE sop_uid = ?", err);
    if (!st) return VLM_EIO;
    sqlite3_bind_text(st, 1, sop_uid, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW || rc == SQLITE_DONE) return rc == SQLITE_ROW;
    return coll_sqlite_err(c, rc, "cannot look up a SOP Instance UID", err);
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

int collection_count_under(collection *c, const char *prefix, int64_t *n,
                           char *err)
{
    sqlite3_stmt *st =
        coll_stmt(c, "SELECT count(*) FROM images WHERE " UNDER_PREFIX, err);
    if (!st) return VLM_EIO;
    int rc = bind_prefix(st, prefix, err);
    if (rc != VLM_OK) return rc;
    rc = sqlite3_step(st);
    *n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? VLM_OK
                            : coll_sqlite_err(c, rc, "cannot count", err);
}

int collection_sample_under(collection *c, const char *prefix, int max,
                            char ***paths, size_t *n, char *err)
{
    *paths = NULL;
    *n = 0;
    sqlite3_stmt *st = coll_stmt(
        c, "SELECT path FROM images WHERE " UNDER_PREFIX " LIMIT ?4", err);
    if (!st) return VLM_EIO;
    int rc = bind_prefix(st, prefix, err);
    if (rc != VLM_OK) return rc;
    sqlite3_bind_int(st, 4, max);
    char **out = calloc((size_t)(max > 0 ? max : 1), sizeof *out);
    while (out && (rc = sqlite3_step(st)) == SQLITE_ROW && (int)*n < max) {
        if (!(out[*n] = strdup(column_or_empty(st, 0)))) break;
        (*n)++;
    }
    sqlite3_reset(st);
    if (out && (rc == SQLITE_DONE || (int)*n == max)) {
        *paths = out;
        return VLM_OK;
    }
    collection_free_strings(out, *n);
    *n = 0;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return coll_sqlite_err(c, rc, "cannot list paths", err);
    vlm_set_err(err, "out of memory listing paths under %s", prefix);
    return VLM_ENOMEM;
}

static int get_each(collection *c, const int64_t *ids, size_t n, float *out,
                    int dims, bool *found, char *err)
{
    for (size_t i = 0; i < n; i++) {
        float *row = out + i * (size_t)dims;
        int rc = collection_get_embedding(c, ids[i], row, dims, err);
        found[i] = rc == VLM_OK;
        if (rc == VLM_ENOTFOUND)
            memset(row, 0, (size_t)dims * sizeof *row);
        else if (rc != VLM_OK)
            return rc;
    }
    return VLM_OK;
}

int collection_get_embeddings(collection *c, const int64_t *ids, size_t n,
                              float *out, int dims, bool *found, char *err)
{
    bool own = sqlite3_get_autocommit(c->db);
    if (own && coll_exec(c, "BEGIN", err) != VLM_OK) return VLM_EIO;
    int rc = get_each(c, ids, n, out, dims, found, err);
    if (own) sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
    return rc;
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
    sqlite3_stmt *st;       /* owned: not from the cache, may outlive calls */
    coll_text_buf row_text; /* strings of the current row */
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
        int status = read_image_row(cur->st, row, &cur->row_text, err);
        return status == VLM_OK ? 1 : status;
    }
    if (rc == SQLITE_DONE) return 0;
    return coll_sqlite_err(cur->c, rc, "cannot iterate images", err);
}

void collection_cursor_close(collection_cursor *cur)
{
    if (!cur) return;
    sqlite3_finalize(cur->st);
    free(cur->row_text.data);
    free(cur);
}
