/*
 * collection_filter.c — ids that pass metadata filters (--in, --after,
 * --before, --camera, --type, --min-size): the subset a search or a
 * classification runs inside.
 */
#include <stdlib.h>
#include <string.h>

#include "schema/collection_internal.h"

/* Every condition is "?N IS NULL OR ...", so one statement serves all
 * combinations (the cache keys on this text). */
static const char filter_sql[] =
    "SELECT id FROM images WHERE status = 'ok' AND embedding IS NOT NULL"
    " AND (?1 IS NULL OR path = ?1 OR (path >= ?2 AND path < ?3))"
    " AND (?4 IS NULL OR " COLL_TAKEN_SQL " >= ?4)"
    " AND (?5 IS NULL OR " COLL_TAKEN_SQL " < ?5)"
    " AND (?6 IS NULL OR (COALESCE(camera_make, '') || ' ' ||"
    "  COALESCE(camera_model, '')) LIKE ?6 ESCAPE '\\')"
    " AND (?7 IS NULL OR format IN (SELECT value FROM json_each(?7)))"
    " AND COALESCE(width, 0) >= ?8 AND COALESCE(height, 0) >= ?9"
    " ORDER BY id";

/* "%text%" with LIKE's wildcards escaped (malloc'ed). */
static char *like_pattern(const char *s)
{
    char *out = malloc(2 * strlen(s) + 3), *o = out;
    if (!out) return NULL;
    *o++ = '%';
    for (; *s; s++) {
        if (strchr("%_\\", *s)) *o++ = '\\';
        *o++ = *s;
    }
    *o++ = '%';
    *o = 0;
    return out;
}

/* ["jpeg","png"] (the names are checked words; quotes and backslashes are
 * escaped anyway). */
static char *json_words(const char *const *w, int n)
{
    size_t cap = 3;
    for (int i = 0; i < n; i++) cap += 2 * strlen(w[i]) + 3;
    char *out = malloc(cap), *o = out;
    if (!out) return NULL;
    *o++ = '[';
    for (int i = 0; i < n; i++) {
        if (i) *o++ = ',';
        *o++ = '"';
        for (const char *p = w[i]; *p; p++) {
            if (*p == '"' || *p == '\\') *o++ = '\\';
            *o++ = *p;
        }
        *o++ = '"';
    }
    *o++ = ']';
    *o = 0;
    return out;
}

static int bind_filter(sqlite3_stmt *st, const collection_filter *f)
{
    if (f->prefix) {
        size_t len = strlen(f->prefix);
        while (len > 1 && f->prefix[len - 1] == '/') len--;
        char *lo = malloc(len + 2), *hi = malloc(len + 2);
        if (!lo || !hi) {
            free(lo), free(hi);
            return VLM_ENOMEM;
        }
        memcpy(lo, f->prefix, len), memcpy(hi, f->prefix, len);
        lo[len] = '/', hi[len] = '0';
        lo[len + 1] = hi[len + 1] = 0;
        sqlite3_bind_text(st, 1, f->prefix, (int)len, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, lo, -1, free);
        sqlite3_bind_text(st, 3, hi, -1, free);
    }
    coll_bind_text(st, 4, f->after && *f->after ? f->after : NULL);
    coll_bind_text(st, 5, f->before && *f->before ? f->before : NULL);
    char *like = f->camera ? like_pattern(f->camera) : NULL;
    char *formats = f->n_formats ? json_words(f->formats, f->n_formats) : NULL;
    if ((f->camera && !like) || (f->n_formats && !formats)) {
        free(like), free(formats);
        return VLM_ENOMEM;
    }
    if (like) sqlite3_bind_text(st, 6, like, -1, free);
    if (formats) sqlite3_bind_text(st, 7, formats, -1, free);
    sqlite3_bind_int(st, 8, f->min_width);
    sqlite3_bind_int(st, 9, f->min_height);
    return VLM_OK;
}

int collection_ids_filtered(collection *c, const collection_filter *f,
                            int64_t **ids, size_t *n, char *err)
{
    *ids = NULL;
    *n = 0;
    sqlite3_stmt *st = coll_stmt(c, filter_sql, err);
    if (!st) return VLM_EIO;
    sqlite3_clear_bindings(st);
    int rc = bind_filter(st, f);
    if (rc) {
        sqlite3_clear_bindings(st);
        vlm_set_err(err, "out of memory filtering images");
        return rc;
    }
    size_t cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (!coll_push_id(ids, n, &cap, sqlite3_column_int64(st, 0))) break;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc == SQLITE_DONE) return VLM_OK;
    free(*ids);
    *ids = NULL, *n = 0;
    if (rc == SQLITE_ROW) {
        vlm_set_err(err, "out of memory filtering images");
        return VLM_ENOMEM;
    }
    return coll_sqlite_err(c, rc, "cannot filter images", err);
}
