/*
 * collection_probes.c — storage of linear probes (collection_probes.h).
 */
#include "schema/collection_probes.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/collection_internal.h"

#define PROBE_COLS                                                          \
    "name, model_id, model_name, dims, reg_c, folds, cv_accuracy, cv_auc, " \
    "cv_logloss, precision_target, threshold, threshold_precision, "        \
    "threshold_recall, created_at"

/* NAN <-> NULL for the optional numbers. */
static void bind_optional(sqlite3_stmt *st, int i, double v)
{
    if (isnan(v))
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_double(st, i, v);
}

static double column_optional(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL
               ? NAN
               : sqlite3_column_double(st, i);
}

typedef struct put_args {
    const collection_probe *p;
    const char *const *paths;
    const int *classes;
    int64_t n;
} put_args;

static int put_header(collection *c, const collection_probe *p, char *err)
{
    sqlite3_stmt *st =
        coll_stmt(c,
                  "INSERT INTO probes (" PROBE_COLS
                  ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  err);
    if (!st) return VLM_EIO;
    coll_bind_text(st, 1, p->name);
    coll_bind_text(st, 2, p->model_id);
    coll_bind_text(st, 3, p->model_name);
    sqlite3_bind_int(st, 4, p->dims);
    sqlite3_bind_double(st, 5, p->reg_c);
    sqlite3_bind_int(st, 6, p->folds);
    sqlite3_bind_double(st, 7, p->cv_accuracy);
    sqlite3_bind_double(st, 8, p->cv_auc);
    sqlite3_bind_double(st, 9, p->cv_logloss);
    bind_optional(st, 10, p->precision_target);
    bind_optional(st, 11, p->threshold);
    bind_optional(st, 12, p->threshold_precision);
    bind_optional(st, 13, p->threshold_recall);
    sqlite3_bind_int64(st, 14, coll_now());
    return coll_step_done(c, st, "cannot store the probe", err);
}

static int put_class(collection *c, const collection_probe *p, int i, char *err)
{
    const collection_probe_class *k = &p->classes[i];
    sqlite3_stmt *st = coll_stmt(c,
                                 "INSERT INTO probe_classes (probe, idx, name, "
                                 "examples, weights, bias) "
                                 "VALUES (?, ?, ?, ?, ?, ?)",
                                 err);
    if (!st) return VLM_EIO;
    coll_bind_text(st, 1, p->name);
    sqlite3_bind_int(st, 2, i);
    coll_bind_text(st, 3, k->name);
    sqlite3_bind_int64(st, 4, k->examples);
    if (k->weights)
        sqlite3_bind_blob(st, 5, k->weights, (int)(p->dims * sizeof(float)),
                          SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 5);
    if (k->weights)
        sqlite3_bind_double(st, 6, k->bias);
    else
        sqlite3_bind_null(st, 6);
    return coll_step_done(c, st, "cannot store a probe class", err);
}

static int put_example(collection *c, const char *probe, const char *path,
                       int cls, char *err)
{
    sqlite3_stmt *st = coll_stmt(
        c, "INSERT INTO probe_examples (probe, path, class) VALUES (?, ?, ?)",
        err);
    if (!st) return VLM_EIO;
    coll_bind_text(st, 1, probe);
    coll_bind_text(st, 2, path);
    sqlite3_bind_int(st, 3, cls);
    return coll_step_done(c, st, "cannot store a probe example", err);
}

static int put_op(collection *c, void *ud, char *err)
{
    put_args *a = ud;
    sqlite3_stmt *del = coll_stmt(c, "DELETE FROM probes WHERE name = ?", err);
    if (!del) return VLM_EIO;
    coll_bind_text(del, 1, a->p->name);
    int rc = coll_step_done(c, del, "cannot replace the probe", err);
    if (!rc) rc = put_header(c, a->p, err);
    for (int i = 0; !rc && i < a->p->n_classes; i++)
        rc = put_class(c, a->p, i, err);
    for (int64_t i = 0; !rc && i < a->n; i++)
        rc = put_example(c, a->p->name, a->paths[i], a->classes[i], err);
    return rc;
}

static int check_probe(const collection_probe *p, char *err)
{
    if (!p->name[0] || p->dims <= 0 || p->n_classes < 2 || !p->classes) {
        vlm_set_err(err, "probe: a name, dims and two classes are required");
        return VLM_EINVAL;
    }
    for (int i = 0; i < p->n_classes; i++) {
        int needs = p->n_classes > 2 || i == 0;
        if (!p->classes[i].name || (needs && !p->classes[i].weights)) {
            vlm_set_err(err, "probe '%s': class %d lacks a name or weights",
                        p->name, i);
            return VLM_EINVAL;
        }
    }
    return VLM_OK;
}

int collection_put_probe(collection *c, const collection_probe *p,
                         const char *const *paths, const int *classes,
                         int64_t n_examples, char *err)
{
    int rc = check_probe(p, err);
    if (rc) return rc;
    put_args a = {p, paths, classes, n_examples};
    return coll_atomic(c, put_op, &a, err);
}

/* ---- reading ------------------------------------------------------------ */

static void read_header(sqlite3_stmt *st, collection_probe *p)
{
    memset(p, 0, sizeof *p);
    coll_column_text(st, 0, p->name, sizeof p->name);
    coll_column_text(st, 1, p->model_id, sizeof p->model_id);
    coll_column_text(st, 2, p->model_name, sizeof p->model_name);
    p->dims = sqlite3_column_int(st, 3);
    p->reg_c = sqlite3_column_double(st, 4);
    p->folds = sqlite3_column_int(st, 5);
    p->cv_accuracy = sqlite3_column_double(st, 6);
    p->cv_auc = sqlite3_column_double(st, 7);
    p->cv_logloss = sqlite3_column_double(st, 8);
    p->precision_target = column_optional(st, 9);
    p->threshold = column_optional(st, 10);
    p->threshold_precision = column_optional(st, 11);
    p->threshold_recall = column_optional(st, 12);
    p->created_at = sqlite3_column_int64(st, 13);
}

/* One probe_classes row into k; the weights BLOB must hold dims floats. */
static int read_class(sqlite3_stmt *st, const collection_probe *p,
                      collection_probe_class *k, char *err)
{
    const void *blob = sqlite3_column_blob(st, 2);
    int bytes = sqlite3_column_bytes(st, 2);
    k->name = strdup((const char *)sqlite3_column_text(st, 0));
    k->examples = sqlite3_column_int64(st, 1);
    k->bias = sqlite3_column_double(st, 3);
    if (!k->name) return VLM_ENOMEM;
    if (!blob) return VLM_OK;
    if (bytes != p->dims * (int)sizeof(float)) {
        vlm_set_err(err, "probe '%s': class '%s' has %d weight bytes, not %d",
                    p->name, k->name, bytes, p->dims * (int)sizeof(float));
        return VLM_EFORMAT;
    }
    k->weights = malloc((size_t)bytes);
    if (!k->weights) return VLM_ENOMEM;
    memcpy(k->weights, blob, (size_t)bytes);
    return VLM_OK;
}

static int read_classes(collection *c, collection_probe *p, char *err)
{
    sqlite3_stmt *st = coll_stmt(c,
                                 "SELECT name, examples, weights, bias "
                                 "FROM probe_classes WHERE probe = ? "
                                 "ORDER BY idx",
                                 err);
    if (!st) return VLM_EIO;
    coll_bind_text(st, 1, p->name);
    int rc = VLM_OK, src = SQLITE_DONE;
    while (!rc && (src = sqlite3_step(st)) == SQLITE_ROW) {
        collection_probe_class *grown =
            realloc(p->classes, (size_t)(p->n_classes + 1) * sizeof *grown);
        if (!grown) {
            rc = VLM_ENOMEM;
            break;
        }
        p->classes = grown;
        memset(&p->classes[p->n_classes], 0, sizeof *grown);
        rc = read_class(st, p, &p->classes[p->n_classes++], err);
    }
    if (!rc && src != SQLITE_DONE)
        rc = coll_sqlite_err(c, src, "cannot read the probe classes", err);
    sqlite3_reset(st);
    if (rc == VLM_ENOMEM) vlm_set_err(err, "out of memory reading a probe");
    return rc;
}

int collection_get_probe(collection *c, const char *name, collection_probe *p,
                         char *err)
{
    memset(p, 0, sizeof *p);
    sqlite3_stmt *st =
        coll_stmt(c, "SELECT " PROBE_COLS " FROM probes WHERE name = ?", err);
    if (!st) return VLM_EIO;
    coll_bind_text(st, 1, name);
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW) read_header(st, p);
    sqlite3_reset(st);
    if (src == SQLITE_DONE) {
        vlm_set_err(err,
                    "no probe named '%s' in this collection "
                    "(vlmindex probe list shows them)",
                    name);
        return VLM_ENOTFOUND;
    }
    if (src != SQLITE_ROW)
        return coll_sqlite_err(c, src, "cannot read the probe", err);
    int rc = read_classes(c, p, err);
    if (rc) collection_probe_free(p);
    return rc;
}

void collection_probe_free(collection_probe *p)
{
    if (!p) return;
    for (int i = 0; p->classes && i < p->n_classes; i++) {
        free(p->classes[i].name);
        free(p->classes[i].weights);
    }
    free(p->classes);
    p->classes = NULL;
    p->n_classes = 0;
}

/* The names first (a statement stays open while others run on the same
 * cache otherwise), then each probe in full. */
int collection_for_each_probe(collection *c, collection_probe_cb cb, void *ud,
                              char *err)
{
    char **names = NULL;
    size_t n = 0;
    sqlite3_stmt *st =
        coll_stmt(c, "SELECT name FROM probes ORDER BY name", err);
    if (!st) return VLM_EIO;
    int rc = VLM_OK, src = SQLITE_DONE;
    while (!rc && (src = sqlite3_step(st)) == SQLITE_ROW) {
        char **grown = realloc(names, (n + 1) * sizeof *grown);
        if (grown) names = grown;
        if (!grown ||
            !(names[n++] = strdup((const char *)sqlite3_column_text(st, 0))))
            rc = VLM_ENOMEM;
    }
    if (!rc && src != SQLITE_DONE)
        rc = coll_sqlite_err(c, src, "cannot list the probes", err);
    sqlite3_reset(st);
    for (size_t i = 0; !rc && i < n; i++) {
        collection_probe p;
        rc = collection_get_probe(c, names[i], &p, err);
        if (!rc) rc = cb(ud, &p);
        collection_probe_free(&p);
    }
    if (rc == VLM_ENOMEM) vlm_set_err(err, "out of memory listing probes");
    collection_free_strings(names, n);
    return rc;
}

int collection_probe_examples(collection *c, const char *name,
                              collection_example_cb cb, void *ud, char *err)
{
    sqlite3_stmt *st = coll_stmt(c,
                                 "SELECT path, class FROM probe_examples "
                                 "WHERE probe = ? ORDER BY path",
                                 err);
    if (!st) return VLM_EIO;
    coll_bind_text(st, 1, name);
    int rc = VLM_OK, src = SQLITE_DONE;
    while (!rc && (src = sqlite3_step(st)) == SQLITE_ROW)
        rc = cb(ud, (const char *)sqlite3_column_text(st, 0),
                sqlite3_column_int(st, 1));
    if (!rc && src != SQLITE_DONE)
        rc = coll_sqlite_err(c, src, "cannot read the probe examples", err);
    sqlite3_reset(st);
    return rc;
}

int collection_delete_probe(collection *c, const char *name, char *err)
{
    sqlite3_stmt *st = coll_stmt(c, "DELETE FROM probes WHERE name = ?", err);
    if (!st) return VLM_EIO;
    coll_bind_text(st, 1, name);
    int rc = coll_step_done(c, st, "cannot delete the probe", err);
    if (rc) return rc;
    if (sqlite3_changes(collection_db(c)) > 0) return VLM_OK;
    vlm_set_err(err, "no probe named '%s' in this collection", name);
    return VLM_ENOTFOUND;
}
