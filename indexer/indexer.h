/*
 * indexer.h — `vlmindex add / update / rm`: keep a collection in step with
 * folders of images.
 *
 *   walk -> compare (path, size, mtime) with SQLite -> new or changed files
 *     -> decode pool (threads: read, hash, decode, preprocess)
 *     -> batches -> vision tower -> one SQLite transaction per batch
 *     -> vector index sync; atomic index save at the end.
 *
 * Unchanged files cost one SQLite lookup.  A file whose bytes are already in
 * the collection is never decoded: a vanished row with the same content hash
 * is moved to the new path (same id, same vector); a duplicate copies the
 * stored embedding.  Files that fail are recorded with the reason and do not
 * stop the run.  Each batch is one transaction, so `kill -9` at any moment
 * loses at most the batch in flight and a re-run finishes the job.
 */
#ifndef VLM_INDEXER_H
#define VLM_INDEXER_H

#include <signal.h>
#include <stdint.h>

#include "indexer/decode_pool.h"
#include "model/clip/clip.h"
#include "schema/collection.h"
#include "schema/vector_index.h"

typedef struct indexer_summary {
    int64_t seen;       /* files found by the walk */
    int64_t added;      /* new rows embedded */
    int64_t updated;    /* changed files re-embedded */
    int64_t unchanged;  /* size + mtime matched (incl. known failures) */
    int64_t moved;      /* recognised by content hash, vector kept */
    int64_t copied;     /* duplicate content, embedding copied */
    int64_t removed;    /* rows whose file vanished */
    int64_t failed;     /* newly failed files */
    int64_t not_images; /* skipped: content and name are not images */
    double seconds;
} indexer_summary;

typedef struct indexer_progress {
    int64_t done, total; /* files processed / to process (after the walk) */
    int64_t embedded;
    double elapsed;      /* seconds since processing began */
    const char *current; /* last file finished */
} indexer_progress;

typedef struct indexer_options {
    const char *const *excludes; /* --exclude globs */
    int n_excludes;
    int decode_threads;            /* 0 = number of cores */
    int batch_size;                /* images per forward pass; 0 = 16 */
    int exact_decode;              /* 1: no reduced-DCT JPEG fast path */
    uint64_t max_pixels;           /* 0 = IMG_DEFAULT_MAX_PIXELS */
    volatile sig_atomic_t *cancel; /* set by a signal handler to stop */
    /* Called after every file (may be NULL). */
    void (*on_progress)(void *user, const indexer_progress *p);
    /* Called for each file that failed (may be NULL). */
    void (*on_failure)(void *user, const char *path, const char *reason);
    void *user;
    dicom_window window; /* DICOM VOI window (kind DEFAULT = per modality) */
} indexer_options;

/* Adds (or refreshes) each path — folders walked recursively — and records
 * folders as roots.  Rows under a walked folder whose file vanished are
 * removed (after move detection).  VLM_EINTERRUPTED if cancelled (work up
 * to the last committed batch is kept). */
int indexer_add(collection *c, vector_index *vi, clip_model *m,
                const char *const *paths, int n_paths, const indexer_options *o,
                indexer_summary *s, char *err);

/* Re-scans every known root (indexer_add over collection_list_roots). */
int indexer_update(collection *c, vector_index *vi, clip_model *m,
                   const indexer_options *o, indexer_summary *s, char *err);

/* Ends a batch transaction: commit when rc is VLM_OK (then let the vector
 * index catch up), else roll back.  Returns the first failure. */
int indexer_finish_batch(collection *c, vector_index *vi, int rc, char *err);

/* Forgets the given files/folders (rows and roots), not touching disk. */
int indexer_remove(collection *c, vector_index *vi, const char *const *paths,
                   int n_paths, int64_t *n_removed, char *err);

#endif
