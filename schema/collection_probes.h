/*
 * collection_probes.h — linear probes stored in a collection (the tables
 * probes, probe_classes and probe_examples).  query/probe.h trains and
 * applies them; this is only their storage.
 *
 * A probe has n_classes >= 2 classes.  With two classes one weight vector
 * scores class 0 against class 1 (class 1 has no weights of its own); with
 * more, every class has its one-vs-rest vector.  Weights are float32 over
 * the collection's L2-normalised embeddings: logit = w . e + bias.
 */
#ifndef VLM_SCHEMA_COLLECTION_PROBES_H
#define VLM_SCHEMA_COLLECTION_PROBES_H

#include <stdint.h>

#include "schema/collection.h"

#define COLLECTION_PROBE_NAME_MAX 65 /* 64 characters + NUL */

typedef struct collection_probe_class {
    char *name;
    int64_t examples; /* training examples of this class */
    float *weights;   /* dims floats, or NULL (class 1 of two) */
    double bias;
} collection_probe_class;

typedef struct collection_probe {
    char name[COLLECTION_PROBE_NAME_MAX];
    char model_id[COLLECTION_HASH_MAX];
    char model_name[256];
    int dims;
    double reg_c; /* the regularisation cross-validation picked */
    int folds;
    double cv_accuracy, cv_auc, cv_logloss;
    /* Two-class probes: the threshold on P(class 0) that reached
     * precision_target in cross-validation, with the precision and recall
     * it had there.  NAN when there is none. */
    double precision_target, threshold, threshold_precision, threshold_recall;
    int64_t created_at; /* unix seconds; set by collection_put_probe */
    int n_classes;
    collection_probe_class *classes;
} collection_probe;

/* Stores p (replacing a probe of the same name, its classes and examples)
 * with its training examples: paths[i] was an example of class[i]. */
int collection_put_probe(collection *c, const collection_probe *p,
                         const char *const *paths, const int *classes,
                         int64_t n_examples, char *err);

/* Reads probe `name` into *p (its classes malloc'ed: free with
 * collection_probe_free); VLM_ENOTFOUND with a message if there is none. */
int collection_get_probe(collection *c, const char *name, collection_probe *p,
                         char *err);
void collection_probe_free(collection_probe *p); /* NULL-safe */

/* Calls cb for every probe, by name (classes read too, freed after the
 * call), until it returns non-zero (that value is returned). */
typedef int (*collection_probe_cb)(void *ud, const collection_probe *p);
int collection_for_each_probe(collection *c, collection_probe_cb cb, void *ud,
                              char *err);

/* Calls cb(ud, path, class) for each training example of probe `name`, by
 * path, until it returns non-zero (returned). */
typedef int (*collection_example_cb)(void *ud, const char *path, int cls);
int collection_probe_examples(collection *c, const char *name,
                              collection_example_cb cb, void *ud, char *err);

/* Deletes probe `name`; VLM_ENOTFOUND if there is none. */
int collection_delete_probe(collection *c, const char *name, char *err);

#endif
