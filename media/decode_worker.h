/*
 * decode_worker.h — the decode worker's side (internal to media/ and to the
 * test worker): serve decode requests from one parent until it goes away.
 *
 * Start-up, before any untrusted byte is read: close every inherited
 * descriptor but the two it was given, load GDCM if asked to (--dicom),
 * then limits (address space, no core dumps) and the seccomp filter
 * (worker_sandbox.c); then a hello, then one reply per request.
 */
#ifndef VLM_MEDIA_DECODE_WORKER_H
#define VLM_MEDIA_DECODE_WORKER_H

#include <stddef.h>
#include <stdint.h>

/* Test workers only (tests/media): called inside the sandbox before each
 * decode, like a decoder would be; returns 1 when it answered the request
 * itself (*rc, err), 0 to decode normally.  The installed worker passes
 * NULL. */
typedef int media_worker_hook_fn(const void *bytes, size_t len,
                                 const char *name, int *rc, char *err);

/* The worker's view of its shared memory. */
typedef struct worker_shm {
    int fd;
    uint8_t *map;
    size_t map_len;
} worker_shm;

/* Maps the whole memfd, first growing it (never shrinking) to `need`
 * bytes; 0 or -1. */
int worker_shm_map(worker_shm *w, size_t need);

/* One request: the input at offset 0 of w's memory, decoded in this
 * process (after `hook`, if any); the reply filled, pixels at offset 0.
 * What the serve loop runs per message; exposed for the fuzz target. */
struct wire_request;
struct wire_reply;
void worker_answer(worker_shm *w, struct wire_request *q, struct wire_reply *r,
                   media_worker_hook_fn *hook);

/* main() of a worker program; argv as the parent's worker_spawn passes it.
 * Returns the exit status (0 when the parent closed the channel). */
int media_worker_main(int argc, char **argv, media_worker_hook_fn *hook);

/* Limits and the seccomp filter.  Returns 1 with the filter loaded, or 0
 * with `note` saying why the kernel refused it (e.g. under qemu-user);
 * *memory_mb_applied is the address-space limit set (0 under ASan, whose
 * shadow memory needs terabytes of address space). */
int worker_sandbox_enter(int memory_mb, int *memory_mb_applied, char *note,
                         size_t cap);

#endif
