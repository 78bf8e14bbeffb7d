/*
 * dupes.h — near-duplicate groups (`vlmindex dupes`): images whose vectors
 * have a cosine >= threshold (a FAISS range search, vector_pairs.h), joined
 * into groups (connected components: A~B and B~C group A, B and C), each
 * with the one to keep first.  Nothing is ever deleted here.
 */
#ifndef VLM_DUPES_H
#define VLM_DUPES_H

#include <stdbool.h>
#include <stdint.h>

#include "schema/collection.h"

typedef enum dupes_keep {
    DUPES_KEEP_LARGEST, /* most pixels, then most bytes */
    DUPES_KEEP_OLDEST,  /* earliest date taken (EXIF, else mtime) */
    DUPES_KEEP_NEWEST,  /* latest date taken */
} dupes_keep;

typedef struct dupes_options {
    float threshold;                 /* cosine >= this, in (0, 1] */
    const char *in_dir;              /* only images under it, or NULL */
    const collection_filter *filter; /* metadata filters, or NULL */
    dupes_keep keep;
} dupes_options;

typedef struct dupes_member {
    int64_t id;
    char *path;
    int width, height;
    int64_t bytes;
    char taken[20]; /* "YYYY:MM:DD HH:MM:SS" or "" */
    bool taken_exif;
    float score; /* cosine to the member kept (1 for it) */
} dupes_member;

typedef struct dupes_group {
    dupes_member *m; /* m[0] is the one to keep, then by score */
    int n;
} dupes_group;

/* Groups of 2 or more, the largest groups first.  *groups is malloc'ed;
 * free with dupes_free. */
int dupes_find(collection *c, const dupes_options *o, dupes_group **groups,
               int *n_groups, char *err);
void dupes_free(dupes_group *g, int n);

#endif
