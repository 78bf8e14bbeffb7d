#include "indexer/source_watch.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "indexer/source_folder.h"
#include "indexer/watch_dirty.h"
#include "indexer/watch_inotify.h"
#include "indexer/watch_roots.h"
#include "session/session_roots.h"

#define ROOT_CHECK_MS 5000 /* offline roots, roots added by others */
#define IDLE_POLL_MS  200  /* longest sleep: cancel is noticed this fast */
#define PASS_DONE     100  /* internal: the pass ended and was committed */

typedef struct watch_source {
    watch_options w; /* defaults filled in */
    const indexer_options *o;
    ingest_context ctx;
    watch_inotify *ino; /* NULL when every root is polled */
    watch_roots roots;
    watch_dirty dirty, later; /* to look at; left unsettled by a pass */
    int64_t first_dirty_ms, last_event_ms, not_before_ms, next_root_check_ms;
    bool roots_gone;    /* a watched folder vanished: check the roots now */
    ingest_source pass; /* the pass running (ops NULL when none) */
    int pass_paths, unsettled;
    int yielded, retried;   /* since the last flush */
    indexer_summary before; /* *ctx.s when the pass began */
    int64_t total_done;     /* items of finished passes */
} watch_source;

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static bool cancelled(const watch_source *ws)
{
    return ws->o->cancel && *ws->o->cancel;
}

static void emit(watch_source *ws, watch_event e)
{
    if (ws->w.on_event) ws->w.on_event(ws->w.user, &e);
}

/* ---- what changed ---------------------------------------------------------- */

static void mark_dirty(watch_source *ws, const char *path)
{
    int64_t now = now_ms();
    if (!ws->dirty.n && !ws->dirty.overflow) ws->first_dirty_ms = now;
    ws->last_event_ms = now;
    if (!path || watch_dirty_add(&ws->dirty, path)) ws->dirty.overflow = true;
}

static void on_change(void *user, int what, const char *path)
{
    watch_source *ws = user;
    if (what == WATCH_GONE) {
        ws->roots_gone = true;
        const watch_root *r = watch_roots_find(&ws->roots, path);
        if (r && !strcmp(r->path, path)) return; /* the root check decides */
    }
    mark_dirty(ws, what == WATCH_OVERFLOW ? NULL : path);
}

static void on_unsettled(void *user, const char *path)
{
    watch_source *ws = user;
    ws->unsettled++;
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, (size_t)(slash - path)) : NULL;
    if (!dir || watch_dirty_add(&ws->later, dir)) ws->later.overflow = true;
    free(dir);
}

/* ---- roots ----------------------------------------------------------------- */

/* Watches a root, and decides whether it is polled too: on a network
 * file system (inotify sees only this machine's changes), beyond the
 * watch limit, a file root (inotify watches folders here), or --poll. */
static void start_root(watch_source *ws, watch_root *r)
{
    char err[VLM_ERR_MAX] = "";
    struct stat st;
    const char *why = ws->w.poll ? "polling asked for" : NULL;
    if (!why && stat(r->path, &st) == 0 && !S_ISDIR(st.st_mode))
        why = "a file root";
    if (!why && watch_inotify_add_tree(ws->ino, r->path, err) == VLM_ETOOBIG)
        why = err;
    if (!why) why = watch_network_fs(r->path);
    r->polled = why != NULL;
    if (why)
        emit(ws, (watch_event){
                     .kind = WATCH_POLLING, .path = r->path, .message = why});
    r->next_scan_ms = now_ms() + 1000LL * ws->w.rescan_s;
}

/* Online by the collection's one root probe (session_roots.h): an
 * unmounted disk, an empty mount point or another device is offline, and
 * its rows are kept.  An error reading the collection keeps them too. */
static bool root_online(collection *c, const char *root)
{
    session_root_status st;
    return session_root_probe(c, root, &st, NULL) == VLM_OK && !st.offline;
}

/* Roots that went offline or came back, and roots added by others. */
static int check_root_states(watch_source *ws, char *err)
{
    int64_t now = now_ms();
    if (!ws->roots_gone && now < ws->next_root_check_ms) return VLM_OK;
    ws->roots_gone = false;
    ws->next_root_check_ms = now + ROOT_CHECK_MS;
    int rc = watch_roots_load(&ws->roots, ws->ctx.c, err);
    for (int i = 0; !rc && i < ws->roots.n; i++) {
        watch_root *r = &ws->roots.r[i];
        bool online = root_online(ws->ctx.c, r->path);
        if (online == !r->offline && !r->is_new) continue;
        r->offline = !online;
        emit(ws, (watch_event){.kind = online ? WATCH_ROOT_ONLINE
                                              : WATCH_ROOT_OFFLINE,
                               .path = r->path});
        if (online) start_root(ws, r);
        if (online) mark_dirty(ws, r->path);
    }
    return rc;
}

static void check_polled(watch_source *ws)
{
    int64_t now = now_ms();
    for (int i = 0; i < ws->roots.n; i++) {
        watch_root *r = &ws->roots.r[i];
        if (!r->polled || r->offline || now < r->next_scan_ms) continue;
        r->next_scan_ms = now + 1000LL * ws->w.rescan_s;
        mark_dirty(ws, r->path);
    }
}

/* ---- passes ----------------------------------------------------------------- */

/* The dirty paths under online roots, with their roots. */
static int plan_scan(watch_source *ws, const char **paths, const char **roots)
{
    int n = 0;
    int count = ws->dirty.overflow ? ws->roots.n : ws->dirty.n;
    for (int i = 0; i < count; i++) {
        const char *p =
            ws->dirty.overflow ? ws->roots.r[i].path : ws->dirty.paths[i];
        watch_root *r = watch_roots_find(&ws->roots, p);
        if (!r || r->offline) continue; /* never drop an offline root's rows */
        paths[n] = p;
        roots[n++] = r->path;
    }
    return n;
}

static bool pass_due(const watch_source *ws)
{
    if (!ws->dirty.n && !ws->dirty.overflow) return false;
    int64_t now = now_ms();
    if (now < ws->not_before_ms) return false;
    return now - ws->last_event_ms >= ws->w.debounce_ms ||
           now - ws->first_dirty_ms >= ws->w.max_delay_ms;
}

static int start_pass(watch_source *ws, char *err)
{
    int cap = ws->dirty.overflow ? ws->roots.n : ws->dirty.n;
    const char **paths = calloc((size_t)cap + 1, sizeof *paths);
    const char **roots = calloc((size_t)cap + 1, sizeof *roots);
    int rc = paths && roots ? VLM_OK : VLM_ENOMEM;
    folder_scan scan = {.paths = paths,
                        .roots = roots,
                        .n = rc ? 0 : plan_scan(ws, paths, roots),
                        .settle_ns = (int64_t)ws->w.settle_ms * 1000000,
                        .on_unsettled = on_unsettled,
                        .user = ws};
    if (!rc && scan.n)
        rc = folder_source_create_scan(&scan, ws->o, &ws->pass, err);
    ws->pass_paths = scan.n;
    ws->unsettled = 0;
    ws->before = *ws->ctx.s;
    if (!rc && scan.n) rc = ws->pass.ops->start(ws->pass.self, &ws->ctx, err);
    free(paths);
    free(roots);
    watch_dirty_clear(&ws->dirty);
    return rc;
}

static indexer_summary summary_delta(const indexer_summary *a,
                                     const indexer_summary *b)
{
    return (indexer_summary){.seen = a->seen - b->seen,
                             .added = a->added - b->added,
                             .updated = a->updated - b->updated,
                             .unchanged = a->unchanged - b->unchanged,
                             .moved = a->moved - b->moved,
                             .copied = a->copied - b->copied,
                             .removed = a->removed - b->removed,
                             .failed = a->failed - b->failed,
                             .not_images = a->not_images - b->not_images};
}

/* The pass is committed: report it, and look again at what it left. */
static void end_pass(watch_source *ws)
{
    ws->total_done += ws->pass.ops->total(ws->pass.self);
    ingest_source_destroy(&ws->pass);
    emit(ws, (watch_event){.kind = WATCH_PASS,
                           .paths = ws->pass_paths,
                           .unsettled = ws->unsettled,
                           .delta = summary_delta(ws->ctx.s, &ws->before)});
    if (!ws->later.n && !ws->later.overflow) return;
    for (int i = 0; i < ws->later.n; i++) mark_dirty(ws, ws->later.paths[i]);
    if (ws->later.overflow) mark_dirty(ws, NULL);
    watch_dirty_clear(&ws->later);
    int wait = ws->w.settle_ms / 4;
    ws->not_before_ms = now_ms() + (wait > 100 ? wait : 100);
}

static int pass_next(watch_source *ws, ingest_item **item, char *err)
{
    int rc = ws->pass.ops->next(ws->pass.self, item, err);
    if (rc == INGEST_ITEM) ws->yielded++;
    if (rc != INGEST_END) {
        if (rc == INGEST_FLUSH) ws->yielded = ws->retried = 0;
        return rc;
    }
    if (ws->yielded || ws->retried) { /* commit before it really ends */
        ws->yielded = ws->retried = 0;
        return INGEST_FLUSH;
    }
    end_pass(ws);
    return PASS_DONE;
}

/* ---- the source -------------------------------------------------------------- */

static void wait_for_events(watch_source *ws)
{
    struct pollfd p = {.fd = ws->ino ? watch_inotify_fd(ws->ino) : -1,
                       .events = POLLIN};
    int64_t wait = IDLE_POLL_MS;
    if (ws->dirty.n || ws->dirty.overflow) {
        int64_t due = ws->last_event_ms + ws->w.debounce_ms - now_ms();
        if (due < wait) wait = due > 10 ? due : 10;
    }
    (void)poll(&p, ws->ino ? 1 : 0, (int)wait);
}

static int watch_next(void *self, ingest_item **item, char *err)
{
    watch_source *ws = self;
    for (;;) {
        if (ws->ino) watch_inotify_read(ws->ino, on_change, ws);
        if (ws->pass.ops) {
            int rc = pass_next(ws, item, err);
            if (rc != PASS_DONE) return rc;
            continue;
        }
        if (cancelled(ws)) return INGEST_END;
        int rc = check_root_states(ws, err);
        check_polled(ws);
        if (!rc && pass_due(ws)) {
            rc = start_pass(ws, err);
            if (!rc) continue;
        }
        if (rc) return rc;
        wait_for_events(ws);
    }
}

static int watch_start(void *self, const ingest_context *ctx, char *err)
{
    watch_source *ws = self;
    ws->ctx = *ctx;
    int rc = ws->w.poll ? VLM_OK : watch_inotify_create(&ws->ino, err);
    if (!rc) rc = watch_roots_load(&ws->roots, ctx->c, err);
    int polled = 0;
    for (int i = 0; !rc && i < ws->roots.n; i++) {
        watch_root *r = &ws->roots.r[i];
        r->is_new = false;
        r->polled = ws->w.poll;
        r->offline = !root_online(ctx->c, r->path);
        if (r->offline)
            emit(ws,
                 (watch_event){.kind = WATCH_ROOT_OFFLINE, .path = r->path});
        else
            start_root(ws, r);
        polled += r->polled;
    }
    ws->next_root_check_ms = now_ms() + ROOT_CHECK_MS;
    if (!rc && !ws->w.no_initial) mark_dirty(ws, NULL);
    ws->last_event_ms = 0; /* the catch-up pass starts at once */
    if (!rc)
        emit(ws, (watch_event){.kind = WATCH_READY,
                               .roots = ws->roots.n,
                               .polled = polled});
    return rc;
}

static int watch_retry(void *self, ingest_item *item, char *err)
{
    watch_source *ws = self;
    ws->retried = 1;
    return ws->pass.ops->retry(ws->pass.self, item, err);
}

static void watch_release(void *self, ingest_item *item)
{
    watch_source *ws = self;
    ws->pass.ops->release(ws->pass.self, item);
}

static int64_t watch_total(void *self)
{
    watch_source *ws = self;
    return ws->total_done +
           (ws->pass.ops ? ws->pass.ops->total(ws->pass.self) : 0);
}

static void watch_destroy(void *self)
{
    watch_source *ws = self;
    if (!ws) return;
    ingest_source_destroy(&ws->pass);
    watch_inotify_destroy(ws->ino);
    watch_roots_free(&ws->roots);
    watch_dirty_free(&ws->dirty);
    watch_dirty_free(&ws->later);
    free(ws);
}

static const ingest_source_ops watch_ops = {
    .start = watch_start,
    .next = watch_next,
    .retry = watch_retry,
    .release = watch_release,
    .total = watch_total,
    .destroy = watch_destroy,
};

int watch_source_create(const watch_options *w, const indexer_options *o,
                        ingest_source *out, char *err)
{
    watch_source *ws = calloc(1, sizeof *ws);
    if (!ws) {
        vlm_set_err(err, "watch: out of memory");
        return VLM_ENOMEM;
    }
    ws->w = *w;
    if (ws->w.debounce_ms <= 0) ws->w.debounce_ms = 500;
    if (ws->w.max_delay_ms <= 0) ws->w.max_delay_ms = 5000;
    if (ws->w.settle_ms <= 0) ws->w.settle_ms = 2000;
    if (ws->w.rescan_s <= 0) ws->w.rescan_s = 300;
    ws->o = o;
    *out = (ingest_source){&watch_ops, ws};
    return VLM_OK;
}
