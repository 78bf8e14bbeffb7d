/*
 * probe_metrics.h — how a probe's scores are judged against known labels:
 * ROC AUC, precision and recall at a threshold, the threshold that reaches
 * a precision.  score[i] is the probability of the positive class,
 * positive[i] says whether example i is one.
 */
#ifndef VLM_PROBE_METRICS_H
#define VLM_PROBE_METRICS_H

#include <stdint.h>

/* Area under the ROC curve (the Mann-Whitney statistic; ties count a
 * half).  NAN when either class is absent. */
double probe_auc(const double *score, const int *positive, int64_t n);

/* Precision and recall of "score >= threshold" (precision NAN when nothing
 * passes, recall NAN without positives). */
void probe_precision_recall(const double *score, const int *positive, int64_t n,
                            double threshold, double *precision,
                            double *recall);

/* The threshold with the most recall among those whose precision reaches
 * `target` — the highest such one, placed halfway between its score and
 * the next lower score (in the gap, not on an example) — with the
 * precision and recall there.  Returns 0, or -1 (outputs NAN) when no
 * threshold reaches the target. */
int probe_threshold_for_precision(const double *score, const int *positive,
                                  int64_t n, double target, double *threshold,
                                  double *precision, double *recall);

#endif
