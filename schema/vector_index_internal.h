/*
 * vector_index_internal.h — shared by the vector_index*.c sources only:
 * the index struct and the calls between its parts
 *
 *   vector_index.c          open / sync / save / verify / info
 *   vector_index_kind.c     kinds, choices, sizes (nlist, probes, refine)
 *   vector_index_build.c    full rebuild from SQLite
 *   vector_index_search.c   search, refine and result checks
 *   vector_index_calib.c    recall calibration after a build
 *   vector_index_file.c     the file: trailer, checksum, atomic save
 *   vector_index_layout.c   FAISS structure checks before loading
 */
#ifndef VLM_SCHEMA_VECTOR_INDEX_INTERNAL_H
#define VLM_SCHEMA_VECTOR_INDEX_INTERNAL_H

#include <faiss/c_api/Index_c.h>

#include "schema/collection_internal.h"
#include "schema/vector_index.h"
#include "schema/vector_index_file.h"

struct vector_index {
    collection *c;
    FaissIndex *index; /* NULL until built or loaded */
    int dims;
    int kind;                 /* enum vector_index_kind of `index` */
    vector_index_options opt; /* thresholds resolved */
    int choice;               /* in effect: never DEFAULT */
    vindex_mapping *map;      /* lists mapped read-only from the file */
    int64_t file_generation;  /* generation of the file on disk, -1 = none */
    int64_t trained_on;
    bool unsaved_rebuild; /* rebuilt (maybe same generation) since saved */
    char *path;
    vector_index_info info;
};

/* FAISS's k-means wants >= 39 points per centroid (else it warns on
 * stderr); a PQ trains 256 centroids per sub-vector. */
#define VINDEX_MIN_POINTS_PER_CENTROID 39
#define VINDEX_PQ_MIN_TRAIN            (VINDEX_MIN_POINTS_PER_CENTROID * 256)

/* Messages for FAISS failures (err gets "FAISS <what> failed: ..."). */
int vindex_faiss_fail(const char *what, char *err);

/* --- vector_index_kind.c ----------------------------------------- */

/* The kind for n vectors under the index's choice and thresholds. */
int vindex_kind_for(const vector_index *vi, int64_t n);
/* Lists for n vectors (power of two ~ sqrt(n), >= 39 points per list). */
int vindex_choose_nlist(const vector_index *vi, int64_t n);
/* Default probes for nlist lists holding ntotal vectors. */
int vindex_default_nprobe(int nlist, int64_t ntotal);
/* Product-quantizer sub-vectors for dims (8 dims each when possible). */
int vindex_pq_m(int dims);
/* Candidates fetched per wanted hit for kind (before re-scoring). */
int vindex_refine_factor(const vector_index *vi, int kind);
/* Largest |index score - exact score| a healthy index of kind shows. */
float vindex_score_tolerance(int kind);
/* FAISS index_factory description of kind ("IVF1024,SQ8"). */
void vindex_factory_string(int kind, int nlist, int dims, char *buf, size_t n);
/* Collection's stored choice (meta "vector_index"); AUTO if unset. */
int vindex_load_choice(collection *c, int *choice, char *err);
/* Refreshes vi->info (kind, sizes, probes, calibration) from the index. */
void vindex_refresh_info(vector_index *vi);
/* Lists a search probes: the index's, widened for a subset. */
int vindex_search_nprobe(const vector_index *vi, const int64_t *subset,
                         size_t n_subset);

/* --- vector_index_build.c ---------------------------------------- */

/* Calibration hooks into the build's pass over SQLite (may be NULL). */
typedef struct vindex_calib vindex_calib;

/* New index of the kind for the current size, from one SQLite snapshot. */
int vindex_build(vector_index *vi, FaissIndex **out, int64_t *generation,
                 int64_t *trained_on, vindex_calib **cal, char *err);

/* --- vector_index_calib.c ---------------------------------------- */

/* Queries from the training sample; NULL if calibration does not apply
 * (exact kind, option off, too few vectors). */
vindex_calib *vindex_calib_new(const vector_index *vi, int kind,
                               const float *sample, int64_t n_sample);
void vindex_calib_free(vindex_calib *cal);
/* Exact top-10 bookkeeping over one chunk of (ids, vectors). */
void vindex_calib_chunk(vindex_calib *cal, const int64_t *ids,
                        const float *vecs, size_t n);
/* Searches the queries in the new index and records recall in meta. */
void vindex_calib_finish(vindex_calib *cal, vector_index *vi);
/* Reads the last calibration from meta into vi->info. */
void vindex_calib_load(vector_index *vi);

/* --- vector_index_search.c --------------------------------------- */

/* Forgets the mapped file (index rebuilt, reloaded or closed). */
void vindex_drop_map(vector_index *vi);

/* Candidates from FAISS, re-scored from SQLite, best first; *suspect is
 * set with a reason when a result fails its check (no recovery here). */
int vindex_search_checked(vector_index *vi, const float *query, int k,
                          const int64_t *subset, size_t n_subset,
                          vector_hit *hits, int *n_hits, char *suspect,
                          size_t suspect_size, char *err);

#endif
