#include "indexer/indexer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "indexer/dicom_files.h"
#include "indexer/hash_set.h"
#include "indexer/walk.h"
#include "media/media_path.h"

#define FLUSH_OTHERS          256 /* flush after this many non-image results too */
#define INDEX_SAVE_INTERVAL_S 30.0

typedef struct candidate {
    char *path;
    char *root;
    int64_t size, mtime_ns;
    int64_t existing_id; /* row for this path, 0 if new */
} candidate;

typedef struct run {
    collection *c;
    vector_index *vi;
    clip_model *m;
    const indexer_options *o;
    indexer_summary *s;
    const char *root; /* root being walked */
    candidate *cands;
    size_t n_cands, cap_cands;
    hash_set *seen_paths;   /* every path the walk found */
    hash_set *known_hashes; /* content already embedded */
    decode_pool *pool;
    decode_result **batch; /* results waiting to be written */
    int n_batch, n_batch_ok;
    int dims, side;
    float *pixels, *embeds; /* batch_size x 3 x S x S, batch_size x dims */
    int batch_size;
    int64_t done;    /* results taken from the pool */
    int64_t written; /* results committed */
    struct timespec t0, last_save;
    char *err;
} run;

static double since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) +
           1e-9 * (double)(t.tv_nsec - t0->tv_nsec);
}

static int cancelled(const run *r) { return r->o->cancel && *r->o->cancel; }

/* ---- walking: decide what needs work ------------------------------------ */

static int push_candidate(run *r, const walk_file *f, int64_t existing_id)
{
    if (r->n_cands == r->cap_cands) {
        size_t cap = r->cap_cands ? 2 * r->cap_cands : 256;
        candidate *nc = realloc(r->cands, cap * sizeof *nc);
        if (!nc) return VLM_ENOMEM;
        r->cands = nc;
        r->cap_cands = cap;
    }
    candidate *cd = &r->cands[r->n_cands];
    cd->path = strdup(f->path);
    cd->root = strdup(r->root);
    if (!cd->path || !cd->root) {
        free(cd->path);
        free(cd->root);
        return VLM_ENOMEM;
    }
    cd->size = f->size;
    cd->mtime_ns = f->mtime_ns;
    cd->existing_id = existing_id;
    r->n_cands++;
    return VLM_OK;
}

static int on_walk_file(const walk_file *f, void *user)
{
    run *r = user;
    if (cancelled(r)) return VLM_EINTERRUPTED;
    r->s->seen++;
    if (hash_set_add(r->seen_paths, f->path)) return VLM_ENOMEM;
    collection_image row;
    int rc = collection_find_by_path(r->c, f->path, &row, NULL);
    if (rc == VLM_OK && row.size == f->size && row.mtime_ns == f->mtime_ns &&
        (row.has_embedding || row.status == COLLECTION_STATUS_FAILED)) {
        r->s->unchanged++;
        return VLM_OK;
    }
    return push_candidate(r, f, rc == VLM_OK ? row.id : 0);
}

static void on_walk_error(const char *path, const char *reason, void *user)
{
    run *r = user;
    if (r->o->on_failure) r->o->on_failure(r->o->user, path, reason);
}

/* Content hashes of every embedded row, so workers can skip known bytes. */
static int load_known_hashes(run *r)
{
    collection_cursor *cur;
    int rc =
        collection_cursor_open(r->c, NULL, COLLECTION_ROWS_OK, &cur, r->err);
    if (rc) return rc;
    collection_image *row = malloc(sizeof *row);
    while (row && (rc = collection_cursor_step(cur, row, r->err)) == 1)
        if (row->has_embedding && row->content_hash[0] &&
            hash_set_add(r->known_hashes, row->content_hash))
            break;
    collection_cursor_close(cur);
    free(row);
    return rc < 0 ? rc : VLM_OK;
}

static int skip_known(const char *hash, void *user)
{
    return hash_set_contains(((run *)user)->known_hashes, hash);
}

/* ---- writing one batch -------------------------------------------------- */

static collection_image_info info_of(const run *r, const decode_result *d)
{
    const candidate *cd = &r->cands[d->tag];
    collection_image_info ci = {
        .path = d->path,
        .root = cd->root,
        .size = d->size,
        .mtime_ns = d->mtime_ns,
        .content_hash = d->hash,
        .width = d->width,
        .height = d->height,
        .format = d->format,
        .exif_datetime =
            d->info.exif_datetime[0] ? d->info.exif_datetime : NULL,
        .orientation = d->info.orientation,
    };
    return ci;
}

static int put_embedded(run *r, decode_result *d, const float *emb)
{
    collection_image_info ci = info_of(r, d);
    int64_t id;
    int rc = collection_put_image(r->c, &ci, emb, r->dims, &id, r->err);
    if (!rc) rc = dicom_files_store(r->c, id, d->dicom, r->err);
    if (!rc && r->cands[d->tag].existing_id)
        r->s->updated++;
    else if (!rc)
        r->s->added++;
    if (!rc) hash_set_add(r->known_hashes, d->hash);
    return rc;
}

/* Move detection: the first embedded row with these bytes whose file
 * vanished from disk. */
static int vanished_row(void *ud, int64_t id, const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 || errno != ENOENT) return 0;
    *(int64_t *)ud = id;
    return 1;
}

static int64_t find_moved(run *r, const char *hash)
{
    int64_t id = 0;
    return collection_hash_rows(r->c, hash, vanished_row, &id, NULL) == 1 ? id
                                                                          : 0;
}

/* The worker skipped decoding because the bytes are known: move or copy. */
static int put_known(run *r, decode_result *d)
{
    const candidate *cd = &r->cands[d->tag];
    int64_t moved = cd->existing_id ? 0 : find_moved(r, d->hash);
    if (moved) {
        r->s->moved++;
        return collection_move_image(r->c, moved, d->path, cd->root, d->size,
                                     d->mtime_ns, r->err);
    }
    int64_t src = 0;
    collection_find_by_hash(r->c, d->hash, &src, NULL);
    float *emb = src ? malloc((size_t)r->dims * sizeof *emb) : NULL;
    int rc = VLM_ENOTFOUND;
    if (emb &&
        collection_get_embedding(r->c, src, emb, r->dims, NULL) == VLM_OK) {
        collection_image_info ci = info_of(r, d);
        rc = collection_put_image(r->c, &ci, emb, r->dims, NULL, r->err);
        if (!rc && src != cd->existing_id)
            r->s->copied++;
        else if (!rc)
            r->s->unchanged++;
    }
    free(emb);
    if (rc == VLM_ENOTFOUND) { /* the row went away meanwhile: decode it */
        hash_set_remove(r->known_hashes, d->hash);
        rc = decode_pool_submit(r->pool, d->tag, d->path, d->size, d->mtime_ns);
        r->done--;
    }
    return rc;
}

static int put_failed(run *r, decode_result *d)
{
    collection_image_info ci = info_of(r, d);
    r->s->failed++;
    if (r->o->on_failure) r->o->on_failure(r->o->user, d->path, d->err);
    return collection_put_failure(r->c, &ci, d->err, NULL, r->err);
}

static int encode_batch(run *r)
{
    size_t per = 3 * (size_t)r->side * (size_t)r->side;
    int n = 0;
    for (int i = 0; i < r->n_batch; i++)
        if (r->batch[i]->status == DECODE_OK)
            memcpy(r->pixels + per * (size_t)n++, r->batch[i]->pixels,
                   per * sizeof(float));
    if (!n) return VLM_OK;
    int rc = clip_encode_images(r->m, r->pixels, n, r->embeds, NULL, NULL, NULL,
                                r->err);
    for (int i = 0; !rc && i < n; i++)
        clip_l2_normalize(r->embeds + (size_t)i * r->dims, r->dims);
    return rc;
}

static int write_result(run *r, decode_result *d, int *k)
{
    switch (d->status) {
    case DECODE_OK:
        return put_embedded(r, d, r->embeds + (size_t)(*k)++ * r->dims);
    case DECODE_SKIPPED: return put_known(r, d);
    case DECODE_FAILED: return put_failed(r, d);
    case DECODE_NOT_IMAGE: r->s->not_images++; return VLM_OK;
    }
    return VLM_OK;
}

/* Progress counts files whose results are committed, so the rate and ETA
 * reflect encoding, not just decoding. */
static void report_progress(run *r, const char *path)
{
    if (!r->o->on_progress) return;
    indexer_progress p = {r->written, (int64_t)r->n_cands,
                          r->s->added + r->s->updated, since(&r->t0), path};
    r->o->on_progress(r->o->user, &p);
}

/* Encodes the OK images, then writes every buffered result in one
 * transaction and lets the vector index catch up. */
static int flush_batch(run *r)
{
    if (!r->n_batch) return VLM_OK;
    int rc = encode_batch(r);
    if (!rc) rc = collection_begin(r->c, r->err);
    int k = 0;
    for (int i = 0; !rc && i < r->n_batch; i++)
        rc = write_result(r, r->batch[i], &k);
    rc = indexer_finish_batch(r->c, r->vi, rc, r->err);
    if (!rc) {
        r->written += r->n_batch;
        report_progress(r, r->batch[r->n_batch - 1]->path);
    }
    /* Save the index now and then, so a search during a long run catches
     * up from a recent file instead of replaying the whole run. */
    if (!rc && since(&r->last_save) > INDEX_SAVE_INTERVAL_S) {
        rc = vector_index_save(r->vi, r->err);
        clock_gettime(CLOCK_MONOTONIC, &r->last_save);
    }
    for (int i = 0; i < r->n_batch; i++) decode_result_free(r->batch[i]);
    r->n_batch = r->n_batch_ok = 0;
    return rc;
}

static int process_results(run *r)
{
    decode_result *d;
    int rc = VLM_OK;
    while (!rc && (d = decode_pool_next(r->pool))) {
        r->done++;
        r->batch[r->n_batch++] = d;
        r->n_batch_ok += d->status == DECODE_OK;
        if (r->n_batch_ok >= r->batch_size || r->n_batch >= FLUSH_OTHERS)
            rc = flush_batch(r);
        if (!rc && cancelled(r)) rc = VLM_EINTERRUPTED;
    }
    if (!rc) rc = flush_batch(r);
    if (rc == VLM_EINTERRUPTED)
        vlm_set_err(r->err, "interrupted: work up to the last committed batch "
                            "is kept; run the same command again to finish");
    return rc;
}

static int start_pool(run *r)
{
    decode_pool_options po = {
        .threads = r->o->decode_threads,
        .queue_cap = 2 * r->batch_size,
        .prep = *clip_prep_params(r->m),
        .exact = r->o->exact_decode,
        .max_pixels = r->o->max_pixels,
        .window = r->o->window,
        .skip = skip_known,
        .user = r,
    };
    return decode_pool_create(&po, &r->pool, r->err);
}

static int embed_candidates(run *r)
{
    if (!r->n_cands) return VLM_OK;
    int rc = load_known_hashes(r);
    if (!rc) rc = start_pool(r);
    for (size_t i = 0; !rc && i < r->n_cands; i++)
        rc = decode_pool_submit(r->pool, (int64_t)i, r->cands[i].path,
                                r->cands[i].size, r->cands[i].mtime_ns);
    if (!rc) {
        decode_pool_finish(r->pool);
        rc = process_results(r);
    }
    for (int i = 0; i < r->n_batch; i++) decode_result_free(r->batch[i]);
    r->n_batch = 0;
    decode_pool_destroy(r->pool);
    r->pool = NULL;
    return rc;
}

/* ---- vanished files ------------------------------------------------------ */

static int remove_vanished(run *r, const char *root)
{
    collection_cursor *cur;
    int rc =
        collection_cursor_open(r->c, root, COLLECTION_ROWS_ALL, &cur, r->err);
    if (rc) return rc;
    int64_t *ids = NULL;
    size_t n = 0, cap = 0;
    collection_image *row = malloc(sizeof *row);
    struct stat st;
    while (row && (rc = collection_cursor_step(cur, row, r->err)) == 1) {
        if (hash_set_contains(r->seen_paths, row->path) ||
            stat(row->path, &st) == 0)
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            int64_t *ni = realloc(ids, cap * sizeof *ni);
            if (!ni) break;
            ids = ni;
        }
        ids[n++] = row->id;
    }
    collection_cursor_close(cur);
    free(row);
    rc = rc < 0 ? rc : collection_begin(r->c, r->err);
    for (size_t i = 0; !rc && i < n; i++)
        rc = collection_delete_image(r->c, ids[i], r->err);
    rc = indexer_finish_batch(r->c, r->vi, rc, r->err);
    if (!rc) r->s->removed += (int64_t)n;
    free(ids);
    return rc;
}

/* ---- public entry points ------------------------------------------------- */

static int walk_roots(run *r, char **roots, int n)
{
    static const walk_options none = {0};
    walk_options wo = none;
    wo.excludes = r->o->excludes;
    wo.n_excludes = r->o->n_excludes;
    wo.on_error = on_walk_error;
    for (int i = 0; i < n; i++) {
        r->root = roots[i];
        int rc = walk_tree(roots[i], &wo, on_walk_file, r, r->err);
        if (rc) return rc;
    }
    return VLM_OK;
}

static void free_run(run *r)
{
    for (size_t i = 0; i < r->n_cands; i++) {
        free(r->cands[i].path);
        free(r->cands[i].root);
    }
    free(r->cands);
    hash_set_destroy(r->seen_paths);
    hash_set_destroy(r->known_hashes);
    free(r->batch);
    free(r->pixels);
    free(r->embeds);
}

static int init_run(run *r, collection *c, vector_index *vi, clip_model *m,
                    const indexer_options *o, indexer_summary *s, char *err)
{
    static const indexer_options defaults = {0};
    memset(r, 0, sizeof *r);
    memset(s, 0, sizeof *s);
    *r = (run){
        .c = c, .vi = vi, .m = m, .o = o ? o : &defaults, .s = s, .err = err};
    r->batch_size = r->o->batch_size > 0 ? r->o->batch_size : 16;
    r->dims = clip_embed_dim(m);
    r->side = clip_image_size(m);
    size_t per = 3 * (size_t)r->side * (size_t)r->side;
    r->seen_paths = hash_set_create();
    r->known_hashes = hash_set_create();
    r->batch = calloc(FLUSH_OTHERS + (size_t)r->batch_size, sizeof *r->batch);
    r->pixels = malloc((size_t)r->batch_size * per * sizeof(float));
    r->embeds = malloc((size_t)r->batch_size * (size_t)r->dims * sizeof(float));
    clock_gettime(CLOCK_MONOTONIC, &r->t0);
    r->last_save = r->t0;
    if (!r->seen_paths || !r->known_hashes || !r->batch || !r->pixels ||
        !r->embeds) {
        vlm_set_err(err, "indexer: out of memory");
        return VLM_ENOMEM;
    }
    return collection_bind_model(c, clip_model_name(m), r->dims,
                                 clip_model_id(m), err);
}

/* Absolute paths of the arguments; folders are recorded as roots. */
static int resolve_roots(run *r, const char *const *paths, int n, char **abs)
{
    for (int i = 0; i < n; i++) {
        abs[i] = realpath(paths[i], NULL);
        if (!abs[i]) {
            vlm_set_err(r->err, "%s: no such file or folder", paths[i]);
            return VLM_ENOTFOUND;
        }
        if (collection_add_root(r->c, abs[i], r->err)) return VLM_EIO;
    }
    return VLM_OK;
}

int indexer_add(collection *c, vector_index *vi, clip_model *m,
                const char *const *paths, int n_paths, const indexer_options *o,
                indexer_summary *s, char *err)
{
    run r;
    char **abs = calloc((size_t)(n_paths > 0 ? n_paths : 1), sizeof *abs);
    int rc = abs ? init_run(&r, c, vi, m, o, s, err) : VLM_ENOMEM;
    if (!rc) rc = resolve_roots(&r, paths, n_paths, abs);
    if (!rc) rc = walk_roots(&r, abs, n_paths);
    clock_gettime(CLOCK_MONOTONIC, &r.t0);
    if (!rc) rc = embed_candidates(&r);
    for (int i = 0; !rc && i < n_paths; i++) rc = remove_vanished(&r, abs[i]);
    int save_rc = vector_index_save(vi, rc ? NULL : err);
    if (!rc) rc = save_rc;
    s->seconds = since(&r.t0);
    for (int i = 0; abs && i < n_paths; i++) free(abs[i]);
    free(abs);
    free_run(&r);
    return rc;
}

int indexer_update(collection *c, vector_index *vi, clip_model *m,
                   const indexer_options *o, indexer_summary *s, char *err)
{
    char **roots = NULL;
    size_t n = 0;
    int rc = collection_list_roots(c, &roots, &n, err);
    if (rc) return rc;
    /* Roots that vanished entirely: forget them and their rows. */
    const char **live = calloc(n ? n : 1, sizeof *live);
    int n_live = 0;
    int64_t gone = 0;
    struct stat st;
    for (size_t i = 0; live && i < n; i++) {
        if (stat(roots[i], &st) == 0) {
            live[n_live++] = roots[i];
            continue;
        }
        int64_t k = 0;
        const char *one[1] = {roots[i]};
        if (indexer_remove(c, vi, one, 1, &k, err) == VLM_OK) gone += k;
    }
    rc = live ? indexer_add(c, vi, m, live, n_live, o, s, err) : VLM_ENOMEM;
    s->removed += gone;
    free(live);
    collection_free_strings(roots, n);
    return rc;
}

int indexer_remove(collection *c, vector_index *vi, const char *const *paths,
                   int n_paths, int64_t *n_removed, char *err)
{
    *n_removed = 0;
    int rc = collection_begin(c, err);
    for (int i = 0; !rc && i < n_paths; i++) {
        char *abs = media_abspath(paths[i]);
        int64_t k = 0;
        rc = abs ? collection_delete_under(c, abs, &k, err) : VLM_ENOMEM;
        if (!rc) {
            collection_remove_root(c, abs, NULL);
            *n_removed += k;
        }
        free(abs);
    }
    rc = indexer_finish_batch(c, vi, rc, err);
    if (!rc) rc = vector_index_save(vi, err);
    return rc;
}

int indexer_finish_batch(collection *c, vector_index *vi, int rc, char *err)
{
    if (rc) {
        collection_rollback(c);
        return rc;
    }
    rc = collection_commit(c, err);
    return rc ? rc : vector_index_sync(vi, err);
}
