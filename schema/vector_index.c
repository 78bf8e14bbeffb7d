/*
 * vector_index.c — the derived FAISS index: open (load or rebuild), catch
 * up from the change log, kind switching, save, verify, info.  Building,
 * searching, kinds and the file live in the other vector_index_*.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <faiss/c_api/IndexIVF_c.h>
#include <faiss/c_api/Index_c.h>
#include <faiss/c_api/impl/AuxIndexStructures_c.h>

#include "schema/vector_index_file.h"
#include "schema/vector_index_internal.h"

/* Retrain once the collection outgrows its centroids this many times. */
#define IVF_RETRAIN_GROWTH 4

/* ------------------------------------------------------------------ */
/* Incremental catch-up                                                */
/* ------------------------------------------------------------------ */

static int remove_ids(vector_index *vi, const int64_t *ids, size_t n, char *err)
{
    FaissIDSelectorBatch *sel = NULL;
    if (faiss_IDSelectorBatch_new(&sel, n, ids))
        return vindex_faiss_fail("IDSelectorBatch", err);
    size_t removed = 0;
    int frc =
        faiss_Index_remove_ids(vi->index, (FaissIDSelector *)sel, &removed);
    faiss_IDSelector_free((FaissIDSelector *)sel);
    return frc ? vindex_faiss_fail("remove_ids", err) : VLM_OK;
}

/* Re-adds the current embedding of each changed id (deleted ids and
 * failures have none and simply stay removed). */
static int readd_ids(vector_index *vi, const int64_t *ids, size_t n, char *err)
{
    float *vecs = malloc(n * (size_t)vi->dims * sizeof *vecs);
    int64_t *keep = malloc(n * sizeof *keep);
    bool *found = malloc(n * sizeof *found);
    int rc = vecs && keep && found
                 ? collection_get_embeddings(vi->c, ids, n, vecs, vi->dims,
                                             found, err)
                 : VLM_ENOMEM;
    if (rc == VLM_ENOMEM)
        vlm_set_err(err, "out of memory replaying %zu changes", n);
    size_t m = 0;
    for (size_t i = 0; rc == VLM_OK && i < n; i++)
        if (found[i]) {
            memmove(vecs + m * vi->dims, vecs + i * vi->dims,
                    (size_t)vi->dims * sizeof *vecs);
            keep[m++] = ids[i];
        }
    if (rc == VLM_OK && m > 0 &&
        faiss_Index_add_with_ids(vi->index, (idx_t)m, vecs, keep))
        rc = vindex_faiss_fail("add_with_ids", err);
    free(vecs), free(keep), free(found);
    return rc;
}

static vindex_load_opts load_opts(const vector_index *vi, int64_t mmap_gen)
{
    return (vindex_load_opts){.dims = vi->dims,
                              .mmap_generation = mmap_gen,
                              .verify_bytes = vi->opt.verify_bytes};
}

/* Mapped lists are read-only: load the file into memory before changing. */
static int unmap(vector_index *vi, char *err)
{
    vindex_trailer t;
    FaissIndex *loaded = NULL;
    vindex_mapping *map = NULL;
    vindex_load_opts o = load_opts(vi, -1);
    int rc = vindex_file_load(vi->path, &o, &t, &loaded, &map, err);
    if (rc != VLM_OK) return rc;
    vindex_mapping_free(map); /* not mapped: generation -1 */
    faiss_Index_free(vi->index);
    vindex_drop_map(vi);
    vi->index = loaded;
    vi->kind = t.kind;
    vi->info.generation = t.generation; /* may differ: another process */
    vi->trained_on = t.trained_on;      /* may have saved meanwhile */
    return VLM_OK;
}

/* VLM_ENOTFOUND: the change log cannot bring this index up to date. */
static int replay(vector_index *vi, char *err)
{
    int64_t *ids = NULL, current = 0;
    size_t n = 0;
    /* Reload first, then ask for the changes since what was reloaded. */
    int rc = vi->map ? unmap(vi, err) : VLM_OK;
    if (rc == VLM_EFORMAT) /* file replaced by something unusable */
        rc = VLM_ENOTFOUND;
    if (rc == VLM_OK)
        rc = collection_changes_since(vi->c, vi->info.generation, &ids, &n,
                                      &current, err);
    if (rc == VLM_OK && n > 0) rc = remove_ids(vi, ids, n, err);
    if (rc == VLM_OK && n > 0) rc = readd_ids(vi, ids, n, err);
    free(ids);
    if (rc == VLM_OK) {
        vi->info.generation = current;
        vi->info.replayed += (int64_t)n;
    }
    return rc;
}

/* Another kind fits the size now (with hysteresis), or the IVF has grown
 * far past its training size. */
static bool needs_new_kind(const vector_index *vi)
{
    int64_t n = faiss_Index_ntotal(vi->index);
    int want = vindex_kind_for(vi, n);
    if (want == vi->kind)
        return vi->kind != VECTOR_INDEX_EXACT &&
               n > vi->trained_on * IVF_RETRAIN_GROWTH;
    if (vi->kind == VECTOR_INDEX_EXACT || want == VECTOR_INDEX_EXACT)
        return want != VECTOR_INDEX_EXACT || vi->opt.approx_threshold <= 0 ||
               n < vi->opt.approx_threshold / 2;
    if (vi->kind == VECTOR_INDEX_IVF_PQ && want == VECTOR_INDEX_IVF_SQ8 &&
        vi->choice == VECTOR_INDEX_CHOICE_AUTO)
        return n < vi->opt.pq_threshold / 2;
    return true; /* the choice changed, or auto grew into PQ */
}

int vector_index_sync(vector_index *vi, char *err)
{
    int64_t gen = 0;
    int rc = collection_generation(vi->c, &gen, err);
    if (rc != VLM_OK) return rc;
    rc = !vi->index                   ? VLM_ENOTFOUND
         : gen != vi->info.generation ? replay(vi, err)
                                      : VLM_OK;
    if (rc == VLM_ENOTFOUND) {
        if (vi->index || !vi->info.rebuild_reason[0])
            snprintf(vi->info.rebuild_reason, sizeof vi->info.rebuild_reason,
                     "%s", vi->index ? "stale (change log pruned)" : "missing");
        return vector_index_rebuild(vi, err);
    }
    if (rc == VLM_OK && needs_new_kind(vi)) {
        snprintf(vi->info.rebuild_reason, sizeof vi->info.rebuild_reason,
                 "size %lld needs another index kind",
                 (long long)faiss_Index_ntotal(vi->index));
        return vector_index_rebuild(vi, err);
    }
    vindex_refresh_info(vi);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Open / save / close                                                 */
/* ------------------------------------------------------------------ */

/* Loads the file if it is usable; otherwise says why in rebuild_reason. */
static int try_load(vector_index *vi, char *err)
{
    int64_t gen = 0;
    int rc = collection_generation(vi->c, &gen, err);
    if (rc != VLM_OK) return rc;
    vindex_trailer t;
    char why[VLM_ERR_MAX] = "";
    vindex_load_opts o = load_opts(vi, gen);
    rc = vindex_file_load(vi->path, &o, &t, &vi->index, &vi->map, why);
    if (rc == VLM_OK && t.generation > gen) {
        snprintf(why, sizeof why, "newer than the database");
        faiss_Index_free(vi->index);
        vi->index = NULL;
        vindex_drop_map(vi);
        rc = VLM_EFORMAT;
    }
    if (rc == VLM_OK) {
        vi->info.loaded_from_file = true;
        vi->info.generation = t.generation;
        vi->file_generation = t.generation;
        vi->trained_on = t.trained_on;
        vi->kind = t.kind;
        return VLM_OK;
    }
    snprintf(vi->info.rebuild_reason, sizeof vi->info.rebuild_reason, "%s%s",
             rc == VLM_ENOTFOUND ? "missing" : "corrupt: ",
             rc == VLM_ENOTFOUND ? "" : why);
    return rc == VLM_ENOTFOUND || rc == VLM_EFORMAT ? VLM_OK : rc;
}

static void resolve_options(vector_index *vi, const vector_index_options *o)
{
    vi->opt = *o;
    if (!vi->opt.approx_threshold)
        vi->opt.approx_threshold = VECTOR_INDEX_APPROX_THRESHOLD;
    if (!vi->opt.pq_threshold) vi->opt.pq_threshold = VECTOR_INDEX_PQ_THRESHOLD;
    if (!vi->opt.verify_bytes) vi->opt.verify_bytes = VECTOR_INDEX_VERIFY_BYTES;
}

static int new_handle(collection *c, const vector_index_options *o, int dims,
                      vector_index **out, char *err)
{
    vector_index *vi = calloc(1, sizeof *vi);
    size_t len = strlen(collection_dir(c)) + sizeof VECTOR_INDEX_FILE_NAME + 1;
    if (!vi || !(vi->path = malloc(len))) {
        free(vi);
        vlm_set_err(err, "out of memory opening the vector index");
        return VLM_ENOMEM;
    }
    snprintf(vi->path, len, "%s/%s", collection_dir(c), VECTOR_INDEX_FILE_NAME);
    vi->c = c;
    vi->dims = dims;
    vi->file_generation = -1;
    resolve_options(vi, o);
    *out = vi;
    return VLM_OK;
}

int vector_index_open(collection *c, const vector_index_options *opts,
                      vector_index **out, char *err)
{
    static const vector_index_options defaults = {0};
    const vector_index_options *o = opts ? opts : &defaults;
    *out = NULL;
    collection_model m;
    vector_index *vi = NULL;
    int rc = collection_get_model(c, &m, err);
    if (rc == VLM_OK) rc = new_handle(c, o, m.dims, &vi, err);
    if (rc != VLM_OK) return rc;
    vi->choice = o->choice;
    if (vi->choice == VECTOR_INDEX_CHOICE_DEFAULT)
        rc = vindex_load_choice(c, &vi->choice, err);
    vindex_calib_load(vi);
    if (rc == VLM_OK) rc = try_load(vi, err);
    if (rc == VLM_OK) rc = vector_index_sync(vi, err);
    if (rc == VLM_OK && vi->info.rebuilt && o->save_after_rebuild)
        rc = vector_index_save(vi, err);
    if (rc != VLM_OK) {
        vector_index_close(vi);
        return rc;
    }
    vindex_refresh_info(vi);
    *out = vi;
    return VLM_OK;
}

int vector_index_save(vector_index *vi, char *err)
{
    if (vi->file_generation == vi->info.generation && !vi->unsaved_rebuild)
        return VLM_OK;
    vindex_trailer t = {
        .generation = vi->info.generation,
        .ntotal = faiss_Index_ntotal(vi->index),
        .dims = vi->dims,
        .kind = vi->kind,
        .trained_on = vi->trained_on,
    };
    mode_t mode = vi->c->private_perms ? 0600 : 0644;
    int rc = vindex_file_save(vi->path, vi->index, &t, mode, err);
    if (rc != VLM_OK) return rc;
    vi->file_generation = t.generation;
    vi->unsaved_rebuild = false;
    /* The file now covers everything up to its generation.  Pruning is
     * only housekeeping: if a writer holds the lock, skip it this time. */
    char ignored[VLM_ERR_MAX];
    sqlite3_busy_timeout(vi->c->db, 0);
    collection_prune_changes(vi->c, t.generation, ignored);
    sqlite3_busy_timeout(vi->c->db, vi->c->busy_ms);
    return VLM_OK;
}

int vector_index_verify(vector_index *vi, vector_index_check *out, char *err)
{
    memset(out, 0, sizeof *out);
    vindex_trailer t;
    int rc =
        vindex_file_check(vi->path, vi->dims, &t, &out->bytes, out->problem);
    out->present = rc != VLM_ENOTFOUND;
    out->ok = rc == VLM_OK;
    if (rc == VLM_OK) {
        out->problem[0] = '\0';
        out->checksum = t.checksum;
        out->generation = t.generation;
    }
    if (rc == VLM_EIO) { /* cannot tell: an error, not a verdict */
        vlm_set_err(err, "%s", out->problem);
        return rc;
    }
    return VLM_OK;
}

int vector_index_verify_repair(vector_index *vi, vector_index_check *out,
                               bool *repaired, char *err)
{
    *repaired = false;
    int rc = vector_index_verify(vi, out, err);
    if (rc != VLM_OK || out->ok) return rc;
    snprintf(vi->info.rebuild_reason, sizeof vi->info.rebuild_reason,
             "%s: %.150s", out->present ? "corrupt" : "missing", out->problem);
    rc = vector_index_rebuild(vi, err);
    /* A reader that may not write the collection answers from the rebuilt
     * index in memory and leaves the file alone. */
    if (rc == VLM_OK && !vi->opt.save_after_rebuild) return VLM_OK;
    if (rc == VLM_OK) rc = vector_index_save(vi, err);
    *repaired = rc == VLM_OK;
    return rc;
}

void vector_index_close(vector_index *vi)
{
    if (!vi) return;
    if (vi->index) faiss_Index_free(vi->index);
    vindex_drop_map(vi);
    free(vi->path);
    free(vi);
}

void vector_index_get_info(const vector_index *vi, vector_index_info *out)
{
    *out = vi->info;
    struct stat sb;
    out->file_bytes = stat(vi->path, &sb) == 0 ? (int64_t)sb.st_size : 0;
}

const char *vector_index_path(const vector_index *vi) { return vi->path; }
