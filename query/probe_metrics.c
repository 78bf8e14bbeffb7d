#include "query/probe_metrics.h"

#include <math.h>
#include <stdlib.h>

typedef struct scored {
    double s;
    int pos;
} scored;

/* Highest score first. */
static int by_score_desc(const void *a, const void *b)
{
    double x = ((const scored *)a)->s, y = ((const scored *)b)->s;
    return (x < y) - (x > y);
}

static scored *sorted_copy(const double *score, const int *positive, int64_t n)
{
    scored *v = malloc((size_t)(n ? n : 1) * sizeof *v);
    if (!v) return NULL;
    for (int64_t i = 0; i < n; i++) v[i] = (scored){score[i], !!positive[i]};
    qsort(v, (size_t)n, sizeof *v, by_score_desc);
    return v;
}

/* Walks the scores in descending groups of equal values: every negative
 * in a group outranks the positives below it; ties count a half. */
double probe_auc(const double *score, const int *positive, int64_t n)
{
    scored *v = sorted_copy(score, positive, n);
    if (!v) return NAN;
    double pos_above = 0, pairs = 0, n_pos = 0;
    for (int64_t i = 0; i < n;) {
        int64_t j = i;
        double gp = 0, gn = 0;
        for (; j < n && v[j].s == v[i].s; j++) v[j].pos ? gp++ : gn++;
        pairs += gn * (pos_above + 0.5 * gp);
        pos_above += gp;
        n_pos += gp;
        i = j;
    }
    double n_neg = (double)n - n_pos;
    free(v);
    return n_pos && n_neg ? pairs / (n_pos * n_neg) : NAN;
}

void probe_precision_recall(const double *score, const int *positive, int64_t n,
                            double threshold, double *precision, double *recall)
{
    double tp = 0, fp = 0, p = 0;
    for (int64_t i = 0; i < n; i++) {
        p += !!positive[i];
        if (score[i] >= threshold) positive[i] ? tp++ : fp++;
    }
    *precision = tp + fp > 0 ? tp / (tp + fp) : NAN;
    *recall = p > 0 ? tp / p : NAN;
}

int probe_threshold_for_precision(const double *score, const int *positive,
                                  int64_t n, double target, double *threshold,
                                  double *precision, double *recall)
{
    *threshold = *precision = *recall = NAN;
    scored *v = sorted_copy(score, positive, n);
    if (!v) return -1;
    double tp = 0, fp = 0, p = 0, best = 0;
    for (int64_t i = 0; i < n; i++) p += v[i].pos;
    int found = -1;
    for (int64_t i = 0; i < n;) {
        int64_t j = i; /* a threshold takes a whole group of equal scores */
        for (; j < n && v[j].s == v[i].s; j++) v[j].pos ? tp++ : fp++;
        /* Descending: the first threshold reaching a recall is the highest
         * one that does; it goes halfway to the next score down. */
        if (tp > best && tp / (tp + fp) >= target) {
            best = tp;
            *threshold = j < n ? 0.5 * (v[i].s + v[j].s) : v[i].s;
            *precision = tp / (tp + fp);
            *recall = tp / p;
            found = 0;
        }
        i = j;
    }
    free(v);
    return found;
}
