#include "indexer/source_folder.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "indexer/decode_pool.h"
#include "indexer/excludes.h"
#include "indexer/hash_set.h"
#include "indexer/shard.h"
#include "indexer/walk.h"
#include "session/session_roots.h"

typedef struct candidate {
    char *path;
    const char *root;
    int64_t size, mtime_ns;
    int64_t existing_id; /* row for this path, 0 if new */
} candidate;

/* What next() hands out: a pool result, or one vanished row. */
typedef struct folder_item {
    ingest_item item; /* first: the writer's pointer is ours */
    decode_result *d; /* NULL for a DELETE */
} folder_item;

typedef struct folder_source {
    char **roots;     /* the paths given, made absolute; a watch pass:
                         the subtrees to walk again */
    char **row_roots; /* the root recorded in rows found under roots[i]:
                          itself, or for a file given alone the root folder
                          it lies in (else the file itself); a watch pass:
                          the known root each subtree lies under */
    bool *is_folder;  /* the excludes of row_roots[i] apply: a folder
                         given, or a watch pass under a folder root (a file
                         given alone is indexed whatever they say) */
    bool *online;     /* roots[i] is walked, and its vanished files removed
                         (a watch pass: its root was probed online) */
    int n_roots;
    bool scan; /* a watch pass (folder_source_create_scan) */
    int64_t settle_ns;
    void (*on_unsettled)(void *user, const char *path);
    void *unsettled_user;
    const indexer_options *o;
    ingest_context ctx;
    const char *root; /* row root of the path being walked */
    shard_spec shard; /* the collection's slice (n == 0: every file) */
    candidate *cands;
    size_t n_cands, cap_cands;
    hash_set *seen_paths;   /* every path the walk found */
    hash_set *known_hashes; /* content already embedded */
    decode_pool *pool;
    int pool_flushed;     /* INGEST_FLUSH sent since the pool last drained */
    folder_item *deletes; /* vanished rows, planned after the last file */
    size_t n_deletes, cap_deletes, next_delete;
    int planned_roots;
} folder_source;

static int cancelled(const folder_source *f)
{
    return f->o->cancel && *f->o->cancel;
}

/* ---- walking: decide what needs work --------------------------------------- */

static int push_candidate(folder_source *f, const walk_file *w, int64_t id)
{
    if (f->n_cands == f->cap_cands) {
        size_t cap = f->cap_cands ? 2 * f->cap_cands : 256;
        candidate *grown = realloc(f->cands, cap * sizeof *grown);
        if (!grown) return VLM_ENOMEM;
        f->cands = grown;
        f->cap_cands = cap;
    }
    candidate *cd = &f->cands[f->n_cands];
    if (!(cd->path = strdup(w->path))) return VLM_ENOMEM;
    cd->root = f->root;
    cd->size = w->size;
    cd->mtime_ns = w->mtime_ns;
    cd->existing_id = id;
    f->n_cands++;
    return VLM_OK;
}

/* Modified within the settle time: probably still being written. */
static int unsettled(const folder_source *f, const walk_file *w)
{
    if (f->settle_ns <= 0) return 0;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t now_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
    return now_ns - w->mtime_ns < f->settle_ns;
}

/* Every 64 files: how far the walk got (the total is not known yet). */
static void report_scan(const folder_source *f, const char *path)
{
    if (!f->o->on_progress || f->ctx.s->seen % 64) return;
    indexer_progress p = {
        .phase = INDEXER_SCANNING, .found = f->ctx.s->seen, .current = path};
    f->o->on_progress(f->o->user, &p);
}

static int on_walk_file(const walk_file *w, void *user)
{
    folder_source *f = user;
    if (cancelled(f)) return VLM_EINTERRUPTED;
    const char *key = shard_relative_key(f->root, w->path);
    if (!shard_contains(&f->shard, key, strlen(key))) {
        f->ctx.s->other_shards++;
        return VLM_OK;
    }
    if (hash_set_add(f->seen_paths, w->path)) return VLM_ENOMEM;
    if (unsettled(f, w)) { /* seen (its row stays), looked at later */
        f->on_unsettled(f->unsettled_user, w->path);
        return VLM_OK;
    }
    f->ctx.s->seen++;
    report_scan(f, w->path);
    collection_image row;
    int rc = collection_find_by_path(f->ctx.c, w->path, &row, NULL);
    if (rc == VLM_OK && row.size == w->size && row.mtime_ns == w->mtime_ns &&
        (row.has_embedding || row.status == COLLECTION_STATUS_FAILED)) {
        f->ctx.s->unchanged++;
        return VLM_OK;
    }
    return push_candidate(f, w, rc == VLM_OK ? row.id : 0);
}

static void on_walk_error(const char *path, const char *reason, void *user)
{
    folder_source *f = user;
    f->ctx.s->skipped++;
    if (f->o->on_skip) f->o->on_skip(f->o->user, path, reason);
}

/* Folders with their excludes (defaults, stored, this run's -x); a file
 * given alone is indexed whatever the excludes say. */
static int walk_roots(folder_source *f, char *err)
{
    int rc = VLM_OK;
    struct stat st;
    for (int i = 0; !rc && i < f->n_roots; i++) {
        if (!f->online[i]) continue;
        if (f->scan && lstat(f->roots[i], &st) != 0) continue; /* gone */
        const char *root = f->row_roots[i];
        exclude_set ex = {0};
        if (f->is_folder[i])
            rc = excludes_for_root(f->ctx.c, root, NULL, 0, &ex, err);
        walk_options wo = {.excludes = (const char *const *)ex.globs,
                           .n_excludes = ex.n,
                           .on_error = on_walk_error};
        f->root = root;
        /* A watch pass inside an excluded folder walks nothing (its rows,
         * if any, are dropped like update drops them). */
        bool skip = f->scan && excludes_match_path(&ex, root, f->roots[i]);
        if (!rc && !skip)
            rc = walk_tree(f->roots[i], &wo, on_walk_file, f, err);
        exclude_set_free(&ex);
    }
    return rc;
}

/* ---- decoding -------------------------------------------------------------- */

/* Content hashes of every embedded row, so workers can skip known bytes. */
static int load_known_hashes(folder_source *f, char *err)
{
    collection_cursor *cur;
    int rc =
        collection_cursor_open(f->ctx.c, NULL, COLLECTION_ROWS_OK, &cur, err);
    if (rc) return rc;
    collection_image row;
    while ((rc = collection_cursor_step(cur, &row, err)) == 1)
        if (row.has_embedding && row.content_hash[0] &&
            hash_set_add(f->known_hashes, row.content_hash)) {
            rc = VLM_ENOMEM;
            break;
        }
    collection_cursor_close(cur);
    return rc < 0 ? rc : VLM_OK;
}

static int skip_known(const char *hash, void *user)
{
    return hash_set_contains(((folder_source *)user)->known_hashes, hash);
}

static int start_pool(folder_source *f, char *err)
{
    int batch = f->o->batch_size > 0 ? f->o->batch_size : 16;
    decode_pool_options po = {
        .threads = f->o->decode_threads,
        .queue_cap = 2 * batch,
        .prep = *f->ctx.prep,
        .exact = f->o->exact_decode,
        .max_pixels = f->o->max_pixels,
        .window = f->o->window,
        .skip = skip_known,
        .user = f,
    };
    int rc = decode_pool_create(&po, &f->pool, err);
    for (size_t i = 0; !rc && i < f->n_cands; i++)
        rc = decode_pool_submit(f->pool, (int64_t)i, f->cands[i].path,
                                f->cands[i].size, f->cands[i].mtime_ns);
    return rc;
}

/* An offline root is reported and left alone: not walked, rows kept. */
static int report_offline(folder_source *f, const char *root,
                          const session_root_status *st, char *err)
{
    int64_t rows = 0;
    int rc = collection_count_under(f->ctx.c, root, &rows, err);
    f->ctx.s->offline++;
    if (!rc && f->o->on_offline)
        f->o->on_offline(f->o->user, root, st->reason, rows, 0);
    return rc;
}

/* A folder becomes a root (what `update` walks), recorded with the device
 * it is on now, with this run's -x globs remembered for it; adding it
 * again lifts a `rm` of it inside an enclosing root. */
static int record_folder(folder_source *f, const char *abs,
                         const session_root_status *st, char *err)
{
    int rc = collection_note_root(f->ctx.c, abs, st->dev, st->kind, err);
    for (int k = 0; !rc && k < f->o->n_excludes; k++)
        rc = collection_put_exclude(f->ctx.c, abs, f->o->excludes[k], 0, err);
    char *outer = rc ? NULL : excludes_root_of(f->ctx.c, abs, NULL);
    char *lit = outer && strcmp(outer, abs) ? excludes_literal(abs) : NULL;
    if (lit) (void)collection_delete_exclude(f->ctx.c, outer, lit, NULL);
    free(lit);
    free(outer);
    return rc;
}

/* A folder given is probed first: an offline one (session_roots.h) is
 * reported and neither walked nor emptied. */
static int resolve_folder(folder_source *f, int i, char *err)
{
    session_root_status st;
    int rc = session_root_probe(f->ctx.c, f->roots[i], &st, err);
    f->online[i] = !rc && !st.offline;
    if (!rc && st.offline) rc = report_offline(f, f->roots[i], &st, err);
    if (!rc && f->online[i]) rc = record_folder(f, f->roots[i], &st, err);
    return rc;
}

/* Each path made absolute; folders are recorded as roots, a file given
 * alone is not (its rows name the root folder it lies in, if any). */
static int resolve_roots(folder_source *f, char *err)
{
    for (int i = 0; i < f->n_roots; i++) {
        char *abs = realpath(f->roots[i], NULL);
        struct stat st;
        if (!abs || stat(abs, &st) != 0) {
            vlm_set_err(err, "%s: no such file or folder", f->roots[i]);
            free(abs);
            return VLM_ENOTFOUND;
        }
        free(f->roots[i]);
        f->roots[i] = abs;
        f->is_folder[i] = S_ISDIR(st.st_mode);
        f->online[i] = true;
        char *row_root =
            f->is_folder[i] ? NULL : excludes_root_of(f->ctx.c, abs, NULL);
        f->row_roots[i] = row_root ? row_root : strdup(abs);
        if (!f->row_roots[i]) return VLM_ENOMEM;
        int rc = f->is_folder[i] ? resolve_folder(f, i, err) : VLM_OK;
        if (rc) return rc;
    }
    return VLM_OK;
}

static int folder_start(void *self, const ingest_context *ctx, char *err)
{
    folder_source *f = self;
    f->ctx = *ctx;
    int rc = shard_get(ctx->c, &f->shard, err);
    if (!rc && !f->scan) rc = resolve_roots(f, err);
    if (!rc) rc = walk_roots(f, err);
    if (!rc && f->n_cands) rc = load_known_hashes(f, err);
    if (!rc && f->n_cands) rc = start_pool(f, err);
    return rc;
}

/* ---- yielding items ------------------------------------------------------- */

static void fill_item(folder_source *f, folder_item *fi)
{
    const decode_result *d = fi->d;
    const candidate *cd = &f->cands[d->tag];
    static const ingest_kind kinds[] = {
        [DECODE_OK] = INGEST_EMBED,
        [DECODE_FAILED] = INGEST_FAIL,
        [DECODE_NOT_IMAGE] = INGEST_NOT_IMAGE,
        [DECODE_SKIPPED] = INGEST_REUSE,
    };
    fi->item = (ingest_item){
        .kind = kinds[d->status],
        .info = {.path = d->path,
                 .root = cd->root,
                 .size = d->size,
                 .mtime_ns = d->mtime_ns,
                 .content_hash = d->hash,
                 .width = d->width,
                 .height = d->height,
                 .format = d->format,
                 .exif_datetime = d->info.exif_datetime,
                 .orientation = d->info.orientation,
                 .camera_make = d->info.camera_make,
                 .camera_model = d->info.camera_model},
        .existing_id = cd->existing_id,
        .pixels = d->pixels,
        .dicom = d->dicom,
        .error = d->err,
    };
}

static int next_result(folder_source *f, ingest_item **out, char *err)
{
    folder_item *fi = calloc(1, sizeof *fi);
    decode_result *d = fi ? decode_pool_next(f->pool) : NULL;
    if (!d) {
        free(fi);
        vlm_set_err(err, "indexer: out of memory");
        return VLM_ENOMEM;
    }
    fi->d = d;
    fill_item(f, fi);
    /* Later files with these bytes need not be decoded: this row is
     * written before theirs, in yield order.  (Out of memory here only
     * costs a decode.) */
    if (d->status == DECODE_OK) (void)hash_set_add(f->known_hashes, d->hash);
    *out = &fi->item;
    return INGEST_ITEM;
}

static int add_delete(folder_source *f, int64_t id)
{
    if (f->n_deletes == f->cap_deletes) {
        size_t cap = f->cap_deletes ? 2 * f->cap_deletes : 64;
        folder_item *grown = realloc(f->deletes, cap * sizeof *grown);
        if (!grown) return VLM_ENOMEM;
        f->deletes = grown;
        f->cap_deletes = cap;
    }
    f->deletes[f->n_deletes++] =
        (folder_item){.item = {.kind = INGEST_DELETE, .delete_id = id}};
    return VLM_OK;
}

/* Gone for good: not merely unreadable or too long to stat. */
static bool vanished(const char *path)
{
    struct stat st;
    return stat(path, &st) != 0 && (errno == ENOENT || errno == ENOTDIR);
}

/* Rows under `root` whose file vanished (moved rows were renamed by then,
 * so their new paths are in seen_paths), or that the root's excludes now
 * skip (rows of a root nested in it are that root's business). */
static int plan_root_deletes(folder_source *f, int i, char *err)
{
    const char *root = f->row_roots[i];
    exclude_set ex = {0};
    collection_cursor *cur = NULL;
    int rc = f->is_folder[i]
                 ? excludes_for_root(f->ctx.c, root, NULL, 0, &ex, err)
                 : VLM_OK;
    if (!rc)
        rc = collection_cursor_open(f->ctx.c, f->roots[i], COLLECTION_ROWS_ALL,
                                    &cur, err);
    collection_image row;
    int step = 0;
    while (!rc && (step = collection_cursor_step(cur, &row, err)) == 1) {
        if (hash_set_contains(f->seen_paths, row.path)) continue;
        if (vanished(row.path) || (!strcmp(row.root, root) &&
                                   excludes_match_path(&ex, root, row.path)))
            rc = add_delete(f, row.id);
    }
    collection_cursor_close(cur);
    exclude_set_free(&ex);
    return rc ? rc : step < 0 ? step : VLM_OK;
}

static int folder_next(void *self, ingest_item **out, char *err)
{
    folder_source *f = self;
    if (f->pool && decode_pool_pending(f->pool) > 0)
        return next_result(f, out, err);
    if (f->pool && !f->pool_flushed) {
        f->pool_flushed = 1; /* commit moves before looking for vanished */
        return INGEST_FLUSH;
    }
    for (; f->planned_roots < f->n_roots; f->planned_roots++) {
        if (!f->online[f->planned_roots]) continue;
        int rc = plan_root_deletes(f, f->planned_roots, err);
        if (rc) return rc;
    }
    if (f->next_delete == f->n_deletes) return INGEST_END;
    *out = &f->deletes[f->next_delete++].item;
    return INGEST_ITEM;
}

static void folder_release(void *self, ingest_item *item)
{
    (void)self;
    folder_item *fi = (folder_item *)item;
    if (!fi->d) return; /* a DELETE lives in the deletes array */
    decode_result_free(fi->d);
    free(fi);
}

static int folder_retry(void *self, ingest_item *item, char *err)
{
    folder_source *f = self;
    folder_item *fi = (folder_item *)item;
    const decode_result *d = fi->d;
    (void)err;
    hash_set_remove(f->known_hashes, d->hash);
    int rc = decode_pool_submit(f->pool, d->tag, d->path, d->size, d->mtime_ns);
    f->pool_flushed = 0;
    folder_release(self, item);
    return rc;
}

static int64_t folder_total(void *self)
{
    const folder_source *f = self;
    return (int64_t)(f->n_cands + f->n_deletes);
}

static void folder_destroy(void *self)
{
    folder_source *f = self;
    if (!f) return;
    decode_pool_destroy(f->pool);
    for (size_t i = 0; i < f->n_cands; i++) free(f->cands[i].path);
    for (int i = 0; i < f->n_roots; i++) free(f->roots[i]);
    for (int i = 0; f->row_roots && i < f->n_roots; i++) free(f->row_roots[i]);
    free(f->cands);
    free(f->roots);
    free(f->row_roots);
    free(f->is_folder);
    free(f->online);
    free(f->deletes);
    hash_set_destroy(f->seen_paths);
    hash_set_destroy(f->known_hashes);
    free(f);
}

static const ingest_source_ops folder_ops = {
    .start = folder_start,
    .next = folder_next,
    .retry = folder_retry,
    .release = folder_release,
    .total = folder_total,
    .destroy = folder_destroy,
};

static folder_source *folder_alloc(const char *const *paths, int n,
                                   const indexer_options *o)
{
    folder_source *f = calloc(1, sizeof *f);
    size_t slots = (size_t)(n > 0 ? n : 1);
    int ok = f && (f->roots = calloc(slots, sizeof *f->roots)) &&
             (f->row_roots = calloc(slots, sizeof *f->row_roots)) &&
             (f->is_folder = calloc(slots, sizeof *f->is_folder)) &&
             (f->online = calloc(slots, sizeof *f->online));
    for (int i = 0; ok && i < n; i++)
        ok = (f->roots[f->n_roots++] = strdup(paths[i])) != NULL;
    if (ok) {
        f->o = o;
        f->seen_paths = hash_set_create();
        f->known_hashes = hash_set_create();
        ok = f->seen_paths && f->known_hashes;
    }
    if (ok) return f;
    folder_destroy(f);
    return NULL;
}

int folder_source_create(const char *const *roots, int n_roots,
                         const indexer_options *o, ingest_source *out,
                         char *err)
{
    folder_source *f = folder_alloc(roots, n_roots, o);
    if (!f) {
        vlm_set_err(err, "indexer: out of memory");
        return VLM_ENOMEM;
    }
    *out = (ingest_source){&folder_ops, f};
    return VLM_OK;
}

int folder_source_create_scan(const folder_scan *scan, const indexer_options *o,
                              ingest_source *out, char *err)
{
    folder_source *f = folder_alloc(scan->paths, scan->n, o);
    int ok = f != NULL;
    struct stat st;
    for (int i = 0; ok && i < scan->n; i++) {
        ok = (f->row_roots[i] = strdup(scan->roots[i])) != NULL;
        f->online[i] = true; /* the watch probed its roots */
        f->is_folder[i] = stat(scan->roots[i], &st) == 0 && S_ISDIR(st.st_mode);
    }
    if (!ok) {
        folder_destroy(f);
        vlm_set_err(err, "indexer: out of memory");
        return VLM_ENOMEM;
    }
    f->scan = true;
    f->settle_ns = scan->settle_ns;
    f->on_unsettled = scan->on_unsettled;
    f->unsettled_user = scan->user;
    *out = (ingest_source){&folder_ops, f};
    return VLM_OK;
}
