#include "session/session_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#define POLL_MS 50

struct session_lock {
    int fd;
};

static void sleep_ms(int ms)
{
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* "pid 123 (vlmindex add) for 5 s" from the holder's note, or "another
 * process" when the note cannot be read. */
static void describe_holder(int fd, char *out, size_t n)
{
    char buf[256] = "";
    ssize_t got = pread(fd, buf, sizeof buf - 1, 0);
    long pid = 0;
    long long since = 0;
    char what[128] = "";
    buf[got > 0 ? got : 0] = '\0';
    if (sscanf(buf, "pid %ld\n%127[^\n]\nsince %lld", &pid, what, &since) < 1 ||
        pid <= 0) {
        snprintf(out, n, "another process");
        return;
    }
    long long age = since > 0 ? (long long)time(NULL) - since : -1;
    if (age >= 0)
        snprintf(out, n, "pid %ld (%s) for %lld s", pid, what, age);
    else
        snprintf(out, n, "pid %ld (%s)", pid, what);
}

static void write_note(int fd, const char *what)
{
    char note[256];
    int len =
        snprintf(note, sizeof note, "pid %ld\n%s\nsince %lld\n", (long)getpid(),
                 what && *what ? what : "a writer", (long long)time(NULL));
    if (ftruncate(fd, 0) == 0 && len > 0)
        (void)!pwrite(fd, note, (size_t)len, 0);
}

static int open_lock_file(const char *dir, bool private_perms, char *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, SESSION_LOCK_NAME);
    int fd =
        open(path, O_RDWR | O_CREAT | O_CLOEXEC, private_perms ? 0600 : 0644);
    if (fd >= 0) return fd;
    int e = errno;
    if (e == EACCES || e == EROFS || e == EPERM) {
        char who[64];
        if (e == EROFS)
            snprintf(who, sizeof who, "on a read-only file system");
        else
            snprintf(who, sizeof who, "read-only for this user (uid %u)",
                     (unsigned)geteuid());
        vlm_set_err(err,
                    "collection %s is %s: changing it (add, update, rm, "
                    "reset, repair, classify, caption) needs write access to "
                    "the folder; searches and `vlmindex status` work "
                    "read-only",
                    dir, who);
        return VLM_EREADONLY;
    }
    vlm_set_err(err, "cannot open the writer lock %s: %s", path, strerror(e));
    return e == ENOENT ? VLM_ENOTFOUND : VLM_EIO;
}

/* Waits until the lock is ours (polling, so a cancel flag is honoured
 * without relying on signals interrupting flock). */
static int wait_for_lock(int fd, const char *dir, const session_lock_options *o,
                         char *err)
{
    bool told = false;
    for (;;) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) return VLM_OK;
        if (errno != EWOULDBLOCK && errno != EINTR) {
            vlm_set_err(err, "cannot lock %s/%s: %s", dir, SESSION_LOCK_NAME,
                        strerror(errno));
            return VLM_EIO;
        }
        char holder[200];
        describe_holder(fd, holder, sizeof holder);
        if (o->no_wait) {
            vlm_set_err(err,
                        "collection %s is being changed by %s; try again "
                        "when it is done (without --no-wait a writer waits)",
                        dir, holder);
            return VLM_EBUSY;
        }
        if (!told && o->waiting) o->waiting(o->user, dir, holder);
        told = true;
        if (o->cancel && *o->cancel) {
            vlm_set_err(err,
                        "interrupted while waiting for %s to finish "
                        "with collection %s",
                        holder, dir);
            return VLM_EINTERRUPTED;
        }
        sleep_ms(POLL_MS);
    }
}

int session_lock_take(const char *dir, const session_lock_options *o,
                      session_lock **out, char *err)
{
    static const session_lock_options defaults = {0};
    if (!o) o = &defaults;
    *out = NULL;
    int fd = open_lock_file(dir, o->private_perms, err);
    if (fd < 0) return fd; /* a VLM_E* status */
    session_lock *l = malloc(sizeof *l);
    int rc = l ? wait_for_lock(fd, dir, o, err) : VLM_ENOMEM;
    if (!l) vlm_set_err(err, "out of memory");
    if (rc) {
        close(fd);
        free(l);
        return rc;
    }
    write_note(fd, o->what);
    l->fd = fd;
    *out = l;
    return VLM_OK;
}

void session_lock_release(session_lock *l)
{
    if (!l) return;
    close(l->fd); /* releases the flock */
    free(l);
}
