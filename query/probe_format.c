/* probe_format.c — how results say they came from a probe (probe.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query/probe.h"
#include "query/result_format.h"

static int64_t total_examples(const collection_probe *p)
{
    int64_t n = 0;
    for (int k = 0; k < p->n_classes; k++) n += p->classes[k].examples;
    return n;
}

void probe_describe(const collection_probe *p, char *buf, size_t n)
{
    int used = snprintf(buf, n,
                        "probe '%s' (%d classes, %lld examples; "
                        "cross-validated accuracy %.3f, AUC %.3f",
                        p->name, p->n_classes, (long long)total_examples(p),
                        p->cv_accuracy, p->cv_auc);
    if (used < 0 || (size_t)used >= n) return;
    if (p->n_classes == 2 && !isnan(p->threshold))
        snprintf(buf + used, n - (size_t)used,
                 "; '%s' when P >= %.3f, for precision %.2f)",
                 p->classes[0].name, p->threshold, p->precision_target);
    else if (p->n_classes == 2)
        snprintf(buf + used, n - (size_t)used,
                 "; precision %.2f not reached in cross-validation: '%s' "
                 "when P >= 0.5)",
                 p->precision_target, p->classes[0].name);
    else
        snprintf(buf + used, n - (size_t)used, ")");
}

static void number_or_null(FILE *f, const char *key, double v)
{
    if (isnan(v))
        fprintf(f, ",\"%s\":null", key);
    else
        fprintf(f, ",\"%s\":%.6g", key, v);
}

char *probe_json(const collection_probe *p)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    fputs("{\"name\":", f);
    json_write_string(f, p->name);
    fputs(",\"classes\":[", f);
    for (int k = 0; k < p->n_classes; k++) {
        if (k) fputc(',', f);
        json_write_string(f, p->classes[k].name);
    }
    fputs("],\"model\":", f);
    json_write_string(f, p->model_name);
    fprintf(f, ",\"examples\":%lld,\"folds\":%d,\"cv_accuracy\":%.6g",
            (long long)total_examples(p), p->folds, p->cv_accuracy);
    number_or_null(f, "cv_auc", p->cv_auc);
    number_or_null(f, "threshold", p->threshold);
    number_or_null(f, "precision_target", p->precision_target);
    fputc('}', f);
    fclose(f);
    return buf;
}
