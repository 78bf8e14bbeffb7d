/*
 * worker_serve.c — the decode worker: set itself up, then answer decode
 * requests with media_decode_in_process() until its parent hangs up.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "media/decode_wire.h"
#include "media/decode_worker.h"
#include "media/media_isolation.h"

#define SHM_STEP ((size_t)1 << 20)

typedef struct wstate {
    int sock;
    worker_shm shm;
    int watchdog_ms;
    media_worker_hook_fn *hook;
} wstate;

typedef struct wargs {
    int sock, shm, memory_mb, watchdog_ms, dicom;
} wargs;

static int parse_args(int argc, char **argv, wargs *a)
{
    memset(a, 0, sizeof *a);
    a->sock = a->shm = -1;
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : "";
        if (!strcmp(argv[i], "--dicom"))
            a->dicom = 1;
        else if (!strcmp(argv[i], "--fds") && ++i)
            sscanf(v, "%d,%d", &a->sock, &a->shm);
        else if (!strcmp(argv[i], "--memory-mb") && ++i)
            a->memory_mb = atoi(v);
        else if (!strcmp(argv[i], "--watchdog-ms") && ++i)
            a->watchdog_ms = atoi(v);
        else
            return -1;
    }
    return a->sock > 2 && a->shm > 2 && a->sock != a->shm ? 0 : -1;
}

/* Only stdin/stdout/stderr and our two channels stay open. */
static void close_inherited(int a, int b)
{
    int lo = a < b ? a : b, hi = a < b ? b : a;
    if (lo > 3) close_range(3, (unsigned)lo - 1, 0);
    if (hi > lo + 1) close_range((unsigned)lo + 1, (unsigned)hi - 1, 0);
    close_range((unsigned)hi + 1, ~0u, 0);
}

int worker_shm_map(worker_shm *w, size_t need)
{
    struct stat st;
    if (fstat(w->fd, &st)) return -1;
    size_t size = (size_t)st.st_size;
    if (size < need) {
        size = (need + SHM_STEP - 1) / SHM_STEP * SHM_STEP;
        if (ftruncate(w->fd, (off_t)size)) return -1;
    }
    if (size == w->map_len) return 0;
    void *m =
        w->map ? mremap(w->map, w->map_len, size, MREMAP_MAYMOVE)
               : mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, w->fd, 0);
    if (m == MAP_FAILED) return -1;
    w->map = m;
    w->map_len = size;
    return 0;
}

/* Kills this worker if one file takes far longer than the parent waits,
 * so it also ends when the parent is gone. */
static void watchdog(int ms)
{
    struct itimerval t = {{0, 0}, {ms / 1000, (ms % 1000) * 1000}};
    setitimer(ITIMER_REAL, &t, NULL);
}

static int put_pixels(worker_shm *w, const media_image *m, wire_reply *r)
{
    size_t px = (size_t)m->rgb.width * (size_t)m->rgb.height;
    size_t need = 3 * px + (m->rgb.alpha ? px : 0);
    if (worker_shm_map(w, need)) {
        vlm_set_err(r->err, "decoder: no shared memory for %zu bytes", need);
        return VLM_ENOMEM;
    }
    memcpy(w->map, m->rgb.pixels, 3 * px);
    if (m->rgb.alpha) memcpy(w->map + 3 * px, m->rgb.alpha, px);
    r->width = m->rgb.width;
    r->height = m->rgb.height;
    r->nearest = m->rgb.nearest;
    r->has_alpha = m->rgb.alpha != NULL;
    r->out_len = need;
    r->info = m->info;
    r->format = m->dicom ? WIRE_FORMAT_DICOM : (int32_t)m->info.format;
    r->has_dicom = m->dicom != NULL;
    if (m->dicom) r->dicom = *m->dicom;
    return VLM_OK;
}

void worker_answer(worker_shm *w, wire_request *q, wire_reply *r,
                   media_worker_hook_fn *hook)
{
    memset(r, 0, sizeof *r);
    q->name[sizeof q->name - 1] = '\0';
    if (q->in_len > w->map_len) {
        r->rc = VLM_EIO;
        vlm_set_err(r->err, "%s: decoder: input beyond shared memory", q->name);
        return;
    }
    if (hook && hook(w->map, q->in_len, q->name, &r->rc, r->err)) return;
    media_decode_opts o = {.max_pixels = q->max_pixels,
                           .min_short_side = q->min_short_side,
                           .window = q->window};
    media_image m;
    r->rc = media_decode_in_process(w->map, q->in_len, q->name, &o, &m, r->err);
    if (r->rc == VLM_OK) r->rc = put_pixels(w, &m, r);
    media_image_free(&m);
}

static int serve(wstate *w)
{
    static wire_request q;
    static wire_reply r;
    for (;;) {
        ssize_t n = read(w->sock, &q, sizeof q);
        if (n < 0 && errno == EINTR) continue;
        if (n == 0) return 0; /* the parent hung up */
        if (n != (ssize_t)sizeof q) return 3;
        if (worker_shm_map(&w->shm, 0)) return 4; /* the parent grew it? */
        watchdog(w->watchdog_ms);
        worker_answer(&w->shm, &q, &r, w->hook);
        watchdog(0);
        if (write(w->sock, &r, sizeof r) != (ssize_t)sizeof r) return 5;
    }
}

int media_worker_main(int argc, char **argv, media_worker_hook_fn *hook)
{
    wargs a;
    static wire_hello h;
    if (parse_args(argc, argv, &a)) {
        fprintf(stderr,
                "%s: not meant to be run by hand (vlmindex starts "
                "it as a decode worker)\n",
                argv[0]);
        return 2;
    }
    close_inherited(a.sock, a.shm);
    wstate w = {.sock = a.sock,
                .shm = {.fd = a.shm},
                .watchdog_ms = a.watchdog_ms,
                .hook = hook};
    char dicom_err[VLM_ERR_MAX]; /* decodes will report it again */
    if (a.dicom) dicom_module_preload(dicom_err);
    if (worker_shm_map(&w.shm, 0)) return 4;
    h.abi = WIRE_ABI;
    h.sandboxed = worker_sandbox_enter(a.memory_mb, &h.memory_mb,
                                       h.sandbox_note, sizeof h.sandbox_note);
    if (write(w.sock, &h, sizeof h) != (ssize_t)sizeof h) return 5;
    return serve(&w);
}
