/*
 * vector_index.h — the derived FAISS index of a collection (DIR/vectors.faiss).
 *
 * SQLite (collection.h) is the source of truth, embeddings included; this
 * index is a cache that can always be rebuilt from it.  The file is the
 * FAISS serialisation followed by a trailer naming the SQLite generation it
 * reflects and a checksum (vector_index_file.h).  It is written atomically
 * (temp file + fsync + rename), so readers see either the old or the new
 * file, each self-consistent.
 *
 * Kinds (inner product on normalised vectors = cosine similarity):
 *   - exact, below VECTOR_INDEX_APPROX_THRESHOLD vectors: "IVF1,Flat", one
 *     inverted list scanned whole (memory-mapped on load, so a one-shot
 *     `vlmsearch` does not read the file first);
 *   - from that size on, an inverted file "IVF<nlist>,<code>", nlist ~
 *     sqrt(n), whose default probes scan max(3n/64, 16384) vectors:
 *       ivf-flat  float32 vectors (4 d bytes each);
 *       ivf-sq8   8-bit scalar-quantised vectors (d bytes each);
 *       ivf-pq    product-quantised vectors (d/8 bytes each, d/8 codes of
 *                 8 bits), for collections of many millions;
 *     The compressed kinds over-fetch candidates and re-score them with the
 *     exact embeddings from SQLite ("refine"), so their scores are exact
 *     and their recall is that of the probes, not of the code.
 *   Which kind: the collection's choice (meta key "vector_index", set by
 *   vector_index_set_choice, `vlmindex repair --index`), by default "auto":
 *   exact, then ivf-sq8, then ivf-pq from VECTOR_INDEX_PQ_THRESHOLD.  IVF
 *   accepts add and remove by id without retraining; it is retrained (full
 *   rebuild) when the collection has grown 4x past its training size, and
 *   kinds switch with the size (with hysteresis).  After an approximate
 *   build, a calibration measures recall@10 against exact search on sample
 *   queries and stores it in the collection meta (vector_index_info).
 *
 * Trust: the file is checked before FAISS reads it — the trailer's own
 * checksum, then the FAISS structure against its header (list sizes and
 * offsets inside the file, sizes summing to the vector count, dimension and
 * kind equal to the collection's), and for files up to verify_bytes the
 * checksum of the whole file.  Every search result is checked against
 * SQLite (ids must exist, scores must match the stored embedding within
 * what the code allows, scores must be finite).  A failed check means a
 * rebuild from SQLite, then the answer; never a crash or wrong paths.
 * vector_index_verify() checks the whole file (`status --verify`).
 *
 * Opening syncs the index with SQLite: if the file is missing, damaged, of
 * the wrong dims/kind, or the change log no longer reaches back to its
 * generation, it is rebuilt from SQLite; if it is merely behind, the
 * changed ids are replayed (removed, then re-added from their current
 * embeddings; mapped lists are first read into memory).  An indexer calls
 * vector_index_sync() after each committed batch (cheap, incremental) and
 * vector_index_save() now and then and at the end.
 *
 * The FAISS calls go through FAISS's C API only (<faiss/c_api/...>);
 * schema/faiss_c_impl.cpp implements that API on Debian, which ships the
 * headers but not libfaiss_c, and scans lists with vectorised kernels
 * (faiss_c_scan.h).
 */
#ifndef VLM_SCHEMA_VECTOR_INDEX_H
#define VLM_SCHEMA_VECTOR_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/core/vlm_error.h"
#include "schema/collection.h"

#define VECTOR_INDEX_FILE_NAME "vectors.faiss"

/* Below this many vectors the index is exact: a one-shot exact search
 * costs < ~40 ms up to here on the 2-core test machine, while IVF scans
 * 3n/64 (bench/schema/README.md has the measurements). */
#define VECTOR_INDEX_APPROX_THRESHOLD 50000

/* From this many vectors "auto" picks ivf-pq over ivf-sq8: an SQ8 file
 * would pass 1 GB at 512 dims, and a query would stream ~48 MB of codes. */
#define VECTOR_INDEX_PQ_THRESHOLD 2000000

/* Files up to this size are checksummed whole on every load (a few ms);
 * larger ones by vector_index_verify(). */
#define VECTOR_INDEX_VERIFY_BYTES (16 << 20)

typedef struct vector_index vector_index;

enum vector_index_kind {
    VECTOR_INDEX_EXACT = 0,
    VECTOR_INDEX_IVF = 1, /* ivf-flat */
    VECTOR_INDEX_IVF_SQ8 = 2,
    VECTOR_INDEX_IVF_PQ = 3,
};

/* What a collection asks for; the size decides within it (see above). */
enum vector_index_choice {
    VECTOR_INDEX_CHOICE_DEFAULT = 0, /* the collection's, else auto */
    VECTOR_INDEX_CHOICE_AUTO,
    VECTOR_INDEX_CHOICE_FLAT,
    VECTOR_INDEX_CHOICE_SQ8,
    VECTOR_INDEX_CHOICE_PQ,
};

typedef struct {
    int64_t approx_threshold; /* 0 = VECTOR_INDEX_APPROX_THRESHOLD;
                                 <0 = always exact */
    int64_t pq_threshold;     /* 0 = VECTOR_INDEX_PQ_THRESHOLD (auto only) */
    int choice;               /* enum vector_index_choice (this open only) */
    int nprobe;               /* IVF lists probed per query; 0 = default */
    int nlist;                /* IVF lists at (re)build; 0 = automatic */
    int refine;               /* candidates per wanted hit; 0 = per kind */
    int64_t verify_bytes;     /* whole-file checksum on load up to this
                                 size; 0 = VECTOR_INDEX_VERIFY_BYTES, <0 =
                                 never */
    bool no_calibration;      /* skip the recall calibration after builds */
    bool save_after_rebuild;  /* write the file when open() or a search had
                                 to rebuild */
} vector_index_options;

/* What open()/sync() found and did (for `vlmindex status` / logs). */
typedef struct {
    int kind;                 /* enum vector_index_kind */
    int choice;               /* enum vector_index_choice in effect */
    int64_t ntotal;           /* vectors in the index */
    int64_t generation;       /* SQLite generation it now reflects */
    int nlist, nprobe;        /* approximate kinds only, else 0 */
    int refine;               /* candidates fetched per wanted hit */
    int64_t file_bytes;       /* size of the file on disk, 0 if none */
    bool loaded_from_file;    /* the file was usable */
    bool rebuilt;             /* a full rebuild happened */
    int64_t replayed;         /* ids replayed from the change log */
    char rebuild_reason[160]; /* "missing", "corrupt: ...", "stale"... */
    /* Last calibration of this collection (meta), for approximate kinds:
     * recall@10 against exact search, -1 if never measured. */
    double expected_recall;
    int calib_queries;
    int64_t calib_ntotal; /* vectors at calibration */
    char calib_kind[16];  /* kind name at calibration */
    const char *scan_isa; /* kernels in use ("avx512", "avx2"...) */
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

/* Full rebuild from SQLite (`vlmindex repair`); also picks the kind for
 * the current size and choice. */
int vector_index_rebuild(vector_index *vi, char *err);

/* Records `choice` (enum vector_index_choice, not DEFAULT) in the
 * collection and rebuilds the index for it; save afterwards. */
int vector_index_set_choice(vector_index *vi, int choice, char *err);

/* Atomic write of DIR/vectors.faiss; then prunes the change log up to the
 * saved generation.  A no-op if the file already holds this generation. */
int vector_index_save(vector_index *vi, char *err);

/* Top-k by inner product.  query: dims floats (normalised by the caller).
 * subset: if non-NULL, only these image ids are considered — applied inside
 * the FAISS search through an IDSelector (n_subset == 0 gives no hits).
 * hits: room for k; *n_hits = number filled (< k if fewer candidates),
 * best first, scores from the stored embeddings.  A result that fails its
 * check against SQLite rebuilds the index (info.rebuilt) and searches
 * again. */
int vector_index_search(vector_index *vi, const float *query, int k,
                        const int64_t *subset, size_t n_subset,
                        vector_hit *hits, int *n_hits, char *err);

/* Result of vector_index_verify(). */
typedef struct {
    bool present;      /* the file exists */
    bool ok;           /* trailer, structure and checksum all hold */
    int64_t bytes;     /* file size */
    uint64_t checksum; /* xxh3-64 of the FAISS part, as stored */
    int64_t generation;
    char problem[VLM_ERR_MAX]; /* the first problem found, "" if ok */
} vector_index_check;

/* Reads the whole file: trailer, FAISS structure, checksum.  A damaged or
 * missing file is reported in *out (VLM_OK); errors are I/O failures. */
int vector_index_verify(vector_index *vi, vector_index_check *out, char *err);

/* Verifies the file and, when it is damaged or missing, rebuilds the index
 * from SQLite and saves it (`status --verify`, `repair --check`); without
 * save_after_rebuild (a read-only collection) the rebuilt index is used in
 * memory and not saved.  *out is what was found before any repair;
 * *repaired says whether it rebuilt and saved. */
int vector_index_verify_repair(vector_index *vi, vector_index_check *out,
                               bool *repaired, char *err);

void vector_index_get_info(const vector_index *vi, vector_index_info *out);

/* Full path of the index file ("DIR/vectors.faiss"). */
const char *vector_index_path(const vector_index *vi);

/* "exact", "ivf-flat", "ivf-sq8", "ivf-pq". */
const char *vector_index_kind_name(int kind);
/* "default", "auto", "flat", "sq8", "ivfpq". */
const char *vector_index_choice_name(int choice);
/* Parses a choice name ("auto", "flat", "sq8", "ivfpq"; also "pq",
 * "ivf-sq8", "ivf-pq"); VLM_EINVAL naming the valid ones otherwise. */
int vector_index_parse_choice(const char *name, int *choice, char *err);

#endif
