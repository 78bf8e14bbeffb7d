/*
 * test_decode_worker.c — a decode worker with a deliberately broken
 * decoder, built for the tests only (never installed, and the hook exists
 * in no other program: the installed vlm-decode-worker passes no hook).
 * Tests point media_decode() at it with media_isolation_configure() or
 * $VLMINDEX_DECODE_WORKER.
 *
 * An input that starts with "VLMTEST:" followed by a word misbehaves the
 * way a decoder bug would, inside the same sandbox; anything else is
 * decoded normally:
 *   abort    abort()                      exit   _exit(3)
 *   segv     write through a wild pointer loop   spin forever
 *   alloc    allocate and touch memory until malloc fails, then report
 *            out of memory (as a careful C decoder would); gives up
 *            after 4 GiB
 *   escape   try to open, create, connect, exec and fork; report what
 *            the sandbox allowed as "open=EACCES create=... "
 *   syscall  make a system call outside the allowlist (getppid)
 *   execmem  map executable memory
 *   ubsan    overflow a signed int (undefined behaviour)
 *   lie      claim success without producing pixels
 *   badrc    answer with a status code that does not exist
 *   anon     fail with a message that does not name the input
 *   mute     fail with no message at all
 *   pid      fail with a message giving the worker's process id
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "media/decode_worker.h"
#include "model/core/vlm_error.h"

static const char *errname(int ok, int e)
{
    return ok ? "ALLOWED" : e == EACCES ? "EACCES" : strerrorname_np(e);
}

static void try_escape(const char *name, char *err)
{
    int fd = open("/etc/hostname", O_RDONLY);
    int e1 = errno;
    int fd2 = open("/tmp/vlm-sandbox-escape", O_CREAT | O_WRONLY, 0600);
    int e2 = errno;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    int e3 = errno;
    char *argv[] = {"/bin/true", NULL};
    int ex = execve("/bin/true", argv, argv + 1);
    int e4 = errno;
    pid_t pid = fork();
    int e5 = errno;
    if (pid == 0) _exit(0);
    vlm_set_err(err, "%s: open=%s create=%s socket=%s exec=%s fork=%s", name,
                errname(fd >= 0, e1), errname(fd2 >= 0, e2),
                errname(s >= 0, e3), errname(ex == 0, e4),
                errname(pid >= 0, e5));
}

/* Bounded all the same (4 GiB): where no limit applies, the test fails
 * instead of the machine running out of memory. */
static int run_alloc(const char *name, char *err)
{
    const size_t step = (size_t)64 << 20;
    for (int i = 0; i < 64; i++) {
        char *p = malloc(step);
        if (!p) {
            vlm_set_err(err, "%s: out of memory", name);
            return VLM_ENOMEM;
        }
        memset(p, 1, step); /* kept: a leak, like the bug it stands for */
    }
    vlm_set_err(err, "%s: test worker: 4 GiB allocated, no limit hit", name);
    return VLM_EUNSUPPORTED;
}

static int misbehave(const void *bytes, size_t len, const char *name, int *rc,
                     char *err)
{
    char word[16] = "";
    if (len < 8 || memcmp(bytes, "VLMTEST:", 8)) return 0;
    memcpy(word, (const char *)bytes + 8, len - 8 < 15 ? len - 8 : 15);
    word[strcspn(word, "\n")] = '\0';
    volatile int spin = 1;
    int *volatile wild = NULL;
    if (!strcmp(word, "abort")) abort();
    if (!strcmp(word, "exit")) _exit(3);
    if (!strcmp(word, "segv")) wild[4] = 1;
    if (!strcmp(word, "loop"))
        while (spin) continue;
    if (!strcmp(word, "syscall")) syscall(SYS_getppid);
    if (!strcmp(word, "ubsan")) { /* signed overflow: UBSan reports it */
        volatile int big = INT_MAX, one = 1;
        big = big + one;
    }
    if (!strcmp(word, "execmem"))
        mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    *rc = VLM_EUNSUPPORTED;
    if (!strcmp(word, "alloc")) *rc = run_alloc(name, err);
    if (!strcmp(word, "escape")) try_escape(name, err);
    if (!strcmp(word, "lie")) *rc = VLM_OK;
    if (!strcmp(word, "anon")) {
        *rc = VLM_EFORMAT;
        vlm_set_err(err, "corrupt somewhere");
    }
    if (!strcmp(word, "mute")) *rc = VLM_EFORMAT, err[0] = '\0';
    if (!strcmp(word, "pid"))
        vlm_set_err(err, "%s: pid %ld", name, (long)getpid());
    if (!strcmp(word, "badrc")) *rc = 77;
    if (*rc == VLM_EUNSUPPORTED && !err[0])
        vlm_set_err(err, "%s: test worker: \"%s\" did what it was asked", name,
                    word);
    return 1;
}

int main(int argc, char **argv)
{
    _exit(media_worker_main(argc, argv, misbehave));
}
