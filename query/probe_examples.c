/*
 * probe_examples.c — a probe's labelled examples: paths as the user gave
 * them (files, folders, list files) to the images and stored embeddings of
 * the collection (probe.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media/media_path.h"
#include "query/probe.h"

int probe_check_name(const char *name, char *err)
{
    size_t n = strlen(name);
    int ok = n > 0 && n <= PROBE_NAME_MAX && isalnum((unsigned char)name[0]);
    for (size_t i = 0; ok && i < n; i++)
        ok = isalnum((unsigned char)name[i]) || strchr("._-", name[i]);
    if (ok) return VLM_OK;
    vlm_set_err(err,
                "'%s' is not a probe name: use 1 to %d letters, digits, '.', "
                "'_' or '-', starting with a letter or digit",
                name, PROBE_NAME_MAX);
    return VLM_EINVAL;
}

/* ---- list files ---------------------------------------------------------- */

static int take_path(char *line, char ***paths, int *n, char *err)
{
    size_t len = strlen(line);
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        line[--len] = 0;
    if (!len || line[0] == '#') return VLM_OK;
    if (*n >= PROBE_LIST_MAX) {
        vlm_set_err(err, "more than %d paths", PROBE_LIST_MAX);
        return VLM_EINVAL;
    }
    char **grown = realloc(*paths, (size_t)(*n + 1) * sizeof *grown);
    if (!grown) return VLM_ENOMEM;
    *paths = grown;
    if (!(grown[*n] = strdup(line))) return VLM_ENOMEM;
    (*n)++;
    return VLM_OK;
}

int probe_read_list(const char *file, char ***paths, int *n, char *err)
{
    *paths = NULL;
    *n = 0;
    int is_stdin = !strcmp(file, "-");
    FILE *f = is_stdin ? stdin : fopen(file, "r");
    if (!f) {
        vlm_set_err(err, "%s: cannot read the list: %s", file, strerror(errno));
        return VLM_EIO;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    int rc = VLM_OK, lineno = 0;
    while (!rc && (got = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (memchr(line, 0, (size_t)got) || got > COLLECTION_PATH_MAX) {
            vlm_set_err(err, "line %d: %s", lineno,
                        got > COLLECTION_PATH_MAX ? "longer than a path"
                                                  : "a NUL byte");
            rc = VLM_EINVAL;
        } else {
            rc = take_path(line, paths, n, err);
        }
    }
    if (!rc && ferror(f)) rc = VLM_EIO, vlm_set_err(err, "read error");
    free(line);
    if (!is_stdin) fclose(f);
    if (rc) {
        char msg[VLM_ERR_MAX];
        snprintf(msg, sizeof msg, "%s", err ? err : "");
        vlm_set_err(err, "%s: %s", file,
                    rc == VLM_ENOMEM ? "out of memory" : msg);
        collection_free_strings(*paths, (size_t)*n);
        *paths = NULL;
        *n = 0;
    }
    return rc;
}

/* ---- gathering ----------------------------------------------------------- */

typedef struct gather {
    collection *c;
    probe_examples *e;
    int64_t cap;
    int64_t missing;
    char first_missing[COLLECTION_PATH_MAX];
    char *err;
} gather;

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Why a path has no indexed image: a failed row says why. */
static void note_missing(gather *g, const char *abs)
{
    collection_image row;
    if (g->missing++ > 0) return;
    if (collection_find_by_path(g->c, abs, &row, NULL) == VLM_OK &&
        row.status == COLLECTION_STATUS_FAILED)
        snprintf(g->first_missing, sizeof g->first_missing,
                 "%s (indexing it failed: %s)", abs, row.error);
    else
        snprintf(g->first_missing, sizeof g->first_missing, "%s", abs);
}

static int push(gather *g, int64_t id, int cls)
{
    probe_examples *e = g->e;
    if (e->n == g->cap) {
        int64_t cap = g->cap ? 2 * g->cap : 64;
        int64_t *ids = realloc(e->ids, (size_t)cap * sizeof *ids);
        if (ids) e->ids = ids;
        int *k = ids ? realloc(e->cls, (size_t)cap * sizeof *k) : NULL;
        if (!k) return VLM_ENOMEM;
        e->cls = k;
        g->cap = cap;
    }
    e->ids[e->n] = id;
    e->cls[e->n++] = cls;
    return VLM_OK;
}

static int add_path(gather *g, const char *path, int cls)
{
    char *abs = media_abspath(path);
    int64_t *ids = NULL;
    size_t n = 0;
    int rc =
        abs ? collection_ids_under(g->c, abs, &ids, &n, g->err) : VLM_ENOMEM;
    if (!rc && n == 0) note_missing(g, abs);
    for (size_t i = 0; !rc && i < n; i++) rc = push(g, ids[i], cls);
    free(ids);
    free(abs);
    return rc;
}

/* Sorted by id: an image twice in one class is kept once, in two classes
 * it is an error. */
static int dedupe(gather *g)
{
    probe_examples *e = g->e;
    int64_t *pair = malloc((size_t)(e->n ? e->n : 1) * 2 * sizeof *pair);
    if (!pair) return VLM_ENOMEM;
    for (int64_t i = 0; i < e->n; i++)
        pair[2 * i] = e->ids[i], pair[2 * i + 1] = e->cls[i];
    qsort(pair, (size_t)e->n, 2 * sizeof *pair, cmp_id);
    int64_t k = 0;
    for (int64_t i = 0; i < e->n; i++) {
        if (k && pair[2 * i] == e->ids[k - 1]) {
            if (pair[2 * i + 1] == e->cls[k - 1]) continue;
            collection_brief b = {0};
            collection_image_brief(g->c, pair[2 * i], &b, NULL);
            vlm_set_err(g->err, "%s is an example of two classes",
                        b.path ? b.path : "an image");
            free(pair);
            return VLM_EINVAL;
        }
        e->ids[k] = pair[2 * i];
        e->cls[k++] = (int)pair[2 * i + 1];
    }
    e->n = k;
    free(pair);
    return VLM_OK;
}

/* Paths and embeddings of the examples. */
static int load_rows(gather *g)
{
    probe_examples *e = g->e;
    e->paths = calloc((size_t)(e->n ? e->n : 1), sizeof *e->paths);
    e->x = malloc((size_t)(e->n ? e->n : 1) * e->dims * sizeof *e->x);
    if (!e->paths || !e->x) return VLM_ENOMEM;
    for (int64_t i = 0; i < e->n; i++) {
        collection_brief b;
        int rc = collection_image_brief(g->c, e->ids[i], &b, g->err);
        if (!rc && !(e->paths[i] = strdup(b.path))) rc = VLM_ENOMEM;
        if (!rc)
            rc = collection_get_embedding(g->c, e->ids[i], e->x + i * e->dims,
                                          e->dims, g->err);
        if (rc) return rc;
    }
    return VLM_OK;
}

static int model_dims(collection *c, int *dims, char *err)
{
    collection_model m;
    int rc = collection_get_model(c, &m, err);
    if (rc == VLM_ENOTFOUND)
        vlm_set_err(err,
                    "the collection %s has no images yet: index the "
                    "examples first (vlmindex add)",
                    collection_dir(c));
    if (!rc) *dims = m.dims;
    return rc;
}

int probe_gather(collection *c, const probe_class_input *classes, int n_classes,
                 probe_examples *out, char *err)
{
    memset(out, 0, sizeof *out);
    gather g = {.c = c, .e = out, .err = err};
    out->n_classes = n_classes;
    int rc = model_dims(c, &out->dims, err);
    for (int k = 0; !rc && k < n_classes; k++)
        for (int i = 0; !rc && i < classes[k].n_paths; i++)
            rc = add_path(&g, classes[k].paths[i], k);
    if (!rc && g.missing) {
        vlm_set_err(err,
                    "%lld of the example paths have no indexed image (the "
                    "first: %s); index them first (vlmindex add)",
                    (long long)g.missing, g.first_missing);
        rc = VLM_ENOTFOUND;
    }
    if (!rc) rc = dedupe(&g);
    if (!rc) rc = load_rows(&g);
    if (rc == VLM_ENOMEM) vlm_set_err(err, "out of memory reading examples");
    if (rc) probe_examples_free(out);
    return rc;
}

void probe_examples_free(probe_examples *e)
{
    for (int64_t i = 0; e->paths && i < e->n; i++) free(e->paths[i]);
    free(e->paths);
    free(e->ids);
    free(e->cls);
    free(e->x);
    memset(e, 0, sizeof *e);
}
