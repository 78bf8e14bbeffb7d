/*
 * media_isolation.h — where media_decode() runs the decoders.
 *
 * By default every call of media_decode() hands the bytes to a worker
 * process (vlm-decode-worker) from a small pool shared by the whole
 * process: the input goes through shared memory, the RGB pixels come back
 * the same way.  A worker runs under an address-space limit, a per-file
 * time limit and a seccomp filter (no network, no opening or creating of
 * files, no exec, no new processes or threads; anything unexpected kills
 * it).  A worker that crashes, aborts, runs out of its memory or time
 * costs one file: that call fails with the reason ("x.dcm: decoder
 * crashed: SIGABRT") and the next call gets a fresh worker.
 *
 * Workers that decode DICOM load the GDCM module before the filter goes
 * on (it cannot be opened afterwards); workers for photo formats never
 * load it.
 *
 * Settings come from media_isolation_configure() or, until that is called,
 * from the environment (read once, on the first decode):
 *   VLMINDEX_DECODE_IN_PROCESS=1   decode in the calling process (tests,
 *                                  debugging under gdb/valgrind)
 *   VLMINDEX_DECODE_TIMEOUT=S      seconds per file (default 60)
 *   VLMINDEX_DECODE_MEMORY_MB=M    address-space limit of a worker
 *                                  (default 4096)
 *   VLMINDEX_DECODE_WORKER=PATH    the worker program (default: the
 *                                  installed one, or the build tree's)
 * A malformed value makes every decode fail with a message naming the
 * variable, rather than run with a limit nobody asked for.
 */
#ifndef VLM_MEDIA_ISOLATION_H
#define VLM_MEDIA_ISOLATION_H

#include <stddef.h>

#include "media/media_decode.h"

#define MEDIA_DEFAULT_TIMEOUT_S 60
#define MEDIA_DEFAULT_MEMORY_MB 4096

typedef struct media_isolation_opts {
    int in_process;          /* 1: no workers, decode in the caller */
    int timeout_ms;          /* per file; 0 = MEDIA_DEFAULT_TIMEOUT_S */
    int memory_mb;           /* per worker; 0 = MEDIA_DEFAULT_MEMORY_MB */
    int max_workers;         /* 0 = 2 x cores (workers start on demand) */
    const char *worker_path; /* NULL = search (see above); copied */
} media_isolation_opts;

/* Replaces the settings (and the environment's); idle workers are stopped
 * so the next decode starts workers with the new ones.  Must not run while
 * another thread is inside media_decode(). */
int media_isolation_configure(const media_isolation_opts *o, char *err);

/* Back to the environment's settings on the next decode; stops workers. */
void media_isolation_reset(void);

/* One line for logs and tests: "in process", or "worker processes
 * (seccomp on, 4096 MiB, 60 s)" / "(seccomp unavailable: ...)" once a
 * worker has started, or "worker processes (none started yet)". */
void media_isolation_describe(char *buf, size_t cap);

/* The decoders themselves, in this process: what a worker runs for each
 * request, and what media_decode() runs in in-process mode.  Same
 * contract as media_decode(). */
int media_decode_in_process(const void *bytes, size_t len, const char *name,
                            const media_decode_opts *opts, media_image *out,
                            char *err);

#endif
