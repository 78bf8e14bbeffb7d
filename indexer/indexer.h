/*
 * indexer.h — `vlmindex add / update / rm`: keep a collection in step with
 * folders of images and with DICOMweb servers.
 *
 *   folders:  walk -> compare (path, size, mtime) with SQLite -> new or
 *             changed files -> decode pool (threads: read, hash, decode,
 *             preprocess) -> the batch writer (ingest.h)
 *   DICOMweb: QIDO search -> instances not indexed yet (by SOP Instance
 *             UID) -> rendered frames -> the same batch writer
 *
 * Unchanged files cost one SQLite lookup.  A file whose bytes are already in
 * the collection is never decoded: a vanished row with the same content hash
 * is moved to the new path (same id, same vector); a duplicate copies the
 * stored embedding.  Files that fail are recorded with the reason and do not
 * stop the run.  Each batch is one transaction, so `kill -9` at any moment
 * loses at most the batch in flight and a re-run finishes the job.
 *
 * Roots that are offline (session_roots.h: missing, unreadable, or looking
 * unmounted) are neither walked nor emptied: their rows stay until the user
 * removes them (indexer_remove, or indexer_update with prune_offline).
 * Callers hold the collection's writer lock (a SESSION_WRITE session).
 */
#ifndef VLM_INDEXER_H
#define VLM_INDEXER_H

#include <pthread.h>
#include <signal.h>
#include <stdint.h>

#include "dicomweb/dicomweb.h"
#include "dimse/dimse.h"
#include "model/clip/clip.h"
#include "model/dicom/dicom.h"
#include "schema/collection.h"
#include "schema/vector_index.h"

/* Every count of rows is of committed rows: a batch that fails to commit
 * (disk full) adds nothing to them. */
typedef struct indexer_summary {
    int64_t seen;       /* files found by the walk / instances fetched */
    int64_t added;      /* new rows embedded */
    int64_t updated;    /* changed files re-embedded */
    int64_t unchanged;  /* size + mtime matched (incl. known failures),
                           or the instance was indexed already */
    int64_t moved;      /* recognised by content hash, vector kept */
    int64_t copied;     /* duplicate content, embedding copied */
    int64_t removed;    /* rows whose file vanished */
    int64_t failed;     /* newly failed files */
    int64_t not_images; /* skipped: content and name are not images */
    int64_t skipped;    /* entries the walk could not visit (reported) */
    int64_t offline;    /* offline roots, kept (or forgotten with prune) */
    int64_t other_shards; /* left to the other shards (add --shard) */
    double seconds;     /* from the first item on (the walk excluded) */
} indexer_summary;

typedef enum indexer_phase {
    INDEXER_SCANNING, /* walking folders / querying a server */
    INDEXER_DECODING, /* reading and decoding items (or waiting for them) */
    INDEXER_ENCODING, /* a batch is in the model */
} indexer_phase;

typedef struct indexer_progress {
    int64_t done, total; /* items committed / expected so far */
    int64_t embedded;
    double elapsed;      /* seconds since processing began */
    const char *current; /* the item just found, decoded or committed */
    indexer_phase phase; /* what runs now */
    int64_t found;       /* files found so far (SCANNING) */
} indexer_progress;

typedef struct indexer_options {
    /* Folders */
    const char *const *excludes; /* --exclude globs */
    int n_excludes;
    int decode_threads;  /* 0 = number of cores */
    int exact_decode;    /* 1: no reduced-DCT JPEG fast path */
    uint64_t max_pixels; /* 0 = IMG_DEFAULT_MAX_PIXELS */
    dicom_window window; /* DICOM VOI window (kind DEFAULT = per modality) */
    /* Every run */
    int batch_size;                /* images per forward pass; 0 = 16 */
    volatile sig_atomic_t *cancel; /* set by a signal handler to stop */
    /* Held around each encoding call when other threads share the model
     * (session_model_lock()); NULL = not shared. */
    pthread_mutex_t *model_lock;
    /* Called as the run goes (may be NULL): every few files while
     * scanning, for every item decoded, before a batch is encoded and
     * after it is committed.  Keep it cheap. */
    void (*on_progress)(void *user, const indexer_progress *p);
    /* Called for each item that failed (may be NULL). */
    void (*on_failure)(void *user, const char *path, const char *reason);
    /* Called for each entry the walk could not visit (walk.h; may be
     * NULL): permission denied, a dangling link, a path over PATH_MAX. */
    void (*on_skip)(void *user, const char *path, const char *reason);
    /* Called for each offline root: its rows (n_rows) are kept, or were
     * removed when pruned (may be NULL). */
    void (*on_offline)(void *user, const char *root, const char *reason,
                       int64_t n_rows, int pruned);
    /* Update: forget offline roots and their rows instead of keeping them. */
    int prune_offline;
    void *user;
} indexer_options;

/* Adds (or refreshes) each path — folders walked recursively, skipping
 * their excludes (excludes.h) — and records the folders as roots, with
 * o->excludes remembered for them; a file given alone is indexed without
 * becoming a root.  Rows under a given folder whose file vanished, or that
 * its excludes now skip, are removed (after move detection).  o may be
 * NULL.  VLM_EINTERRUPTED if cancelled (work up to the last committed batch
 * is kept). */
int indexer_add(collection *c, vector_index *vi, clip_model *m,
                const char *const *paths, int n_paths, const indexer_options *o,
                indexer_summary *s, char *err);

/* Re-scans every known root that is online and every file added alone
 * (indexer_add over them); offline roots are reported and kept, or with
 * o->prune_offline forgotten with their rows.  A file added alone that
 * vanished is forgotten when its folder is online, else kept as offline. */
int indexer_update(collection *c, vector_index *vi, clip_model *m,
                   const indexer_options *o, indexer_summary *s, char *err);

/* Indexes the instances a QIDO-RS query finds on a DICOMweb server,
 * incrementally by SOP Instance UID (instances already in the collection
 * are not fetched).  Each becomes a row keyed by its SOP Instance UID whose
 * path is its WADO-RS URL (no credentials, no query string), plus its
 * de-identified DICOM fields.  An authentication or transport failure
 * before any instance arrives leaves the images untouched. */
int indexer_add_dicomweb(collection *c, vector_index *vi, clip_model *m,
                         const dicomweb_opts *web, const indexer_options *o,
                         indexer_summary *s, char *err);

/* The same for a DIMSE PACS (dimse/dimse.h): C-FIND, then C-GET of each
 * instance not yet in the collection; rows are keyed by SOP Instance UID
 * with a dimse://AE@host:port/studies/.../instances/SOP path. */
int indexer_add_dimse(collection *c, vector_index *vi, clip_model *m,
                      const dimse_opts *dimse, const indexer_options *o,
                      indexer_summary *s, char *err);

/* Forgets the given files/folders (rows and roots), not touching disk.  A
 * path inside a root is also excluded from it (a literal exclude), so that
 * `update` does not bring it back. */
int indexer_remove(collection *c, vector_index *vi, const char *const *paths,
                   int n_paths, int64_t *n_removed, char *err);

#endif
