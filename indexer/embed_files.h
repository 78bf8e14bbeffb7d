/*
 * embed_files.h — embeddings of image files and folders without a
 * collection (`vlmindex embed --image DIR --batch N`): the indexer's decode
 * pool and batched forward passes, so it runs at the indexer's speed.
 * Folders are walked recursively with the default excludes (excludes.h).
 */
#ifndef VLM_EMBED_FILES_H
#define VLM_EMBED_FILES_H

#include <signal.h>
#include <stdint.h>

#include "model/clip/clip.h"

typedef struct embed_files_options {
    int batch_size;     /* images per forward pass; 0 = 16 */
    int decode_threads; /* 0 = number of cores */
    volatile sig_atomic_t *cancel; /* set to stop (VLM_EINTERRUPTED) */
    /* Each image embedded, in the order they are done; vec holds
     * clip_embed_dim floats, not normalised.  Non-zero stops the run. */
    int (*on_vector)(void *user, const char *path, const float *vec);
    /* A file that could not be read or decoded (the run goes on); named:
     * it was given itself, not found in a folder. */
    void (*on_failure)(void *user, const char *path, const char *reason,
                       int named);
    void *user;
} embed_files_options;

/* Embeds every image among paths (files, or folders walked); *n_done gets
 * how many were embedded.  VLM_ENOTFOUND when a path does not exist. */
int embed_files(clip_model *m, const char *const *paths, int n,
                const embed_files_options *o, int64_t *n_done, char *err);

#endif
