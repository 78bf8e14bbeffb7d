/*
 * worklist.h — per-study triage lists from per-image scores (DICOM).
 *
 * Slices are scored one by one (a search query's cosine, or a label's
 * zero-shot probability).  Scores aggregate upwards so a worklist names
 * studies, not 300 slices each:
 *   series: max score, and the mean of its top-k scores (k = 3 by default,
 *           fewer when the series is smaller) — robust to one odd slice;
 *   study:  the best series by max score; the study's top-k mean is that of
 *           its best series by top-k mean.
 * Studies are ranked by max score.  Every row carries the marker
 * "research triage, not a diagnosis".
 */
#ifndef VLM_WORKLIST_H
#define VLM_WORKLIST_H

#include <stdint.h>
#include <stdio.h>

#include "query/classify.h"
#include "schema/collection.h"

#define WORKLIST_NOTE "research triage, not a diagnosis"

typedef struct worklist_study {
    char study_uid[65], accession[17], modality[17], study_date[9];
    char best_series_uid[65], best_sop_uid[65];
    int64_t best_image_id; /* the image of best_sop_uid */
    char window[64];
    float score_max, score_topk_mean;
    int images, series;
} worklist_study;

typedef struct worklist_options {
    int top_k;   /* k of the top-k mean; 0 = 3 */
    int use_min; /* only studies with score_max >= min_score */
    float min_score;
    int max_studies; /* 0 = all */
} worklist_options;

/* ids/scores: per-image scores (any order); images without a DICOM row are
 * ignored.  *out is malloc'ed, best study first. */
int worklist_build(collection *c, const int64_t *ids, const float *scores,
                   size_t n, const worklist_options *o, worklist_study **out,
                   int *n_out, char *err);

/* The two worklists the CLIs make (worklist_scores.c):
 * every embedded image scored by its cosine against a normalised query
 * vector (`vlmsearch --worklist`) ... */
int worklist_for_query(collection *c, const float *qvec, int dims,
                       const worklist_options *o, worklist_study **out,
                       int *n_out, char *err);

/* ... or by its zero-shot probability of label `label` of ls (`vlmindex
 * classify --worklist --only LABEL`; with store, every image's result is
 * saved as by classify_collection). */
int worklist_for_label(collection *c, const label_set *ls, int label,
                       const char *model_id, const char *in_dir, int store,
                       const worklist_options *o, worklist_study **out,
                       int *n_out, char *err);

/* The current time as ISO 8601 UTC ("2024-05-01T12:00:00Z"). */
void worklist_time_now(char buf[32]);

typedef struct worklist_context {
    const char *query; /* the search text or label */
    const char *model; /* model name */
    const char *time;  /* ISO 8601, when the list was made */
} worklist_context;

/* Explicit opt-in write-back: one Basic Text SR (VerificationFlag
 * UNVERIFIED, "research triage, not a diagnosis") per study, stored with
 * STOW-RS through the DICOMweb server `web` describes.  Returns the number
 * stored in *n_stored; stops at the first failure. */
struct dicomweb_opts;
int worklist_store_sr(const worklist_study *s, int n,
                      const worklist_context *ctx,
                      const struct dicomweb_opts *web, int *n_stored,
                      char *err);

/* CSV (with header) or JSON lines. */
void worklist_write(FILE *f, int jsonl, const worklist_study *s, int n,
                    const worklist_context *ctx);

#endif
