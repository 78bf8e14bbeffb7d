/*
 * worker_call.c — one decode on a worker: the input into shared memory, a
 * request, a reply within the time limit, and the reply checked as the
 * untrusted thing it is before its pixels are copied out.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "media/decode_wire.h"
#include "media/worker_pool.h"

#define SHM_STEP ((size_t)1 << 20)
/* Shared memory a worker keeps between files; the rest is given back. */
#define SHM_KEEP ((size_t)32 << 20)

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int worker_read_msg(int fd, void *msg, size_t len, int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        int64_t left = deadline - now_ms();
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, left > 0 ? (int)left : 0);
        if (r < 0 && errno == EINTR) continue;
        if (r == 0) return 0;
        if (r < 0) return -1;
        ssize_t n = recv(fd, msg, len, MSG_TRUNC);
        if (n < 0 && errno == EINTR) continue;
        return n == (ssize_t)len ? 1 : -1;
    }
}

/* Our view covers the whole memfd, which holds at least `need` bytes. */
static int map_shm(worker *w, size_t need, char *err)
{
    struct stat st;
    if (fstat(w->shm, &st)) goto fail;
    size_t size = (size_t)st.st_size;
    if (size < need) {
        size = (need + SHM_STEP - 1) / SHM_STEP * SHM_STEP;
        if (ftruncate(w->shm, (off_t)size)) goto fail;
    }
    if (w->map_len < size) {
        void *m = mremap(w->map, w->map_len, size, MREMAP_MAYMOVE);
        if (m == MAP_FAILED) goto fail;
        w->map = m;
        w->map_len = size;
    }
    return VLM_OK;
fail:
    vlm_set_err(err, "decoder shared memory (%zu bytes): %s", need,
                strerror(errno));
    return VLM_ENOMEM;
}

/* A big file's pages go back to the system once it is decoded. */
static void trim_shm(worker *w)
{
    if (w->map_len > SHM_KEEP)
        fallocate(w->shm, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                  (off_t)SHM_KEEP, (off_t)(w->map_len - SHM_KEEP));
}

/* The wait status of a worker that closed its socket (it is exiting),
 * killing it if it lingers; -1 if someone else reaped it. */
static int reap(worker *w)
{
    int st = -1;
    for (int waited_ms = 0;; waited_ms += 2) {
        pid_t r = waitpid(w->pid, &st, WNOHANG);
        if (r == w->pid) break;
        if (r < 0 && errno != EINTR) {
            st = -1;
            break;
        }
        if (waited_ms >= 2000) {
            kill(w->pid, SIGKILL);
            while (waitpid(w->pid, &st, 0) < 0 && errno == EINTR) continue;
            break;
        }
        usleep(2000);
    }
    w->pid = 0;
    return st;
}

static void describe_death(worker *w, const char *name, char *err)
{
    int st = reap(w);
    char why[128] = "decoder ended (status unknown)";
    if (st != -1) worker_describe_exit(st, why, sizeof why);
    vlm_set_err(err, "%s: %s", name, why);
}

static void describe_timeout(worker *w, const isolation_settings *s,
                             const char *name, char *err)
{
    kill(w->pid, SIGKILL);
    while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR) continue;
    w->pid = 0;
    vlm_set_err(err, "%s: decoder timed out after %g s", name,
                s->timeout_ms / 1000.0);
}

static void fill_request(wire_request *q, size_t len, const char *name,
                         const media_decode_opts *o)
{
    memset(q, 0, sizeof *q);
    q->in_len = len;
    q->max_pixels = o->max_pixels ? o->max_pixels : IMG_DEFAULT_MAX_PIXELS;
    q->min_short_side = o->min_short_side;
    q->window = o->window;
    snprintf(q->name, sizeof q->name, "%s", name);
}

/* Cuts every string of a reply at its array's end; clamps what indexes
 * tables.  A well-behaved worker's reply passes unchanged. */
static void terminate_reply(wire_reply *r)
{
#define CUT(a) ((a)[sizeof(a) - 1] = '\0')
    CUT(r->err);
    CUT(r->info.exif_datetime);
    dicom_header *h = &r->dicom;
    CUT(h->study_uid), CUT(h->series_uid), CUT(h->sop_uid);
    CUT(h->sop_class_uid), CUT(h->accession), CUT(h->modality);
    CUT(h->body_part), CUT(h->study_date), CUT(h->series_description);
    CUT(h->photometric), CUT(h->transfer_syntax);
#undef CUT
    if (r->info.orientation < 1 || r->info.orientation > 8)
        r->info.orientation = 1;
    if ((unsigned)h->window.kind > DICOM_WINDOW_STORED_LUT)
        h->window.kind = DICOM_WINDOW_DEFAULT;
    if ((unsigned)h->window.function > DICOM_VOI_SIGMOID)
        h->window.function = DICOM_VOI_LINEAR;
}

/* The worker's message, which names the input first like every decode
 * error ("x.jpg: ..."); one that does not (a worker gone astray) gets the
 * name put in front, so the parent's messages always say which file. */
static void name_input(const char *name, int rc, const char *msg, char *err)
{
    size_t n = strlen(name);
    if (!err) return;
    if (!msg[0] && rc != VLM_EUNSUPPORTED) /* only "no image" is silent */
        vlm_set_err(err, "%s: decoder failed without a reason", name);
    else if (!msg[0] || (!strncmp(msg, name, n) && !strncmp(msg + n, ": ", 2)))
        snprintf(err, VLM_ERR_MAX, "%s", msg);
    else
        vlm_set_err(err, "%s: %s", name, msg);
}

/* VLM_OK when a successful reply describes pixels we can take. */
static int check_pixels(worker *w, const wire_request *q, const wire_reply *r,
                        char *err)
{
    uint64_t px = (uint64_t)r->width * (uint64_t)r->height;
    uint64_t want = 3 * px + (r->has_alpha ? px : 0);
    struct stat st;
    int ok = r->width > 0 && r->height > 0 && px <= q->max_pixels &&
             px < ((uint64_t)1 << 48) && /* no overflow in `want` */
             (r->format == WIRE_FORMAT_DICOM
                  ? r->has_dicom
                  : r->format > IMG_UNKNOWN && r->format <= IMG_PNM) &&
             r->out_len == want && fstat(w->shm, &st) == 0 &&
             want <= (uint64_t)st.st_size;
    if (!ok) {
        vlm_set_err(err, "%s: decoder worker sent a malformed reply", q->name);
        return VLM_EIO;
    }
    return map_shm(w, (size_t)want, err);
}

static int copy_out(const worker *w, const wire_reply *r, media_image *out,
                    char *err, const char *name)
{
    size_t px = (size_t)r->width * (size_t)r->height;
    out->rgb.pixels = malloc(3 * px);
    out->rgb.alpha = r->has_alpha ? malloc(px) : NULL;
    out->dicom = r->has_dicom ? malloc(sizeof *out->dicom) : NULL;
    if (!out->rgb.pixels || (r->has_alpha && !out->rgb.alpha) ||
        (r->has_dicom && !out->dicom)) {
        vlm_set_err(err, "%s: out of memory for the decoded image", name);
        return VLM_ENOMEM;
    }
    memcpy(out->rgb.pixels, w->map, 3 * px);
    if (r->has_alpha) memcpy(out->rgb.alpha, w->map + 3 * px, px);
    if (r->has_dicom) *out->dicom = r->dicom;
    out->rgb.width = r->width;
    out->rgb.height = r->height;
    out->rgb.nearest = r->nearest != 0;
    out->info = r->info;
    out->format = r->format == WIRE_FORMAT_DICOM
                      ? "dicom"
                      : img_format_name((img_format)r->format);
    return VLM_OK;
}

int worker_take_reply(worker *w, const wire_request *q, wire_reply *r,
                      media_image *out, int *healthy, char *err)
{
    terminate_reply(r);
    if (r->rc > 0 || r->rc < VLM_ENETWORK) {
        *healthy = 0;
        vlm_set_err(err, "%s: decoder worker sent a malformed reply", q->name);
        return VLM_EIO;
    }
    if (r->rc) {
        name_input(q->name, r->rc, r->err, err);
        if (r->rc == VLM_ENOMEM && w->memory_mb && err) {
            size_t n = strlen(err);
            snprintf(err + n, VLM_ERR_MAX - n, " (decoder memory limit %d MiB)",
                     w->memory_mb);
        }
        /* Out of memory, it may still hold what it leaked: replace it. */
        if (r->rc == VLM_ENOMEM) *healthy = 0;
        return r->rc;
    }
    int rc = check_pixels(w, q, r, err);
    if (rc == VLM_EIO) *healthy = 0;
    if (!rc) rc = copy_out(w, r, out, err, q->name);
    return rc;
}

int worker_decode(worker *w, const isolation_settings *s, const void *bytes,
                  size_t len, const char *name, const media_decode_opts *o,
                  media_image *out, int *healthy, char *err)
{
    static __thread wire_request q; /* 4 KiB: off the (maybe small) stack */
    static __thread wire_reply r;
    *healthy = 1;
    int rc = map_shm(w, len, err);
    if (rc) return rc;
    if (len) memcpy(w->map, bytes, len);
    fill_request(&q, len, name, o);
    if (send(w->sock, &q, sizeof q, MSG_NOSIGNAL) != (ssize_t)sizeof q) {
        *healthy = -1; /* it died before this file: the caller may retry */
        describe_death(w, name, err);
        return VLM_EIO;
    }
    int got = worker_read_msg(w->sock, &r, sizeof r, s->timeout_ms);
    if (got != 1) {
        *healthy = 0;
        if (got == 0)
            describe_timeout(w, s, name, err);
        else
            describe_death(w, name, err);
        return got == 0 ? VLM_ETOOBIG : VLM_EFORMAT;
    }
    rc = worker_take_reply(w, &q, &r, out, healthy, err);
    trim_shm(w);
    if (++w->served >= WORKER_MAX_FILES && *healthy > 0) *healthy = 0;
    return rc;
}
