/*
 * worker_spawn.c — starting and stopping one decode worker.
 *
 * posix_spawn (no fork of this possibly multi-threaded, model-sized
 * process), in a process group of its own so a terminal's Ctrl-C reaches
 * only the parent (which then stops between files, as in-process decoding
 * would), with stdin/stdout on /dev/null and stderr shared.  The worker
 * gets its two descriptors by number on its command line; it closes every
 * other descriptor it inherited.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "media/decode_wire.h"
#include "media/worker_pool.h"

#ifndef VLM_DECODE_WORKER_INSTALL
#define VLM_DECODE_WORKER_INSTALL ""
#endif
#ifndef VLM_DECODE_WORKER_BUILD
#define VLM_DECODE_WORKER_BUILD ""
#endif

#define SHM_INITIAL      ((size_t)1 << 20)
#define HELLO_TIMEOUT_MS 30000 /* GDCM's start-up, under qemu too */

extern char **environ;

/* The worker program: $VLMINDEX_DECODE_WORKER, else the build tree's
 * (only compiled in for uninstalled runs, and preferred there so a build
 * never talks to an older installed worker), else the installed one. */
static int find_worker(const isolation_settings *s, char *path, size_t cap,
                       char *err)
{
    if (s->worker_path[0]) {
        if (access(s->worker_path, X_OK) == 0) {
            snprintf(path, cap, "%s", s->worker_path);
            return VLM_OK;
        }
        vlm_set_err(err, "decoder worker %s: %s", s->worker_path,
                    strerror(errno));
        return VLM_ENOTFOUND;
    }
    const char *cands[] = {VLM_DECODE_WORKER_BUILD, VLM_DECODE_WORKER_INSTALL};
    for (int i = 0; i < 2; i++)
        if (cands[i][0] && access(cands[i], X_OK) == 0) {
            snprintf(path, cap, "%s", cands[i]);
            return VLM_OK;
        }
    vlm_set_err(err,
                "decoder worker not found (%s%s%s); set "
                "VLMINDEX_DECODE_WORKER, or VLMINDEX_DECODE_IN_PROCESS=1 to "
                "decode without isolation",
                VLM_DECODE_WORKER_INSTALL,
                VLM_DECODE_WORKER_BUILD[0] ? ", " : "",
                VLM_DECODE_WORKER_BUILD);
    return VLM_ENOTFOUND;
}

/* Our ends: a seqpacket socket and a memfd that can grow but never shrink. */
static int make_channels(worker *w, int *child_sock, char *err)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
        vlm_set_err(err, "decoder worker: socketpair: %s", strerror(errno));
        return VLM_EIO;
    }
    w->sock = sv[0];
    *child_sock = sv[1];
    w->shm = memfd_create("vlm-decode", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (w->shm < 0 || fcntl(w->shm, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_SEAL) ||
        ftruncate(w->shm, (off_t)SHM_INITIAL)) {
        vlm_set_err(err, "decoder worker: shared memory: %s", strerror(errno));
        return VLM_EIO;
    }
    w->map =
        mmap(NULL, SHM_INITIAL, PROT_READ | PROT_WRITE, MAP_SHARED, w->shm, 0);
    if (w->map == MAP_FAILED) {
        w->map = NULL;
        vlm_set_err(err, "decoder worker: mmap: %s", strerror(errno));
        return VLM_ENOMEM;
    }
    w->map_len = SHM_INITIAL;
    return VLM_OK;
}

static int start_process(worker *w, const char *path, int child_sock, int kind,
                         const isolation_settings *s, char *err)
{
    char fds[64], mem[16], wd[16];
    snprintf(fds, sizeof fds, "%d,%d", child_sock, w->shm);
    snprintf(mem, sizeof mem, "%d", s->memory_mb);
    /* Its own alarm: a worker whose parent died mid-file still ends. */
    snprintf(wd, sizeof wd, "%d", s->timeout_ms + 5000);
    char *argv[] = {(char *)path, "--fds",
                    fds,          "--memory-mb",
                    mem,          "--watchdog-ms",
                    wd,           kind == WORKER_DICOM ? "--dicom" : NULL,
                    NULL};
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none, dfl;
    sigemptyset(&none);
    sigfillset(&dfl);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    /* dup2 onto itself clears close-on-exec for the child only. */
    posix_spawn_file_actions_adddup2(&fa, child_sock, child_sock);
    posix_spawn_file_actions_adddup2(&fa, w->shm, w->shm);
    posix_spawnattr_init(&at);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP |
                                      POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &dfl);
    int rc = posix_spawn(&w->pid, path, &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (rc) {
        w->pid = 0;
        vlm_set_err(err, "decoder worker %s: %s", path, strerror(rc));
        return VLM_EIO;
    }
    return VLM_OK;
}

static int await_hello(worker *w, const char *path, char *err)
{
    wire_hello h;
    int got = worker_read_msg(w->sock, &h, sizeof h, HELLO_TIMEOUT_MS);
    if (got == 1 && h.abi == WIRE_ABI) {
        h.sandbox_note[sizeof h.sandbox_note - 1] = '\0';
        w->memory_mb = h.memory_mb > 0 ? h.memory_mb : 0;
        worker_note_sandbox(h.sandboxed, h.sandbox_note, w->memory_mb);
        return VLM_OK;
    }
    if (got == 1)
        vlm_set_err(err, "decoder worker %s is from another build", path);
    else if (got == 0)
        vlm_set_err(err, "decoder worker %s did not start within %d s", path,
                    HELLO_TIMEOUT_MS / 1000);
    else
        vlm_set_err(err, "decoder worker %s failed to start", path);
    return VLM_EIO;
}

int worker_spawn(const isolation_settings *s, int kind, worker **out, char *err)
{
    char path[PATH_MAX];
    int rc = find_worker(s, path, sizeof path, err);
    if (rc) return rc;
    worker *w = calloc(1, sizeof *w);
    if (!w) return VLM_ENOMEM;
    w->sock = w->shm = -1;
    w->dicom = kind == WORKER_DICOM;
    w->generation = s->generation;
    int child_sock = -1;
    rc = make_channels(w, &child_sock, err);
    if (!rc) rc = start_process(w, path, child_sock, kind, s, err);
    if (child_sock >= 0) close(child_sock);
    if (!rc) rc = await_hello(w, path, err);
    if (rc) {
        worker_destroy(w);
        return rc;
    }
    *out = w;
    return VLM_OK;
}

void worker_destroy(worker *w)
{
    if (!w) return;
    if (w->pid > 0) {
        kill(w->pid, SIGKILL);
        while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR) continue;
    }
    if (w->sock >= 0) close(w->sock);
    if (w->shm >= 0) close(w->shm);
    if (w->map) munmap(w->map, w->map_len);
    free(w);
}

void worker_describe_exit(int status, char *buf, size_t cap)
{
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        const char *ab = sigabbrev_np(sig);
        snprintf(buf, cap, "decoder crashed: SIG%s%s", ab ? ab : "?",
                 sig == SIGSYS ? " (a system call its sandbox forbids)" : "");
    } else if (WIFEXITED(status)) {
        snprintf(buf, cap, "decoder exited with status %d",
                 WEXITSTATUS(status));
    } else {
        snprintf(buf, cap, "decoder stopped");
    }
}

static pthread_mutex_t note_mu = PTHREAD_MUTEX_INITIALIZER;
static char sandbox_note[256];

void worker_note_sandbox(int sandboxed, const char *note, int memory_mb)
{
    pthread_mutex_lock(&note_mu);
    if (sandboxed)
        snprintf(sandbox_note, sizeof sandbox_note, "seccomp on");
    else
        snprintf(sandbox_note, sizeof sandbox_note, "seccomp unavailable: %s",
                 note);
    size_t n = strlen(sandbox_note);
    if (memory_mb)
        snprintf(sandbox_note + n, sizeof sandbox_note - n, ", %d MiB",
                 memory_mb);
    else
        snprintf(sandbox_note + n, sizeof sandbox_note - n,
                 ", no memory limit (sanitizer build)");
    pthread_mutex_unlock(&note_mu);
}

void worker_describe_sandbox(char *buf, size_t cap)
{
    pthread_mutex_lock(&note_mu);
    snprintf(buf, cap, "worker processes (%s)",
             sandbox_note[0] ? sandbox_note : "none started yet");
    pthread_mutex_unlock(&note_mu);
}
