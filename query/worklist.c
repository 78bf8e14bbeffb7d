#include "query/worklist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/result_format.h"

typedef struct slice {
    int64_t id;
    float score;
    char study[65], series[65], sop[65], accession[17], modality[17], date[9];
    char window[64];
} slice;

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* study, then series, then score descending */
static int cmp_slice(const void *a, const void *b)
{
    const slice *x = a, *y = b;
    int c = strcmp(x->study, y->study);
    if (!c) c = strcmp(x->series, y->series);
    return c ? c : (x->score < y->score) - (x->score > y->score);
}

typedef struct id_score {
    int64_t id;
    float score;
} id_score;

typedef struct slice_list {
    const id_score *sorted; /* the scores, by id */
    size_t n_sorted;
    slice *s;
    size_t n, cap;
} slice_list;

/* One DICOM row: keep it when it has a score. */
static int add_slice(void *ud, const collection_dicom *d)
{
    slice_list *l = ud;
    const id_score *hit = bsearch(&d->image_id, l->sorted, l->n_sorted,
                                  sizeof *l->sorted, cmp_id);
    if (!hit) return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        slice *grown = realloc(l->s, cap * sizeof *grown);
        if (!grown) return VLM_ENOMEM;
        l->s = grown;
        l->cap = cap;
    }
    slice *x = &l->s[l->n++];
    x->id = d->image_id;
    x->score = hit->score;
    snprintf(x->study, sizeof x->study, "%s", d->study_uid);
    snprintf(x->series, sizeof x->series, "%s", d->series_uid);
    snprintf(x->sop, sizeof x->sop, "%s", d->sop_uid);
    snprintf(x->accession, sizeof x->accession, "%s", d->accession);
    snprintf(x->modality, sizeof x->modality, "%s", d->modality);
    snprintf(x->date, sizeof x->date, "%s", d->study_date);
    snprintf(x->window, sizeof x->window, "%s", d->window);
    return 0;
}

/* Joins the scores with the DICOM fields. */
static int load_slices(collection *c, const id_score *sorted, size_t n,
                       slice **out, size_t *n_out, char *err)
{
    slice_list l = {.sorted = sorted, .n_sorted = n};
    int rc = collection_for_each_dicom(c, add_slice, &l, err);
    if (rc == VLM_ENOMEM) vlm_set_err(err, "worklist: out of memory");
    if (rc) {
        free(l.s);
        return rc;
    }
    *out = l.s;
    *n_out = l.n;
    return VLM_OK;
}

/* Folds one series (slices [a, b), best first) into its study row. */
static void add_series(worklist_study *w, const slice *a, const slice *b, int k)
{
    int n = (int)(b - a), m = n < k ? n : k;
    float mean = 0;
    for (int i = 0; i < m; i++) mean += a[i].score;
    mean /= (float)m;
    if (!w->series || a->score > w->score_max) {
        w->score_max = a->score;
        snprintf(w->best_series_uid, sizeof w->best_series_uid, "%s",
                 a->series);
        snprintf(w->best_sop_uid, sizeof w->best_sop_uid, "%s", a->sop);
        w->best_image_id = a->id;
        snprintf(w->window, sizeof w->window, "%s", a->window);
    }
    if (!w->series || mean > w->score_topk_mean) w->score_topk_mean = mean;
    w->series++;
    w->images += n;
}

static int cmp_study(const void *a, const void *b)
{
    float x = ((const worklist_study *)a)->score_max,
          y = ((const worklist_study *)b)->score_max;
    return (x < y) - (x > y);
}

static int aggregate(const slice *s, size_t n, const worklist_options *o,
                     worklist_study **out, int *n_out)
{
    int k = o && o->top_k > 0 ? o->top_k : 3, ns = 0;
    worklist_study *w = calloc(n ? n : 1, sizeof *w);
    if (!w) return VLM_ENOMEM;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && !strcmp(s[j].study, s[i].study) &&
               !strcmp(s[j].series, s[i].series))
            j++;
        if (!ns || strcmp(w[ns - 1].study_uid, s[i].study)) {
            worklist_study *x = &w[ns++];
            snprintf(x->study_uid, sizeof x->study_uid, "%s", s[i].study);
            snprintf(x->accession, sizeof x->accession, "%s", s[i].accession);
            snprintf(x->modality, sizeof x->modality, "%s", s[i].modality);
            snprintf(x->study_date, sizeof x->study_date, "%s", s[i].date);
        }
        add_series(&w[ns - 1], s + i, s + j, k);
        i = j;
    }
    qsort(w, (size_t)ns, sizeof *w, cmp_study);
    int keep = 0;
    while (keep < ns &&
           !(o && o->use_min && w[keep].score_max < o->min_score) &&
           !(o && o->max_studies > 0 && keep >= o->max_studies))
        keep++;
    *out = w;
    *n_out = keep;
    return VLM_OK;
}

int worklist_build(collection *c, const int64_t *ids, const float *scores,
                   size_t n, const worklist_options *o, worklist_study **out,
                   int *n_out, char *err)
{
    id_score *sorted = malloc((n ? n : 1) * sizeof *sorted);
    slice *s = NULL;
    size_t ns = 0;
    if (!sorted) return VLM_ENOMEM;
    for (size_t i = 0; i < n; i++) sorted[i] = (id_score){ids[i], scores[i]};
    qsort(sorted, n, sizeof *sorted, cmp_id);
    int rc = load_slices(c, sorted, n, &s, &ns, err);
    if (!rc) {
        qsort(s, ns, sizeof *s, cmp_slice);
        rc = aggregate(s, ns, o, out, n_out);
        if (rc) vlm_set_err(err, "worklist: out of memory");
    }
    free(sorted);
    free(s);
    return rc;
}

static void write_csv_row(FILE *f, int rank, const worklist_study *s,
                          const worklist_context *ctx)
{
    fprintf(f, "%d,", rank);
    csv_write_field(f, s->study_uid);
    fputc(',', f);
    csv_write_field(f, s->accession);
    fputc(',', f);
    csv_write_field(f, s->best_series_uid);
    fputc(',', f);
    csv_write_field(f, s->best_sop_uid);
    fprintf(f, ",%.6f,%.6f,%d,%d,", s->score_max, s->score_topk_mean, s->images,
            s->series);
    csv_write_field(f, s->modality);
    fputc(',', f);
    csv_write_field(f, s->study_date);
    fputc(',', f);
    csv_write_field(f, ctx->query);
    fputc(',', f);
    csv_write_field(f, ctx->model);
    fputc(',', f);
    csv_write_field(f, s->window);
    fprintf(f, ",%s,%s\n", ctx->time, WORKLIST_NOTE);
}

static void json_field(FILE *f, const char *key, const char *value)
{
    fprintf(f, ",\"%s\":", key);
    json_write_string(f, value);
}

static void write_json_row(FILE *f, int rank, const worklist_study *s,
                           const worklist_context *ctx)
{
    fprintf(f, "{\"rank\":%d", rank);
    json_field(f, "study_uid", s->study_uid);
    json_field(f, "accession", s->accession);
    json_field(f, "best_series_uid", s->best_series_uid);
    json_field(f, "best_sop_uid", s->best_sop_uid);
    fprintf(f,
            ",\"score_max\":%.6f,\"score_topk_mean\":%.6f,\"images\":%d,"
            "\"series\":%d",
            s->score_max, s->score_topk_mean, s->images, s->series);
    json_field(f, "modality", s->modality);
    json_field(f, "study_date", s->study_date);
    json_field(f, "query", ctx->query);
    json_field(f, "model", ctx->model);
    json_field(f, "window", s->window);
    json_field(f, "time", ctx->time);
    json_field(f, "note", WORKLIST_NOTE);
    fputs("}\n", f);
}

void worklist_write(FILE *f, int jsonl, const worklist_study *s, int n,
                    const worklist_context *ctx)
{
    if (!jsonl)
        fputs("rank,study_uid,accession,best_series_uid,best_sop_uid,score_max,"
              "score_topk_mean,images,series,modality,study_date,query,model,"
              "window,"
              "time,note\n",
              f);
    for (int i = 0; i < n; i++)
        (jsonl ? write_json_row : write_csv_row)(f, i + 1, &s[i], ctx);
}
