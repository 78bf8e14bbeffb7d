/*
 * probe.h — linear probes: a classifier trained from the user's own
 * labelled images on the frozen encoder's stored embeddings, and used
 * wherever a label or a query is.
 *
 *   training   the examples (files, or folders: every indexed image under
 *              them) are looked up in the collection — they must be indexed
 *              already — and their stored embeddings train an L2-regularised
 *              logistic regression (probe_fit.h: liblinear, C by stratified
 *              k-fold cross-validation, out-of-fold accuracy, AUC and a
 *              threshold for a target precision).  The probe is stored in
 *              the collection with the model id, the metrics and the
 *              examples (schema/collection_probes.h).
 *   classes    a binary probe NAME has the classes NAME and "not NAME"; a
 *              multi-class probe has the classes it was given (one-vs-rest).
 *   applying   only under the model it was trained with (probe_load checks
 *              the model id): classify (probe_label_set), ranking
 *              (probe_direction), the query language ("probe:NAME" terms),
 *              worklists, held-out evaluation (probe_eval).
 *
 * Ranking by a probe: the logit w . e + b of a unit embedding e is
 * |w| cos(w, e) + b, so ranking by the probe is ranking by cosine with the
 * direction w / |w| — a query vector the vector index searches like any
 * other, exactly (no re-scoring pass, --in and every filter work).  A
 * "probe:NAME" term in a query contributes that unit direction, weighted
 * like every other term.
 */
#ifndef VLM_PROBE_H
#define VLM_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include "query/classify.h"
#include "query/probe_fit.h"
#include "query/search.h"
#include "schema/collection.h"
#include "schema/collection_probes.h"
#include "schema/vector_index.h"

#define PROBE_NAME_MAX (COLLECTION_PROBE_NAME_MAX - 1)
#define PROBE_LIST_MAX 1000000 /* paths in one --positive-list file */

/* One class of examples as the user gave it: files and folders. */
typedef struct probe_class_input {
    const char *name;
    const char *const *paths;
    int n_paths;
} probe_class_input;

/* Examples found in the collection: n images, each once. */
typedef struct probe_examples {
    int64_t n;
    int dims;
    int n_classes;
    int64_t *ids;
    char **paths; /* as stored */
    int *cls;
    float *x; /* [n][dims] stored embeddings */
} probe_examples;

/* Looks every path up in the collection: a file must be indexed with an
 * embedding, a folder must have indexed images under it.  VLM_ENOTFOUND
 * names the first path that is not (and how many are not); VLM_EINVAL
 * names an image given in two classes, or a file whose indexing failed. */
int probe_gather(collection *c, const probe_class_input *classes, int n_classes,
                 probe_examples *out, char *err);
void probe_examples_free(probe_examples *e);

/* Reads a list of paths, one a line (blank lines and '#' lines skipped;
 * "-" is stdin), at most PROBE_LIST_MAX.  Free with collection_free_strings. */
int probe_read_list(const char *file, char ***paths, int *n, char *err);

/* VLM_EINVAL unless name is 1..PROBE_NAME_MAX of [A-Za-z0-9._-] starting
 * with a letter or digit (it is written as probe:NAME in queries). */
int probe_check_name(const char *name, char *err);

/* Trains probe `name` from the classes (one class: a binary probe whose
 * positives are classes[0] and negatives classes[1]; the class names are
 * then NAME and "not NAME" whatever was given) and stores it, replacing
 * one of the same name.  At least PROBE_MIN_PER_CLASS examples per class.
 * *out (may be NULL) receives the stored probe: free with
 * collection_probe_free. */
int probe_train(collection *c, const char *name,
                const probe_class_input *classes, int n_classes,
                const probe_fit_options *o, collection_probe *out, char *err);

/* Reads probe `name` and checks that it was trained under model_id (the
 * model of the collection now): VLM_EMISMATCH, saying which model it
 * belongs to, when not. */
int probe_load(collection *c, const char *name, const char *model_id,
               collection_probe *out, char *err);

/* probe_load under the model the collection is bound to. */
int probe_load_current(collection *c, const char *name, collection_probe *out,
                       char *err);

/* The index of class `cls` (NULL: class 0, allowed for binary probes
 * only); VLM_EINVAL naming the classes when there is no such class. */
int probe_class_index(const collection_probe *p, const char *cls, char *err);

/* Unit ranking direction of class k into dir[dims]; *scale and *bias
 * turn a cosine with it back into the class's logit (scale * cos + bias).
 * For two classes, class 1 ranks by the negated direction. */
void probe_direction(const collection_probe *p, int k, float *dir,
                     double *scale, double *bias);

/* The probability a ranking by probe_direction reports: binary probes
 * P(class k); with more classes the one-vs-rest sigmoid of class k. */
double probe_rank_prob(const collection_probe *p, int k, const float *e);

/* The probe as a label set (classify, worklists): its classes, its
 * probabilities (probe_fit.h); a binary probe's top label is class 0 when
 * P(class 0) reaches the stored threshold (0.5 without one). */
int probe_label_set(const collection_probe *p, label_set **out, char *err);

/* Top-k images of the collection by class k of the probe (through the
 * vector index along probe_direction); each hit's score is
 * probe_rank_prob from its stored embedding. */
int probe_search(collection *c, vector_index *vi, const collection_probe *p,
                 int k, const search_options *o, search_hit **hits, int *n,
                 char *err);

/* "probe:NAME" or "probe:NAME:CLASS" terms: the unit direction of the
 * class (query_parse.h gives the value after "probe:"). */
int probe_term_vector(collection *c, const char *model_id, const char *term,
                      float *out, int dims, char *err);

typedef struct probe_eval_result {
    int64_t n, n_training;    /* examples; how many were training examples */
    int64_t *per_class;       /* [n_classes] examples per class */
    double accuracy;          /* at the stored threshold (binary) or argmax */
    double auc;               /* binary: class 0's; else the macro mean */
    double threshold;         /* the decision threshold used (binary) */
    double precision, recall; /* binary: of class 0 at that threshold */
} probe_eval_result;

/* Scores labelled examples (not necessarily held out: n_training counts
 * the overlap with the probe's own training examples). */
int probe_eval(collection *c, const collection_probe *p,
               const probe_examples *ex, probe_eval_result *r, char *err);
void probe_eval_result_free(probe_eval_result *r);

/* One line saying what a result came from: "probe 'floral' (2 classes, 45
 * examples; cross-validated accuracy 0.956, AUC 0.987; 'floral' when
 * P >= 0.620, for precision 0.90)". */
void probe_describe(const collection_probe *p, char *buf, size_t n);

/* The probe as a JSON object (name, classes, model, cross-validated
 * metrics, threshold: null when none), for JSON lines; malloc'ed. */
char *probe_json(const collection_probe *p);

#endif
