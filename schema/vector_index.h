/*
 * vector_index.h — the derived FAISS index of a collection (DIR/vectors.faiss).
 *
 * SQLite (collection.h) is the source of truth; this index is a cache that
 * can always be rebuilt from it.  The file is the FAISS serialisation
 * followed by a small trailer (magic, generation, count, dims, kind) that
 * says which SQLite generation it reflects.  It is written atomically
 * (temp file + fsync + rename), so readers see either the old or the new
 * file, each self-consistent.
 *
 * Kinds (inner product on normalised vectors = cosine similarity):
 *   - exact, while the collection has fewer than
 *     VECTOR_INDEX_APPROX_THRESHOLD vectors: FAISS "IVF1,Flat", an inverted
 *     file with a single list, so every query scans every vector.  Same
 *     results as "IDMap2,Flat", but with FAISS 1.7.3 (Debian) its list is
 *     memory-mapped on load and scanned ~2.5x faster (bench/schema/README.md:
 *     a one-shot search at 10k went from 60-110 ms to 6-10 ms);
 *   - approximate from that size on: "IVF<nlist>,Flat", nlist ~ sqrt(n).
 *     IVF accepts add_with_ids and remove_ids without a rebuild (FAISS's
 *     HNSW cannot remove); default probes scan max(n/16, 16384) vectors
 *     (recall@10 0.98-0.99 measured at 100k and 1M).  It is retrained (full
 *     rebuild) when the collection has grown 4x past its training size,
 *     and turns back to exact below half the threshold.
 *   Both keep the ids (images.id) in the inverted lists and are loaded with
 *   the lists memory-mapped when the file is current, so a one-shot
 *   `vlmsearch` does not read the whole file.
 *
 * Opening syncs the index with SQLite: if the file is missing, corrupt
 * (bad trailer or FAISS refuses it), of the wrong dims/kind, or the change
 * log no longer reaches back to its generation, it is rebuilt from SQLite;
 * if it is merely behind, the changed ids are replayed (removed, then
 * re-added from their current embeddings; mapped lists are first read
 * into memory, so a search that runs while `add` has unsaved batches
 * reads the whole file).  An indexer calls
 * vector_index_sync() after each committed batch (cheap, incremental) and
 * vector_index_save() now and then and at the end.
 *
 * The FAISS calls go through FAISS's C API only (<faiss/c_api/...>);
 * schema/faiss_c_impl.cpp implements that API on Debian, which ships the
 * headers but not libfaiss_c.
 */
#ifndef VLM_SCHEMA_VECTOR_INDEX_H
#define VLM_SCHEMA_VECTOR_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/core/vlm_error.h"
#include "schema/collection.h"

#define VECTOR_INDEX_FILE_NAME "vectors.faiss"

/* Below this many vectors the index is exact: one-shot exact search costs
 * < ~40 ms up to here on the 2-core test machine, while IVF scans n/16 for
 * recall >= 0.99 (bench/schema/README.md has the measurements). */
#define VECTOR_INDEX_APPROX_THRESHOLD 50000

typedef struct vector_index vector_index;

enum vector_index_kind {
    VECTOR_INDEX_EXACT = 0,
    VECTOR_INDEX_IVF = 1
};

typedef struct {
    int64_t approx_threshold; /* 0 = VECTOR_INDEX_APPROX_THRESHOLD;
                                 <0 = always exact */
    int nprobe;               /* IVF lists probed per query; 0 = default */
    int nlist;                /* IVF lists at (re)build; 0 = automatic */
    bool save_after_rebuild;  /* write the file when open() had to rebuild */
} vector_index_options;

/* What open()/sync() found and did (for `vlmindex status` / logs). */
typedef struct {
    int kind;                 /* enum vector_index_kind */
    int64_t ntotal;           /* vectors in the index */
    int64_t generation;       /* SQLite generation it now reflects */
    int nlist, nprobe;        /* approximate kind only, else 0 */
    bool loaded_from_file;    /* the file was usable */
    bool rebuilt;             /* a full rebuild happened */
    int64_t replayed;         /* ids replayed from the change log */
    char rebuild_reason[128]; /* "missing", "corrupt: ...", "stale"... */
} vector_index_info;

/* One search result: the image id (images.id) and its cosine score. */
typedef struct {
    int64_t id;
    float score;
} vector_hit;

/* Loads DIR/vectors.faiss and syncs it with SQLite (see above).  The
 * collection must have a bound model.  opts may be NULL.  The index keeps
 * a pointer to `c`: close the index before the collection. */
int vector_index_open(collection *c, const vector_index_options *opts,
                      vector_index **out, char *err);
void vector_index_close(vector_index *vi);

/* Catch up with SQLite's current generation (incremental when possible). */
int vector_index_sync(vector_index *vi, char *err);

/* Full rebuild from SQLite (`vlmindex repair`); also switches between
 * exact and IVF according to the current size. */
int vector_index_rebuild(vector_index *vi, char *err);

/* Atomic write of DIR/vectors.faiss; then prunes the change log up to the
 * saved generation.  A no-op if the file already holds this generation. */
int vector_index_save(vector_index *vi, char *err);

/* Top-k by inner product.  query: dims floats (normalised by the caller).
 * subset: if non-NULL, only these image ids are considered — applied inside
 * the FAISS search through an IDSelector (n_subset == 0 gives no hits).
 * hits: room for k; *n_hits = number filled (< k if fewer candidates),
 * best first. */
int vector_index_search(vector_index *vi, const float *query, int k,
                        const int64_t *subset, size_t n_subset,
                        vector_hit *hits, int *n_hits, char *err);

void vector_index_get_info(const vector_index *vi, vector_index_info *out);

/* Full path of the index file ("DIR/vectors.faiss"). */
const char *vector_index_path(const vector_index *vi);

#endif
