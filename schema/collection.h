/*
 * collection.h — the vlmindex collection on disk: one folder holding
 *
 *     DIR/collection.db      SQLite (WAL mode), the source of truth
 *     DIR/vectors.faiss      derived FAISS index (see vector_index.h)
 *
 * SQLite stores one row per image (path, size, mtime, content hash, decode
 * metadata, status, error text) together with its embedding (float32 BLOB,
 * little-endian, L2-normalised), the model the collection was built with,
 * the user's roots, classification results, captions (+ FTS5) and de-
 * identified DICOM header fields (never patient name / ID / birth date).
 *
 * Every change to the set of embeddings bumps meta.generation and appends
 * (generation, image_id) to a change log, so that a vector index saved at
 * generation G can catch up incrementally instead of being rebuilt.
 *
 * Concurrency: WAL + busy_timeout, so a search in one process works while
 * `vlmindex add` writes batches in another.  One `collection` handle must be
 * used by one thread at a time.  Writers take the collection's writer lock
 * first (session/session_lock.h); SQLite's own locks only keep single
 * transactions apart.
 *
 * A new collection appears atomically: the database is built and migrated
 * under a temporary name and then linked into place, so another process
 * sees either no collection or a complete one.
 *
 * Read-only use: a collection whose folder or files this process cannot
 * write (another user's, a read-only mount) opens read-only when asked
 * (fallback_read_only): SQLite mode=ro, or immutable=1 on a read-only file
 * system or when no writer is active and the WAL index cannot be created.
 *
 * Errors follow model/core/vlm_error.h: int status, `char *err` buffer of
 * VLM_ERR_MAX bytes (may be NULL).  Paths are stored exactly as given;
 * callers should pass absolute, normalised paths (no trailing '/').
 */
#ifndef VLM_SCHEMA_COLLECTION_H
#define VLM_SCHEMA_COLLECTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/core/vlm_error.h"

typedef struct collection collection;

#define COLLECTION_DB_NAME  "collection.db"
#define COLLECTION_PATH_MAX 4096
#define COLLECTION_HASH_MAX 129 /* hex digest up to 512 bits + NUL */
#define COLLECTION_UID_MAX  65  /* DICOM UID: 64 characters + NUL */

/* ------------------------------------------------------------------ */
/* Opening                                                             */
/* ------------------------------------------------------------------ */

typedef struct {
    bool create_if_missing;  /* mkdir DIR and create the schema if absent */
    bool private_perms;      /* new DIR 0700, files 0600 (DICOM collections) */
    int busy_timeout_ms;     /* 0 = default (10 000 ms) */
    bool read_only;          /* never write (SQLite opened read-only) */
    bool fallback_read_only; /* read-only when DIR or its files are not
                                writable by this process (or the disk is
                                too full to open it), else read-write */
} collection_options;

/* Opens (or creates) the collection in `dir`, runs pending migrations.
 * opts may be NULL (= open existing only).  VLM_ENOTFOUND if the folder or
 * database is missing and create_if_missing is false.  VLM_EREADONLY when
 * it must be written (created, migrated, or opened read-write) but this
 * process may not; err says what needs write access. */
int collection_open(const char *dir, const collection_options *opts,
                    collection **out, char *err);
void collection_close(collection *c);

/* Creates DIR and its parents (0700 with private_perms, else 0755); an
 * existing folder is fine. */
int collection_create_dir(const char *dir, bool private_perms, char *err);

/* True when opened read-only; *why (may be NULL) then says why, e.g.
 * "/srv/photos-index is not writable by uid 1000" or "read-only file
 * system", else "". */
bool collection_is_read_only(const collection *c, const char **why);

/* The folder given to collection_open (no trailing '/'). */
const char *collection_dir(const collection *c);

/* Default collection folder: $VLMINDEX_COLLECTION, else
 * $XDG_DATA_HOME/vlmindex/collection, else ~/.local/share/vlmindex/collection. */
int collection_default_dir(char *buf, size_t bufsize, char *err);

/* Schema version after migrations (PRAGMA user_version). */
int collection_schema_version(collection *c);

/* ------------------------------------------------------------------ */
/* Model binding                                                       */
/* ------------------------------------------------------------------ */

#define COLLECTION_FAMILY_MAX 32

typedef struct {
    char name[256]; /* e.g. "laion/CLIP-ViT-B-32-laion2B-s34B-b79K" */
    int dims;       /* embedding dimension */
    char model_id[COLLECTION_HASH_MAX]; /* hash of config + weights */
    int64_t created_at;                 /* unix seconds */
    /* config.json model_type ("clip", "siglip", "chinese_clip"); "" when
     * not known (recorded before the column existed, until the next bind
     * with a matching id fills it in). */
    char family[COLLECTION_FAMILY_MAX];
} collection_model;

/* What a model binding records and checks. */
typedef struct {
    const char *name;
    const char *family; /* NULL = unknown (neither recorded nor checked) */
    int dims;
    const char *model_id;
    /* NULL, or the id an earlier vlmindex computed for this same model
     * (clip_model_legacy_id): a collection that stored it is accepted and
     * its stored id is rewritten to model_id. */
    const char *legacy_id;
} collection_model_binding;

/* First call records the model; later calls verify it.  A different
 * name/dims/model_id returns VLM_EMISMATCH with a message telling the user
 * to use another --collection or to re-index with `vlmindex reset`; when
 * the families differ the message says the collection holds another
 * family's embeddings, which cannot be mixed.  A stored legacy_id, or a
 * family not recorded yet, is rewritten in place (skipped when the
 * collection was opened read-only: the next writer does it). */
int collection_bind(collection *c, const collection_model_binding *b,
                    char *err);
/* collection_bind with family and legacy_id NULL. */
int collection_bind_model(collection *c, const char *name, int dims,
                          const char *model_id, char *err);
/* VLM_ENOTFOUND if no model is bound yet. */
int collection_get_model(collection *c, collection_model *out, char *err);

/* Deletes every image row, embedding, classification, caption, DICOM row
 * and the model binding (roots are kept); bumps the generation.  For
 * `vlmindex reset` before re-indexing with another model. */
int collection_reset(collection *c, char *err);

/* ------------------------------------------------------------------ */
/* Transactions: wrap each batch; a crash loses at most the open batch. */
/* ------------------------------------------------------------------ */

int collection_begin(collection *c, char *err); /* BEGIN IMMEDIATE */
int collection_commit(collection *c, char *err);
void collection_rollback(collection *c);

/* ------------------------------------------------------------------ */
/* Images                                                              */
/* ------------------------------------------------------------------ */

enum {
    COLLECTION_STATUS_OK = 0,
    COLLECTION_STATUS_FAILED = 1
};

/* One row of `images`.  Lean on purpose: the strings point into storage
 * owned by the cursor (valid until its next step or close) or, for the
 * single-row lookups, by the collection handle (valid until the next image
 * lookup on it).  Copy what you keep.  Never NULL ("" when absent). */
typedef struct {
    int64_t id;
    const char *path;
    const char *root;
    int64_t size;
    int64_t mtime_ns;
    char content_hash[COLLECTION_HASH_MAX]; /* "" if unknown */
    char sop_uid[COLLECTION_UID_MAX];       /* key of instance rows, or "" */
    int width, height;                      /* upright, full size; 0 unknown */
    char format[16];                        /* "jpeg", "png", "dicom"... */
    char exif_datetime[32];                 /* "" if absent */
    int orientation;                        /* EXIF 1..8, 0 if absent */
    char camera_make[64], camera_model[64]; /* EXIF Make, Model; "" */
    int status;                             /* COLLECTION_STATUS_* */
    const char *error;                      /* "" unless failed */
    bool has_embedding;
    int64_t added_at, updated_at; /* unix seconds */
} collection_image;

/* What a search hit needs: path and root (same lifetime rule as
 * collection_image), the stored size and format (a server never shows a
 * DICOM row's path, which may name the patient), when it was taken and by
 * which camera. */
typedef struct {
    int64_t id;
    const char *path;
    const char *root; /* "" when unknown */
    int width, height;
    char format[16];  /* "jpeg", "dicom", ... ("" if unknown) */
    char taken[20];   /* "YYYY:MM:DD HH:MM:SS": EXIF DateTimeOriginal, else
                         the file's mtime in local time ("" if neither) */
    bool taken_exif;  /* taken comes from EXIF */
    char camera[130]; /* "Make Model" (EXIF), or "" */
} collection_brief;

/* What the indexer knows about an item (strings may be NULL).  A row's key
 * is its path, or for an instance that has no file of its own (DICOMweb,
 * later DIMSE) its SOP Instance UID: a put with sop_uid set updates the row
 * holding that UID even when its path (URL) changed. */
typedef struct {
    const char *path;
    const char *root; /* the user root the file was found under */
    int64_t size;
    int64_t mtime_ns;
    const char *content_hash;
    const char *sop_uid;
    int width, height;
    const char *format;
    const char *exif_datetime;
    int orientation;
    const char *camera_make, *camera_model; /* EXIF Make and Model */
} collection_image_info;

/* Insert or update (by key, see above) an image with its embedding (`dims`
 * floats, L2-normalised by the caller; a vector that is not unit length is
 * normalised here, so stored vectors always are).  dims must equal the
 * bound model's.
 * Sets status ok, clears the error, bumps the generation.  *id_out may be
 * NULL. */
int collection_put_image(collection *c, const collection_image_info *info,
                         const float *embedding, int dims, int64_t *id_out,
                         char *err);

/* Insert or update (by key) an item that could not be indexed; its old
 * embedding, if any, is dropped (generation bump).  info->path required. */
int collection_put_failure(collection *c, const collection_image_info *info,
                           const char *error_text, int64_t *id_out, char *err);

/* Row for `path`; VLM_ENOTFOUND if none.  Used for the size+mtime check. */
int collection_find_by_path(collection *c, const char *path,
                            collection_image *out, char *err);

/* Row with this id (images.id = vector index id); VLM_ENOTFOUND if none. */
int collection_get_image(collection *c, int64_t id, collection_image *out,
                         char *err);

/* Path and size of image `id`, to join a search hit; VLM_ENOTFOUND if the
 * row is gone (deleted since the vector index was saved). */
int collection_image_brief(collection *c, int64_t id, collection_brief *out,
                           char *err);

/* The lowest id of an embedded row with this content hash (the same bytes
 * indexed before); VLM_ENOTFOUND if none. */
int collection_find_by_hash(collection *c, const char *content_hash,
                            int64_t *id, char *err);

/* Calls cb(ud, id, path) for every embedded row with this content hash,
 * ascending id, until cb returns non-zero (that value is returned; 0 when
 * all were visited).  Move detection asks the file system which of these
 * paths vanished. */
typedef int (*collection_path_cb)(void *ud, int64_t id, const char *path);
int collection_hash_rows(collection *c, const char *content_hash,
                         collection_path_cb cb, void *ud, char *err);

/* 1 if an image with this SOP Instance UID is indexed (a DICOM file or an
 * instance), 0 if not, <0 (a VLM_E* status) on error. */
int collection_has_sop_uid(collection *c, const char *sop_uid, char *err);

/* Rename a row (file moved); the embedding and id are kept, so the vector
 * index needs no change.  Fails with VLM_EINVAL if new_path is taken. */
int collection_move_image(collection *c, int64_t id, const char *new_path,
                          const char *new_root, int64_t size, int64_t mtime_ns,
                          char *err);

/* Delete one row (VLM_ENOTFOUND if absent) / every row whose path is
 * `prefix` or lies under `prefix/`.  Dependent rows go too. */
int collection_delete_image(collection *c, int64_t id, char *err);
int collection_delete_under(collection *c, const char *prefix,
                            int64_t *n_deleted, char *err);

/* Embedding of one image into out[dims]; VLM_ENOTFOUND if none. */
int collection_get_embedding(collection *c, int64_t id, float *out, int dims,
                             char *err);

/* Number of rows whose path is `prefix` or under `prefix/`. */
int collection_count_under(collection *c, const char *prefix, int64_t *n,
                           char *err);

/* Up to `max` paths of rows under `prefix` (as above) into *paths (free
 * with collection_free_strings), to ask the file system whether files of a
 * root are still there. */
int collection_sample_under(collection *c, const char *prefix, int max,
                            char ***paths, size_t *n, char *err);
/* Embeddings of ids[0..n) into out[i*dims], all from one snapshot (one
 * read transaction unless the caller has one open); found[i] is false and
 * the row zeroed for an id without an embedding.  Re-scores search hits. */
int collection_get_embeddings(collection *c, const int64_t *ids, size_t n,
                              float *out, int dims, bool *found, char *err);

/* Ids (status ok, with embedding) whose path is `prefix` or under
 * `prefix/`, ascending; for `--in DIR`.  *ids is malloc'ed (free it). */
int collection_ids_under(collection *c, const char *prefix, int64_t **ids,
                         size_t *n, char *err);

/* Metadata filters (every field optional; all that are set must hold). */
typedef struct {
    const char *prefix; /* path is prefix or under prefix/ */
    /* The date taken (EXIF DateTimeOriginal, else mtime in local time), as
     * "YYYY:MM:DD HH:MM:SS": after <= taken < before. */
    const char *after, *before;
    const char *camera; /* substring of "Make Model", ASCII case ignored */
    const char *const *formats; /* format is one of these ("jpeg", ...) */
    int n_formats;
    int min_width, min_height; /* the stored width and height (upright) */
} collection_filter;

/* Ids (status ok, with embedding) that pass the filter, ascending.  *ids is
 * malloc'ed (NULL when none). */
int collection_ids_filtered(collection *c, const collection_filter *f,
                            int64_t **ids, size_t *n, char *err);

/* Calls cb with chunks of up to `chunk` (ids, vectors) of every stored
 * embedding, ascending id; vectors are row-major [n][dims].  cb returns
 * VLM_OK to go on, anything else stops and is returned. */
typedef int (*collection_embedding_cb)(void *ud, const int64_t *ids,
                                       const float *vecs, size_t n);
int collection_for_each_embedding(collection *c, size_t chunk,
                                  collection_embedding_cb cb, void *ud,
                                  char *err);

/* Everything in memory (for small rebuilds / brute-force checks).
 * *ids and *vecs are malloc'ed; *dims from the bound model. */
int collection_load_embeddings(collection *c, int64_t **ids, float **vecs,
                               size_t *n, int *dims, char *err);

/* ------------------------------------------------------------------ */
/* Iteration, step-style like sqlite3_step                             */
/* ------------------------------------------------------------------ */

typedef struct collection_cursor collection_cursor;

enum {
    COLLECTION_ROWS_ALL = 0,
    COLLECTION_ROWS_OK = 1,
    COLLECTION_ROWS_FAILED = 2,
};

/* Rows ordered by path; prefix NULL = all, else `prefix` and under it. */
int collection_cursor_open(collection *c, const char *prefix, int which,
                           collection_cursor **out, char *err);
/* 1 = *row filled (strings valid until the next step), 0 = done,
 * <0 = error. */
int collection_cursor_step(collection_cursor *cur, collection_image *row,
                           char *err);
void collection_cursor_close(collection_cursor *cur);

/* ------------------------------------------------------------------ */
/* Roots (folders the user added)                                      */
/* ------------------------------------------------------------------ */

int collection_add_root(collection *c, const char *path, char *err);
int collection_remove_root(collection *c, const char *path, char *err);

enum {
    COLLECTION_ROOT_UNKNOWN = 0, /* not seen online since it was recorded */
    COLLECTION_ROOT_DIR = 1,
    COLLECTION_ROOT_FILE = 2,
};

/* What a root was when last seen online (see the roots table). */
typedef struct {
    int kind;                  /* COLLECTION_ROOT_* */
    bool has_dev;              /* dev is known */
    uint64_t dev;              /* st_dev then */
    int64_t added_at, seen_at; /* unix seconds; seen_at 0 = never */
} collection_root;

/* Records `path` as a root seen online now, on device `dev`, of `kind`
 * (adds it if absent). */
int collection_note_root(collection *c, const char *path, uint64_t dev,
                         int kind, char *err);
/* VLM_ENOTFOUND if `path` is not a root. */
int collection_get_root(collection *c, const char *path, collection_root *out,
                        char *err);
/* *roots: malloc'ed array of malloc'ed strings; free with
 * collection_free_strings. */
int collection_list_roots(collection *c, char ***roots, size_t *n, char *err);
void collection_free_strings(char **strings, size_t n);

/* Files added on their own (`vlmindex add FILE`): rows whose root is the
 * file itself, not a root folder.  *paths as for collection_list_roots. */
int collection_list_lone_files(collection *c, char ***paths, size_t *n,
                               char *err);

/* ------------------------------------------------------------------ */
/* Excludes: per-root globs the walk skips                             */
/* ------------------------------------------------------------------ */

typedef struct {
    char *root; /* "" = every root */
    char *glob;
    bool off; /* a built-in default exclude turned off for this scope */
} collection_exclude;

/* Records (or replaces) the exclude (root, glob). */
int collection_put_exclude(collection *c, const char *root, const char *glob,
                           bool off, char *err);
/* VLM_ENOTFOUND if there is no such row. */
int collection_delete_exclude(collection *c, const char *root, const char *glob,
                              char *err);
/* Every row, ordered by root then glob; free with collection_free_excludes. */
int collection_list_excludes(collection *c, collection_exclude **out, size_t *n,
                             char *err);
void collection_free_excludes(collection_exclude *ex, size_t n);

/* ------------------------------------------------------------------ */
/* Status counts and meta                                              */
/* ------------------------------------------------------------------ */

typedef struct {
    int64_t images;     /* all rows */
    int64_t ok;         /* status ok */
    int64_t failed;     /* status failed */
    int64_t embeddings; /* rows with an embedding */
    int64_t roots;
    int64_t classifications;
    int64_t captions;
    int64_t dicom;
    int64_t generation;
} collection_counts;

int collection_get_counts(collection *c, collection_counts *out, char *err);

/* SQLite's PRAGMA quick_check: *ok, and in report[size] its first
 * findings ("ok" when healthy).  Reads the whole database file. */
int collection_quick_check(collection *c, bool *ok, char *report, size_t size,
                           char *err);

/* meta.generation: bumped by every change to the set of embeddings. */
int collection_generation(collection *c, int64_t *out, char *err);

/* Ids whose embedding changed (added, replaced or removed) after
 * generation `since`, ascending, distinct; *current = generation now.
 * VLM_ENOTFOUND if the change log no longer reaches back to `since`
 * (caller rebuilds).  *ids is malloc'ed. */
int collection_changes_since(collection *c, int64_t since, int64_t **ids,
                             size_t *n, int64_t *current, char *err);
/* Forget change-log entries at or below `upto` (a saved index covers them). */
int collection_prune_changes(collection *c, int64_t upto, char *err);

/* Free-form key/value (value NULL deletes).  get: VLM_ENOTFOUND if absent. */
int collection_meta_set(collection *c, const char *key, const char *value,
                        char *err);
int collection_meta_get(collection *c, const char *key, char *buf,
                        size_t bufsize, char *err);

/* ------------------------------------------------------------------ */
/* Derived results                                                     */
/* ------------------------------------------------------------------ */

/* A label set is stored once: its hash identifies labels + templates +
 * model; labels_json is the JSON array of its labels.  *id is its row id
 * (the existing one when the hash is known). */
int collection_put_labelset(collection *c, const char *hash,
                            const char *labels_json, int64_t *id, char *err);

typedef struct {
    int64_t image_id;
    int64_t labelset_id; /* from collection_put_labelset */
    const char *top_label;
    double top_prob;
    const float *probs; /* n_probs, in the label set's order */
    int n_probs;
    const char *model_id;
} collection_classification;

/* Replaces any earlier result for (image_id, labelset_id). */
int collection_put_classification(collection *c,
                                  const collection_classification *cl,
                                  char *err);

/* Replaces any earlier caption for (image_id, model, prompt); indexed in
 * the captions_fts FTS5 table (column `text`). */
int collection_put_caption(collection *c, int64_t image_id, const char *model,
                           const char *prompt, const char *text, char *err);

/* The caption of image_id for (model, prompt) into *text (malloc'ed);
 * VLM_ENOTFOUND if there is none. */
int collection_get_caption(collection *c, int64_t image_id, const char *model,
                           const char *prompt, char **text, char *err);

typedef struct {
    int64_t image_id;
    double bm25; /* SQLite's bm25(): lower (more negative) is better */
} collection_caption_match;

/* Images whose captions match any word of `words` (letters and digits;
 * everything else separates words, so user text is never FTS5 syntax),
 * best first, each image once at its best caption, at most k.  *out is
 * malloc'ed (NULL with *n = 0 when words has no word). */
int collection_match_captions(collection *c, const char *words, int k,
                              collection_caption_match **out, int *n,
                              char *err);

/* De-identified DICOM fields only (strings may be NULL). */
typedef struct {
    int64_t image_id;
    const char *study_uid, *series_uid, *sop_uid;
    const char *accession, *modality, *body_part, *study_date;
    const char *series_description;
    int instance_number;
    const char *window; /* e.g. "40/400" (center/width) used for rendering */
} collection_dicom;

/* Replaces the DICOM row of image_id (sop_uid is UNIQUE). */
int collection_put_dicom(collection *c, const collection_dicom *d, char *err);

/* Calls cb for every DICOM row (strings valid during the call; "" when
 * absent) until it returns non-zero, which is returned. */
typedef int (*collection_dicom_cb)(void *ud, const collection_dicom *d);
int collection_for_each_dicom(collection *c, collection_dicom_cb cb, void *ud,
                              char *err);

/* The DICOM row of one image: cb is called once with it (strings valid
 * during the call).  VLM_ENOTFOUND when the image has none. */
int collection_get_dicom(collection *c, int64_t image_id,
                         collection_dicom_cb cb, void *ud, char *err);
/* ------------------------------------------------------------------ */
/* Merging collections (vlmindex merge)                                */
/* ------------------------------------------------------------------ */

typedef struct {
    int64_t added;     /* rows new in this collection */
    int64_t updated;   /* rows whose source row changed */
    int64_t unchanged; /* rows equal to their source row */
    int64_t removed;   /* rows the source no longer holds */
    int64_t conflicts; /* source rows skipped: the path (or SOP Instance
                          UID) belongs to a row of another source */
    int64_t derived;   /* captions, classifications, DICOM rows... written
                          or removed because their source rows changed */
} collection_merge_counts;

/* Brings into `c` the rows of the collection in folder `src_dir` (bound to
 * the same model as c, which the caller checks and binds first; migrated
 * to the same schema version): images with their embeddings and every
 * per-image table (captions, classifications, DICOM fields...), its roots,
 * and its model/captioner folders when c has none.  Rows are keyed by
 * path and remembered with their source (`shard`: its spec, may be NULL),
 * so a second merge of the same folder moves only rows that differ and
 * removes rows the source dropped; embedding changes go to the change log
 * like any other write (the vector index catches up incrementally).  One
 * transaction: a failure leaves c as it was. */
int collection_merge_from(collection *c, const char *src_dir,
                          const char *shard, collection_merge_counts *out,
                          char *err);

#endif
