#include "query/classify.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media/media_path.h"
#include "query/label_input.h"
#include "query/probe_fit.h"
#include "query/result_format.h"

struct label_set {
    int n, dims;
    char **labels;
    float *matrix;    /* n x dims, normalised label embeddings; a probe's
                      weights ([1][dims] for two labels) */
    float scale;      /* exp(logit_scale) */
    double *bias;     /* a probe's biases; NULL: zero-shot */
    double threshold; /* a two-class probe: label 0 from this P(label 0) */
    char hash[17];
};

/* "a photo of {}" + "cat" -> "a photo of cat" (every "{}" replaced). */
static char *fill_template(const char *tpl, const char *label)
{
    size_t cap = strlen(tpl) + 1, ll = strlen(label);
    for (const char *p = tpl; (p = strstr(p, "{}")); p += 2) cap += ll;
    char *out = malloc(cap), *o = out;
    if (!out) return NULL;
    for (const char *p = tpl; *p;) {
        if (p[0] == '{' && p[1] == '}') {
            memcpy(o, label, ll);
            o += ll;
            p += 2;
        } else {
            *o++ = *p++;
        }
    }
    *o = 0;
    return out;
}

static uint64_t fnv1a_str(uint64_t h, const char *s)
{
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return (h ^ 0xff) * 0x100000001b3ull; /* separator */
}

static int embed_label(clip_model *m, const char *label,
                       const char *const *tpls, int n_tpl, float *out,
                       float *tmp, int dims, char *err)
{
    memset(out, 0, (size_t)dims * sizeof *out);
    for (int t = 0; t < n_tpl; t++) {
        char *text = fill_template(tpls[t], label);
        int rc = text ? clip_encode_text(m, text, tmp, err) : VLM_ENOMEM;
        free(text);
        if (rc) return rc;
        clip_l2_normalize(tmp, dims);
        for (int i = 0; i < dims; i++) out[i] += tmp[i];
    }
    clip_l2_normalize(out, dims);
    return VLM_OK;
}

int label_set_create(clip_model *m, const char *const *labels, int n_labels,
                     const char *const *templates, int n_templates,
                     label_set **out, char *err)
{
    static const char *const default_tpl[] = {"a photo of {}"};
    int rc = label_input_check(labels, n_labels, templates, n_templates, err);
    if (rc) return rc;
    if (n_templates < 1) {
        templates = default_tpl;
        n_templates = 1;
    }
    label_set *ls = calloc(1, sizeof *ls);
    int dims = clip_embed_dim(m);
    float *tmp = malloc((size_t)dims * sizeof *tmp);
    if (!ls || !tmp ||
        !(ls->labels = calloc((size_t)n_labels, sizeof(char *))) ||
        !(ls->matrix =
              malloc((size_t)n_labels * (size_t)dims * sizeof(float)))) {
        free(tmp);
        label_set_destroy(ls);
        return VLM_ENOMEM;
    }
    ls->n = n_labels;
    ls->dims = dims;
    ls->scale = clip_logit_scale(m);
    uint64_t h = fnv1a_str(0xcbf29ce484222325ull, clip_model_id(m));
    for (int i = 0; !rc && i < n_labels; i++) {
        ls->labels[i] = strdup(labels[i]);
        h = fnv1a_str(h, labels[i]);
        rc = ls->labels[i]
                 ? embed_label(m, labels[i], templates, n_templates,
                               ls->matrix + (size_t)i * dims, tmp, dims, err)
                 : VLM_ENOMEM;
    }
    for (int t = 0; t < n_templates; t++) h = fnv1a_str(h, templates[t]);
    snprintf(ls->hash, sizeof ls->hash, "%016llx", (unsigned long long)h);
    free(tmp);
    if (rc) {
        label_set_destroy(ls);
        return rc;
    }
    *out = ls;
    return VLM_OK;
}

static int copy_labels(label_set *ls, const char *const *labels, int n)
{
    ls->n = n;
    if (!(ls->labels = calloc((size_t)n, sizeof(char *)))) return VLM_ENOMEM;
    for (int i = 0; i < n; i++)
        if (!(ls->labels[i] = strdup(labels[i]))) return VLM_ENOMEM;
    return VLM_OK;
}

int label_set_create_linear(const char *const *labels, int n, int dims,
                            const float *weights, const double *bias,
                            double threshold, const char *hash, label_set **out,
                            char *err)
{
    int nv = n == 2 ? 1 : n;
    label_set *ls = calloc(1, sizeof *ls);
    int rc = ls ? copy_labels(ls, labels, n) : VLM_ENOMEM;
    if (!rc && (n < 2 || n > PROBE_MAX_CLASSES)) {
        vlm_set_err(err, "a probe has 2 to %d classes, not %d",
                    PROBE_MAX_CLASSES, n);
        rc = VLM_EINVAL;
    }
    if (!rc && (!(ls->matrix = malloc((size_t)nv * dims * sizeof(float))) ||
                !(ls->bias = malloc((size_t)nv * sizeof(double)))))
        rc = VLM_ENOMEM;
    if (rc) {
        if (rc == VLM_ENOMEM) vlm_set_err(err, "out of memory");
        label_set_destroy(ls);
        return rc;
    }
    memcpy(ls->matrix, weights, (size_t)nv * dims * sizeof(float));
    memcpy(ls->bias, bias, (size_t)nv * sizeof(double));
    ls->dims = dims;
    ls->threshold = isnan(threshold) ? 0.5 : threshold;
    snprintf(ls->hash, sizeof ls->hash, "%s", hash);
    *out = ls;
    return VLM_OK;
}

void label_set_destroy(label_set *ls)
{
    if (!ls) return;
    for (int i = 0; ls->labels && i < ls->n; i++) free(ls->labels[i]);
    free(ls->labels);
    free(ls->matrix);
    free(ls->bias);
    free(ls);
}

int label_set_count(const label_set *ls) { return ls->n; }
const char *label_set_label(const label_set *ls, int i)
{
    return ls->labels[i];
}
const char *label_set_hash(const label_set *ls) { return ls->hash; }

/* A probe's probabilities (probe_fit.h); with two labels the threshold
 * decides. */
static int classify_linear(const label_set *ls, const float *e, float *probs)
{
    double p[PROBE_MAX_CLASSES];
    probe_linear_probs(ls->matrix, ls->bias, ls->n, ls->dims, e, p);
    int top = 0;
    for (int l = 0; l < ls->n; l++) {
        probs[l] = (float)p[l];
        if (p[l] > p[top]) top = l;
    }
    return ls->n == 2 ? (p[0] >= ls->threshold ? 0 : 1) : top;
}

int label_set_classify(const label_set *ls, const float *e, float *probs)
{
    if (ls->bias) return classify_linear(ls, e, probs);
    float mx = -INFINITY;
    for (int l = 0; l < ls->n; l++) {
        const float *w = ls->matrix + (size_t)l * ls->dims;
        float dot = 0;
        for (int i = 0; i < ls->dims; i++) dot += w[i] * e[i];
        probs[l] = ls->scale * dot;
        mx = probs[l] > mx ? probs[l] : mx;
    }
    float sum = 0;
    int top = 0;
    for (int l = 0; l < ls->n; l++) {
        probs[l] = expf(probs[l] - mx);
        sum += probs[l];
    }
    for (int l = 0; l < ls->n; l++) {
        probs[l] /= sum;
        if (probs[l] > probs[top]) top = l;
    }
    return top;
}

/* ---- over a collection --------------------------------------------------- */

typedef struct classify_run {
    collection *c;
    const label_set *ls;
    const char *model_id;
    const classify_options *o;
    int64_t *subset; /* sorted ids of in_dir, or NULL for all */
    size_t n_subset;
    float *probs;
    int64_t labelset_id; /* stored label set (store only) */
    int64_t reported;
    char *err;
} classify_run;

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* JSON text of the labels; malloc'ed. */
static char *labels_json(const label_set *ls)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    fputc('[', f);
    for (int i = 0; i < ls->n; i++) {
        if (i) fputc(',', f);
        json_write_string(f, ls->labels[i]);
    }
    fputc(']', f);
    fclose(f);
    return buf;
}

/* The label set is stored once; each result refers to it by id. */
static int store_labelset(classify_run *r)
{
    char *labels = labels_json(r->ls);
    int rc = labels ? collection_put_labelset(r->c, r->ls->hash, labels,
                                              &r->labelset_id, r->err)
                    : VLM_ENOMEM;
    free(labels);
    return rc;
}

static int store_result(classify_run *r, int64_t id, int top)
{
    collection_classification cl = {
        .image_id = id,
        .labelset_id = r->labelset_id,
        .top_label = r->ls->labels[top],
        .top_prob = r->probs[top],
        .probs = r->probs,
        .n_probs = r->ls->n,
        .model_id = r->model_id,
    };
    return collection_put_classification(r->c, &cl, r->err);
}

static int report(classify_run *r, int64_t id, int top)
{
    if (r->o->only >= 0 && top != r->o->only) return VLM_OK;
    if (r->probs[top] < r->o->min_prob) return VLM_OK;
    collection_brief b;
    if (collection_image_brief(r->c, id, &b, NULL) != VLM_OK) return VLM_OK;
    classify_row row = {id,         b.path,       top,     r->probs,
                        b.taken,    b.taken_exif, b.camera};
    r->reported++;
    return r->o->on_row && r->o->on_row(r->o->user, &row) ? VLM_EINTERRUPTED
                                                          : VLM_OK;
}

static int on_chunk(void *ud, const int64_t *ids, const float *vecs, size_t n)
{
    classify_run *r = ud;
    int rc = VLM_OK;
    for (size_t i = 0; !rc && i < n; i++) {
        if (r->subset && !bsearch(&ids[i], r->subset, r->n_subset,
                                  sizeof *r->subset, cmp_id))
            continue;
        int top =
            label_set_classify(r->ls, vecs + i * (size_t)r->ls->dims, r->probs);
        if (r->o->store) rc = store_result(r, ids[i], top);
        if (!rc) rc = report(r, ids[i], top);
    }
    return rc;
}

static int load_subset(classify_run *r)
{
    if (!r->o->in_dir && !r->o->filter) return VLM_OK;
    collection_filter f = r->o->filter ? *r->o->filter : (collection_filter){0};
    char *abs = r->o->in_dir ? media_abspath(r->o->in_dir) : NULL;
    f.prefix = abs;
    int rc = r->o->in_dir && !abs
                 ? VLM_ENOMEM
                 : collection_ids_filtered(r->c, &f, &r->subset, &r->n_subset,
                                           r->err);
    free(abs);
    if (!rc && !r->subset)
        r->subset = calloc(1, sizeof *r->subset); /* empty, but non-NULL */
    if (!rc && r->subset)
        qsort(r->subset, r->n_subset, sizeof *r->subset, cmp_id);
    return rc;
}

int classify_collection(collection *c, const label_set *ls,
                        const char *model_id, const classify_options *o,
                        int64_t *n_reported, char *err)
{
    classify_run r = {
        .c = c, .ls = ls, .model_id = model_id, .o = o, .err = err};
    r.probs = malloc((size_t)ls->n * sizeof *r.probs);
    int rc = r.probs ? load_subset(&r) : VLM_ENOMEM;
    /* Reading embeddings in chunks and writing results in one transaction. */
    if (!rc && o->store) rc = collection_begin(c, err);
    if (!rc && o->store) rc = store_labelset(&r);
    if (!rc) rc = collection_for_each_embedding(c, 256, on_chunk, &r, err);
    if (o->store && !rc)
        rc = collection_commit(c, err);
    else if (o->store)
        collection_rollback(c);
    if (rc == VLM_EINTERRUPTED) rc = VLM_OK;
    free(r.probs);
    free(r.subset);
    *n_reported = r.reported;
    return rc;
}
