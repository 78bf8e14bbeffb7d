/*
 * classify.h — classification of a collection with a label set.
 *
 * Zero-shot: each label becomes the mean of its prompt templates'
 * normalised text embeddings ("a photo of {}" by default; "{}" is replaced
 * by the label), renormalised.  An image's probabilities are
 * softmax(logit_scale * cos) over the labels — exactly CLIP's zero-shot
 * rule.  A linear probe (query/probe.h) is a label set too: its classes
 * are the labels, its logistic probabilities the scores.  Results are
 * stored in SQLite (classifications) keyed by a hash of labels + templates
 * + model, or of the probe.
 */
#ifndef VLM_CLASSIFY_H
#define VLM_CLASSIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "model/clip/clip.h"
#include "schema/collection.h"

typedef struct label_set label_set;

/* Refuses (VLM_EINVAL) no labels, empty or duplicate labels and templates
 * without "{}" (label_input_check). */
int label_set_create(clip_model *m, const char *const *labels, int n_labels,
                     const char *const *templates, int n_templates,
                     label_set **out, char *err);
/* A linear probe's label set: labels[n] (n >= 2), weights [nv][dims] and
 * bias[nv] with nv = 1 for two labels, else n; probabilities by
 * probe_linear_probs (probe_fit.h).  With two labels the top label is 0
 * when P(label 0) >= threshold (NAN: 0.5).  hash: up to 16 characters
 * identifying the probe (the key of stored results). */
int label_set_create_linear(const char *const *labels, int n, int dims,
                            const float *weights, const double *bias,
                            double threshold, const char *hash, label_set **out,
                            char *err);
void label_set_destroy(label_set *ls);
int label_set_count(const label_set *ls);
const char *label_set_label(const label_set *ls, int i);
const char *label_set_hash(const label_set *ls); /* hex digest */

/* probs[n_labels] for one normalised image embedding; returns top index. */
int label_set_classify(const label_set *ls, const float *embedding,
                       float *probs);

typedef struct classify_row {
    int64_t id;
    const char *path;
    int top;            /* index of the top label */
    const float *probs; /* n_labels */
    const char *taken;  /* the date taken, "YYYY:MM:DD HH:MM:SS" or "" */
    bool taken_exif;    /* taken comes from EXIF (else the mtime) */
    const char *camera; /* "Make Model" or "" */
} classify_row;

typedef struct classify_options {
    const char *in_dir; /* subtree, NULL = whole collection */
    const collection_filter *filter; /* metadata filters, or NULL */
    float min_prob;     /* report only top_prob >= this (0 = all) */
    int only;           /* report only images whose top label is this
                             index; -1 = any */
    int store;          /* write results to SQLite */
    /* Called for each reported image; return non-zero to stop. */
    int (*on_row)(void *user, const classify_row *row);
    void *user;
} classify_options;

/* Classifies every embedded image (of in_dir); returns VLM_OK and the
 * number reported in *n_reported. */
int classify_collection(collection *c, const label_set *ls,
                        const char *model_id, const classify_options *o,
                        int64_t *n_reported, char *err);

/* classify_read_labels (reading a labels file) and the checks
 * label_set_create applies: query/label_input.h. */
#include "query/label_input.h"

#endif
