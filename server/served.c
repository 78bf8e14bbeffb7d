/*
 * served.c — one served collection: its reader handles (sharing the
 * server's model), and its watch thread when serve --watch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/server_internal.h"

#define SYNC_INTERVAL_MS 1000 /* other processes' commits seen this fast */

static int open_reader(server *srv, served *sv, reader *r, char *err)
{
    session_config cfg = srv->cfg.session;
    cfg.collection = sv->dir;
    cfg.access = SESSION_READ;
    cfg.index = SESSION_INDEX_IF_BOUND;
    cfg.parts = CLIP_PART_ALL;
    int rc = session_share(srv->model, &cfg, &r->s, err);
    int dims = clip_embed_dim(session_model(srv->model));
    r->sv = sv;
    r->qv = malloc((size_t)dims * sizeof *r->qv);
    r->tmp = malloc((size_t)dims * sizeof *r->tmp);
    if (!rc && (!r->qv || !r->tmp)) rc = VLM_ENOMEM;
    jb_reset(&r->out);
    return rc;
}

static void close_reader(reader *r)
{
    session_close(r->s);
    free(r->qv);
    free(r->tmp);
    jb_free(&r->out);
}

int served_open(server *srv, served *sv, int index, const char *dir, char *err)
{
    sv->srv = srv;
    sv->index = index;
    snprintf(sv->dir, sizeof sv->dir, "%s", dir);
    const char *slash = strrchr(dir, '/');
    snprintf(sv->name, sizeof sv->name, "%s",
             slash && slash[1] ? slash + 1 : dir);
    pthread_mutex_init(&sv->mu, NULL);
    pthread_cond_init(&sv->cv, NULL);
    sv->n_readers = srv->cfg.readers;
    sv->readers = calloc((size_t)sv->n_readers, sizeof *sv->readers);
    if (!sv->readers) return VLM_ENOMEM;
    int rc = VLM_OK;
    for (int i = 0; !rc && i < sv->n_readers; i++)
        rc = open_reader(srv, sv, &sv->readers[i], err);
    collection_counts k;
    if (!rc)
        rc = collection_get_counts(session_collection(sv->readers[0].s), &k,
                                   err);
    if (!rc) sv->dicom = k.dicom > 0;
    return rc;
}

void served_close(served *sv)
{
    if (!sv->srv) return;
    served_stop_watch(sv);
    for (int i = 0; sv->readers && i < sv->n_readers; i++)
        close_reader(&sv->readers[i]);
    free(sv->readers);
    pthread_mutex_destroy(&sv->mu);
    pthread_cond_destroy(&sv->cv);
    sv->srv = NULL;
}

/* Catches up with commits: at once after our watch committed, else at
 * most every second (another process may have). */
static void refresh(reader *r)
{
    int64_t gen = atomic_load(&r->sv->generation), now = server_now_ms();
    if (gen == r->seen_generation && now < r->next_sync_ms) return;
    char err[VLM_ERR_MAX] = "";
    if (session_refresh(r->s, err))
        server_logf(r->sv->srv, "%s: index refresh failed: %s", r->sv->name,
                    err);
    else if (gen != r->seen_generation && !r->sv->dicom) {
        collection_counts k;
        if (!collection_get_counts(session_collection(r->s), &k, NULL))
            r->sv->dicom = k.dicom > 0;
    }
    r->seen_generation = gen;
    r->next_sync_ms = now + SYNC_INTERVAL_MS;
}

reader *served_acquire(served *sv, int timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    reader *r = NULL;
    pthread_mutex_lock(&sv->mu);
    for (;;) {
        for (int i = 0; !r && i < sv->n_readers; i++)
            if (!sv->readers[i].busy) r = &sv->readers[i];
        if (r || pthread_cond_timedwait(&sv->cv, &sv->mu, &until)) break;
    }
    if (r) r->busy = true;
    pthread_mutex_unlock(&sv->mu);
    if (r) {
        refresh(r);
        jb_reset(&r->out);
    }
    return r;
}

void served_release(reader *r)
{
    if (!r) return;
    served *sv = r->sv;
    pthread_mutex_lock(&sv->mu);
    r->busy = false;
    pthread_cond_signal(&sv->cv);
    pthread_mutex_unlock(&sv->mu);
}

/* ---- the watch ------------------------------------------------------------- */

static void on_watch_event(void *user, const watch_event *e)
{
    served *sv = user;
    char when[32];
    time_t now = time(NULL);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    pthread_mutex_lock(&sv->mu);
    watch_status *ws = &sv->ws;
    if (e->kind == WATCH_READY) {
        ws->ready = true;
        ws->roots = e->roots;
        ws->polled = e->polled;
    } else if (e->kind == WATCH_PASS) {
        ws->passes++;
        ws->last = e->delta;
        snprintf(ws->last_time, sizeof ws->last_time, "%s", when);
    } else if (e->kind == WATCH_ROOT_OFFLINE || e->kind == WATCH_ROOT_ONLINE) {
        ws->offline += e->kind == WATCH_ROOT_OFFLINE ? 1 : -1;
        if (ws->offline < 0) ws->offline = 0;
    }
    pthread_mutex_unlock(&sv->mu);
    if (e->kind == WATCH_PASS)
        server_logf(sv->srv,
                    "%s: watch pass over %d path(s): added %lld, updated "
                    "%lld, moved %lld, removed %lld, failed %lld",
                    sv->name, e->paths, (long long)e->delta.added,
                    (long long)e->delta.updated, (long long)e->delta.moved,
                    (long long)e->delta.removed, (long long)e->delta.failed);
    else if (e->kind != WATCH_READY)
        server_logf(sv->srv, "%s: %s %s%s%s", sv->name,
                    e->kind == WATCH_ROOT_OFFLINE  ? "root offline (rows kept):"
                    : e->kind == WATCH_ROOT_ONLINE ? "root back online:"
                                                   : "polling",
                    e->path ? e->path : "", e->message ? " — " : "",
                    e->message ? e->message : "");
}

static void on_watch_failure(void *user, const char *path, const char *why)
{
    served *sv = user;
    (void)path; /* the reason names the file */
    server_logf(sv->srv, "%s: skipped: %s", sv->name, why);
}

/* After each committed batch: readers catch up. */
static void on_watch_progress(void *user, const indexer_progress *p)
{
    served *sv = user;
    (void)p;
    atomic_fetch_add(&sv->generation, 1);
}

static void *watch_main(void *arg)
{
    served *sv = arg;
    char err[VLM_ERR_MAX] = "";
    indexer_summary sum;
    int rc =
        indexer_watch(session_collection(sv->writer), session_index(sv->writer),
                      session_model(sv->writer), &sv->wo, &sv->io, &sum, err);
    if (rc) {
        pthread_mutex_lock(&sv->mu);
        snprintf(sv->ws.error, sizeof sv->ws.error, "%s", err);
        pthread_mutex_unlock(&sv->mu);
        server_logf(sv->srv, "%s: the watch stopped: %s", sv->name, err);
    }
    return NULL;
}

int served_start_watch(served *sv, char *err)
{
    server *srv = sv->srv;
    session_config cfg = srv->cfg.session;
    cfg.collection = sv->dir;
    cfg.access = SESSION_WRITE;
    cfg.index = SESSION_INDEX_IF_BOUND;
    cfg.parts = CLIP_PART_ALL;
    int rc = session_share(srv->model, &cfg, &sv->writer, err);
    if (rc) return rc;
    sv->wo = srv->cfg.watch_opts;
    sv->wo.on_event = on_watch_event;
    sv->wo.user = sv;
    sv->io = srv->cfg.index_opts;
    sv->io.cancel = &sv->cancel;
    sv->io.model_lock = session_model_lock(sv->writer);
    sv->io.on_progress = on_watch_progress;
    sv->io.on_failure = on_watch_failure;
    sv->io.user = sv;
    sv->ws.enabled = true;
    if (pthread_create(&sv->thread, NULL, watch_main, sv)) {
        vlm_set_err(err, "%s: cannot start the watch thread", sv->name);
        return VLM_ENOMEM;
    }
    sv->thread_started = true;
    return VLM_OK;
}

void served_stop_watch(served *sv)
{
    if (sv->thread_started) {
        sv->cancel = 1;
        pthread_join(sv->thread, NULL);
        sv->thread_started = false;
    }
    session_close(sv->writer);
    sv->writer = NULL;
}

watch_status served_watch_status(served *sv)
{
    pthread_mutex_lock(&sv->mu);
    watch_status ws = sv->ws;
    pthread_mutex_unlock(&sv->mu);
    return ws;
}
