/*
 * worker_pool.h — the parent's side of decode isolation (internal to
 * media/): the settings, the process-wide pool of decode workers, and one
 * decode request on a worker.  See media_isolation.h for the behaviour and
 * decode_wire.h for the messages.
 */
#ifndef VLM_MEDIA_WORKER_POOL_H
#define VLM_MEDIA_WORKER_POOL_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "media/media_isolation.h"

typedef struct isolation_settings {
    int in_process;
    int fsize_limited; /* in process because of RLIMIT_FSIZE (ulimit -f) */
    int timeout_ms, memory_mb, max_workers;
    char worker_path[PATH_MAX]; /* "" = search */
    char error[VLM_ERR_MAX];    /* a malformed setting: every decode fails */
    unsigned generation;        /* bumped by every change */
} isolation_settings;

/* A copy of the current settings (from the environment on first use). */
void isolation_settings_get(isolation_settings *out);

typedef struct worker {
    pid_t pid;
    int sock, shm;       /* our ends: seqpacket socket, memfd */
    uint8_t *map;        /* our view of the memfd */
    size_t map_len;      /* bytes mapped (== the memfd's size when grown) */
    int dicom;           /* GDCM loaded before the sandbox went on */
    int memory_mb;       /* the limit the worker applied (0 = none) */
    unsigned generation; /* settings it was started with */
    int served;          /* files decoded; replaced at WORKER_MAX_FILES */
    struct worker *next;
} worker;

enum {
    WORKER_PHOTO = 0,
    WORKER_DICOM = 1
};

/* A worker is replaced after this many files, so what a library leaks
 * per file (GDCM leaks its JPEG 2000 codec on some damaged files) stays
 * bounded; a start costs a few milliseconds. */
#define WORKER_MAX_FILES 5000

/* An idle worker that can decode `kind`, or a new one (blocks while
 * max_workers are busy). */
int worker_pool_acquire(const isolation_settings *s, int kind, worker **out,
                        char *err);
/* Back to the pool, or stopped when healthy <= 0. */
void worker_pool_release(worker *w, int healthy);
/* Stops every idle worker (busy ones stop when released). */
void worker_pool_drain(void);

/* Starts one worker and waits for its hello. */
int worker_spawn(const isolation_settings *s, int kind, worker **out,
                 char *err);
/* Kills (SIGKILL) and reaps it, frees everything. */
void worker_destroy(worker *w);
/* Parent-side text about the last hello, for media_isolation_describe. */
void worker_note_sandbox(int sandboxed, const char *note, int memory_mb);
void worker_describe_sandbox(char *buf, size_t cap);

/* One decode on an acquired worker.  *healthy = 1 when the worker can
 * take the next file, 0 when it died on this one, timed out or broke the
 * protocol (the error says which), -1 when it was found dead before it
 * saw this file (a retry on a fresh worker is fair). */
int worker_decode(worker *w, const isolation_settings *s, const void *bytes,
                  size_t len, const char *name, const media_decode_opts *o,
                  media_image *out, int *healthy, char *err);

/* A reply (with the pixels in w's shared memory) turned into *out, or
 * into the worker's error (its status returned).  Trusts nothing in it;
 * *healthy = 0 for a reply that breaks the protocol or ran out of memory.
 * Part of worker_decode; exposed for the fuzz target. */
struct wire_request;
struct wire_reply;
int worker_take_reply(worker *w, const struct wire_request *q,
                      struct wire_reply *r, media_image *out, int *healthy,
                      char *err);

/* Reads one message of exactly `len` bytes within timeout_ms: 1 = got it,
 * 0 = timed out, -1 = the peer closed or sent something else. */
int worker_read_msg(int fd, void *msg, size_t len, int timeout_ms);

/* "decoder crashed: SIGABRT" / "decoder exited with status 3" for a
 * reaped worker's wait status. */
void worker_describe_exit(int status, char *buf, size_t cap);

#endif
