#include "query/dupes.h"

#include <stdlib.h>
#include <string.h>

#include "media/media_path.h"
#include "schema/vector_pairs.h"

/* The vectors in scope, in ascending id order. */
typedef struct loaded {
    int64_t *subset; /* sorted ids of in_dir + filter, or NULL for all */
    size_t n_subset;
    int64_t *ids;
    float *vecs;
    size_t n, cap;
    int dims;
} loaded;

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int take_chunk(void *ud, const int64_t *ids, const float *vecs, size_t n)
{
    loaded *l = ud;
    for (size_t i = 0; i < n; i++) {
        if (l->subset && !bsearch(&ids[i], l->subset, l->n_subset,
                                  sizeof *l->subset, cmp_id))
            continue;
        if (l->n == l->cap) {
            size_t cap = l->cap ? 2 * l->cap : 1024;
            int64_t *gi = realloc(l->ids, cap * sizeof *gi);
            if (gi) l->ids = gi;
            float *gv = realloc(l->vecs, cap * (size_t)l->dims * sizeof *gv);
            if (gv) l->vecs = gv;
            if (!gi || !gv) return VLM_ENOMEM;
            l->cap = cap;
        }
        memcpy(l->vecs + l->n * (size_t)l->dims, vecs + i * (size_t)l->dims,
               (size_t)l->dims * sizeof *vecs);
        l->ids[l->n++] = ids[i];
    }
    return VLM_OK;
}

static int load_scope(collection *c, const dupes_options *o, loaded *l,
                      char *err)
{
    collection_model m;
    int rc = collection_get_model(c, &m, err);
    l->dims = m.dims;
    if (!rc && (o->in_dir || o->filter)) {
        collection_filter f = o->filter ? *o->filter : (collection_filter){0};
        char *abs = o->in_dir ? media_abspath(o->in_dir) : NULL;
        f.prefix = abs;
        rc = o->in_dir && !abs ? VLM_ENOMEM
                               : collection_ids_filtered(c, &f, &l->subset,
                                                         &l->n_subset, err);
        free(abs);
        if (!rc && !l->subset) return VLM_OK; /* nothing passes */
    }
    if (!rc) rc = collection_for_each_embedding(c, 1024, take_chunk, l, err);
    if (rc == VLM_ENOMEM) vlm_set_err(err, "out of memory loading vectors");
    return rc;
}

/* ---- groups: union-find over positions ---------------------------------- */

static size_t find_root(size_t *parent, size_t i)
{
    while (parent[i] != i) i = parent[i] = parent[parent[i]];
    return i;
}

static size_t pos_of(const loaded *l, int64_t id)
{
    const int64_t *p = bsearch(&id, l->ids, l->n, sizeof *l->ids, cmp_id);
    return (size_t)(p - l->ids);
}

/* parent[] of the components joined by the pairs. */
static size_t *components(const loaded *l, const vector_pair *p, size_t np)
{
    size_t *parent = malloc(l->n * sizeof *parent);
    for (size_t i = 0; parent && i < l->n; i++) parent[i] = i;
    for (size_t k = 0; parent && k < np; k++) {
        size_t a = find_root(parent, pos_of(l, p[k].a)),
               b = find_root(parent, pos_of(l, p[k].b));
        if (a != b) parent[a > b ? a : b] = a < b ? a : b;
    }
    return parent;
}

static float dot(const float *a, const float *b, int dims)
{
    float s = 0;
    for (int i = 0; i < dims; i++) s += a[i] * b[i];
    return s;
}

/* Is x a better keeper than y? */
static int better(const dupes_member *x, const dupes_member *y, dupes_keep k)
{
    if (k == DUPES_KEEP_LARGEST) {
        int64_t px = (int64_t)x->width * x->height,
                py = (int64_t)y->width * y->height;
        if (px != py) return px > py;
        if (x->bytes != y->bytes) return x->bytes > y->bytes;
    } else if (strcmp(x->taken, y->taken)) {
        int older = strcmp(x->taken, y->taken) < 0;
        return k == DUPES_KEEP_OLDEST ? older : !older;
    }
    return strcmp(x->path, y->path) < 0; /* stable: by path */
}

static int fill_member(collection *c, const loaded *l, size_t pos,
                       dupes_member *m, char *err)
{
    collection_image row;
    collection_brief b;
    int rc = collection_get_image(c, l->ids[pos], &row, err);
    if (!rc) m->bytes = row.size;
    if (!rc) rc = collection_image_brief(c, l->ids[pos], &b, err);
    if (rc) return rc;
    m->id = l->ids[pos];
    m->width = b.width;
    m->height = b.height;
    memcpy(m->taken, b.taken, sizeof m->taken);
    m->taken_exif = b.taken_exif;
    m->path = strdup(b.path);
    return m->path ? VLM_OK : VLM_ENOMEM;
}

static int by_score_desc(const void *a, const void *b)
{
    float x = ((const dupes_member *)a)->score,
          y = ((const dupes_member *)b)->score;
    return (x < y) - (x > y);
}

/* Members of one component (positions pos[0..n)), the keeper first. */
static int build_group(collection *c, const loaded *l, const size_t *pos, int n,
                       dupes_keep keep, dupes_group *g, char *err)
{
    g->m = calloc((size_t)n, sizeof *g->m);
    if (!g->m) return VLM_ENOMEM;
    int rc = VLM_OK, best = 0;
    for (int i = 0; !rc && i < n; i++, g->n++)
        rc = fill_member(c, l, pos[i], &g->m[i], err);
    for (int i = 1; !rc && i < n; i++)
        if (better(&g->m[i], &g->m[best], keep)) best = i;
    if (rc) return rc;
    dupes_member tmp = g->m[0];
    g->m[0] = g->m[best], g->m[best] = tmp;
    size_t kp = pos_of(l, g->m[0].id);
    for (int i = 0; i < n; i++)
        g->m[i].score =
            i ? dot(l->vecs + kp * (size_t)l->dims,
                    l->vecs + pos_of(l, g->m[i].id) * (size_t)l->dims, l->dims)
              : 1.0f;
    qsort(g->m + 1, (size_t)n - 1, sizeof *g->m, by_score_desc);
    return VLM_OK;
}

static int by_size_desc(const void *a, const void *b)
{
    const dupes_group *x = a, *y = b;
    if (x->n != y->n) return (x->n < y->n) - (x->n > y->n);
    return strcmp(x->m[0].path, y->m[0].path);
}

/* Positions grouped by component (counting sort on the root): members of
 * root r are order[start[r] .. start[r] + count[r]). */
static int bucket(const loaded *l, size_t *parent, size_t *order, size_t *start,
                  size_t *count)
{
    size_t *fill = calloc(l->n, sizeof *fill);
    if (!fill) return VLM_ENOMEM;
    for (size_t i = 0; i < l->n; i++) count[find_root(parent, i)]++;
    for (size_t r = 0, at = 0; r < l->n; at += count[r++]) start[r] = at;
    for (size_t i = 0; i < l->n; i++) {
        size_t r = find_root(parent, i);
        order[start[r] + fill[r]++] = i;
    }
    free(fill);
    return VLM_OK;
}

/* Components of 2 or more into groups. */
static int make_groups(collection *c, const loaded *l, size_t *parent,
                       dupes_keep keep, dupes_group **out, int *n_out,
                       char *err)
{
    size_t *order = malloc(l->n * sizeof *order),
           *start = malloc(l->n * sizeof *start),
           *count = calloc(l->n, sizeof *count);
    int rc = order && start && count ? bucket(l, parent, order, start, count)
                                     : VLM_ENOMEM;
    for (size_t r = 0; !rc && r < l->n; r++) {
        if (count[r] < 2) continue;
        dupes_group *grown =
            realloc(*out, (size_t)(*n_out + 1) * sizeof *grown);
        if (!grown) rc = VLM_ENOMEM;
        if (grown) *out = grown;
        if (!rc) grown[*n_out] = (dupes_group){0};
        if (!rc)
            rc = build_group(c, l, order + start[r], (int)count[r], keep,
                             &grown[(*n_out)++], err);
    }
    free(order);
    free(start);
    free(count);
    if (!rc) qsort(*out, (size_t)*n_out, sizeof **out, by_size_desc);
    return rc;
}

int dupes_find(collection *c, const dupes_options *o, dupes_group **groups,
               int *n_groups, char *err)
{
    loaded l = {0};
    vector_pair *pairs = NULL;
    size_t np = 0, *parent = NULL;
    *groups = NULL;
    *n_groups = 0;
    int rc = load_scope(c, o, &l, err);
    if (!rc)
        rc = vector_pairs_within(l.vecs, l.ids, l.n, l.dims, o->threshold,
                                 &pairs, &np, err);
    if (!rc && np && !(parent = components(&l, pairs, np))) rc = VLM_ENOMEM;
    if (!rc && np)
        rc = make_groups(c, &l, parent, o->keep, groups, n_groups, err);
    if (rc == VLM_ENOMEM && err && !*err)
        vlm_set_err(err, "out of memory grouping duplicates");
    if (rc) {
        dupes_free(*groups, *n_groups);
        *groups = NULL, *n_groups = 0;
    }
    free(parent);
    free(pairs);
    free(l.subset);
    free(l.ids);
    free(l.vecs);
    return rc;
}

void dupes_free(dupes_group *g, int n)
{
    for (int i = 0; g && i < n; i++) {
        for (int k = 0; k < g[i].n; k++) free(g[i].m[k].path);
        free(g[i].m);
    }
    free(g);
}
