/* collection_compare.c — row-by-row comparison of two collections. */
#include "tests/scale/collection_compare.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/collection.h"

typedef struct side {
    collection *c;
    collection_cursor *cur;
    collection_image row;
    int step; /* 1 = row valid, 0 = done, < 0 error */
    float *vec;
    int dims;
} side;

static int open_side(const char *dir, side *s, char *why, size_t size)
{
    char err[VLM_ERR_MAX];
    collection_model m;
    memset(s, 0, sizeof *s);
    if (collection_open(dir, NULL, &s->c, err) ||
        collection_get_model(s->c, &m, err) ||
        collection_cursor_open(s->c, NULL, COLLECTION_ROWS_ALL, &s->cur, err)) {
        snprintf(why, size, "%s: %s", dir, err);
        return -1;
    }
    s->dims = m.dims;
    s->vec = malloc((size_t)m.dims * sizeof *s->vec);
    s->step = collection_cursor_step(s->cur, &s->row, err);
    return s->vec ? 0 : -1;
}

static void close_side(side *s)
{
    collection_cursor_close(s->cur);
    collection_close(s->c);
    free(s->vec);
}

/* Row fields other than the embedding; 0 when equal. */
static int same_fields(const collection_image *a, const collection_image *b,
                       char *why, size_t size)
{
    const char *what = strcmp(a->root, b->root)                   ? "root"
                       : a->size != b->size                       ? "size"
                       : a->mtime_ns != b->mtime_ns               ? "mtime"
                       : strcmp(a->content_hash, b->content_hash) ? "hash"
                       : a->status != b->status                   ? "status"
                       : a->has_embedding != b->has_embedding     ? "embedding"
                                                                  : NULL;
    if (!what) return 0;
    snprintf(why, size, "%s: %s differs", a->path, what);
    return 1;
}

static int same_vectors(side *a, side *b, float tol, char *why, size_t size)
{
    if (!a->row.has_embedding) return 0;
    char err[VLM_ERR_MAX];
    if (a->dims != b->dims ||
        collection_get_embedding(a->c, a->row.id, a->vec, a->dims, err) ||
        collection_get_embedding(b->c, b->row.id, b->vec, b->dims, err)) {
        snprintf(why, size, "%s: embeddings unreadable", a->row.path);
        return 1;
    }
    for (int i = 0; i < a->dims; i++)
        if (fabsf(a->vec[i] - b->vec[i]) > tol) {
            snprintf(why, size, "%s: embedding[%d] %g vs %g", a->row.path, i,
                     a->vec[i], b->vec[i]);
            return 1;
        }
    return 0;
}

int collection_compare(const char *dir_a, const char *dir_b, float tol,
                       char *why, size_t size)
{
    side a, b;
    int rc = open_side(dir_a, &a, why, size);
    if (!rc)
        rc = open_side(dir_b, &b, why, size);
    else
        memset(&b, 0, sizeof b);
    int64_t rows = 0;
    while (!rc && a.step == 1 && b.step == 1) {
        if (strcmp(a.row.path, b.row.path)) {
            snprintf(why, size, "row %lld: %s vs %s", (long long)rows,
                     a.row.path, b.row.path);
            rc = 1;
            break;
        }
        rc = same_fields(&a.row, &b.row, why, size);
        if (!rc) rc = same_vectors(&a, &b, tol, why, size);
        a.step = collection_cursor_step(a.cur, &a.row, NULL);
        b.step = collection_cursor_step(b.cur, &b.row, NULL);
        rows++;
    }
    if (!rc && (a.step != 0 || b.step != 0)) {
        snprintf(why, size, "after %lld equal rows: %s", (long long)rows,
                 a.step < 0 || b.step < 0 ? "read error"
                 : a.step                 ? "only the first has more"
                                          : "only the second has more");
        rc = 1;
    }
    close_side(&a);
    close_side(&b);
    return rc;
}
