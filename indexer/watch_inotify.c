#include "indexer/watch_inotify.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#define DIR_EVENTS                                                          \
    (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_CLOSE_WRITE | \
     IN_MODIFY | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

struct watch_inotify {
    int fd;
    char **paths;   /* watch descriptor -> folder path (NULL when free) */
    unsigned *pass; /* watch descriptor -> the add_tree call that saw it */
    int cap;
    unsigned epoch; /* add_tree calls so far */
};

int watch_inotify_create(watch_inotify **out, char *err)
{
    watch_inotify *w = calloc(1, sizeof *w);
    if (!w) return VLM_ENOMEM;
    w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (w->fd < 0) {
        vlm_set_err(err, "inotify: %s", strerror(errno));
        free(w);
        return VLM_EIO;
    }
    *out = w;
    return VLM_OK;
}

void watch_inotify_destroy(watch_inotify *w)
{
    if (!w) return;
    close(w->fd);
    for (int i = 0; i < w->cap; i++) free(w->paths[i]);
    free(w->paths);
    free(w->pass);
    free(w);
}

int watch_inotify_fd(const watch_inotify *w) { return w->fd; }

static int grow(watch_inotify *w, int wd)
{
    int cap = wd + 64 > 2 * w->cap ? wd + 64 : 2 * w->cap;
    char **paths = realloc(w->paths, (size_t)cap * sizeof *paths);
    if (paths) w->paths = paths;
    unsigned *pass = realloc(w->pass, (size_t)cap * sizeof *pass);
    if (pass) w->pass = pass;
    if (!paths || !pass) return VLM_ENOMEM;
    memset(paths + w->cap, 0, (size_t)(cap - w->cap) * sizeof *paths);
    memset(pass + w->cap, 0, (size_t)(cap - w->cap) * sizeof *pass);
    w->cap = cap;
    return VLM_OK;
}

/* Records (or renames: a moved folder) the path of descriptor wd. */
static int set_path(watch_inotify *w, int wd, const char *path)
{
    char *copy = strdup(path);
    if (!copy) return VLM_ENOMEM;
    free(w->paths[wd]);
    w->paths[wd] = copy;
    return VLM_OK;
}

static int add_one(watch_inotify *w, const char *dir, int *seen_before,
                   char *err)
{
    int wd = inotify_add_watch(w->fd, dir, DIR_EVENTS);
    if (wd >= w->cap && grow(w, wd)) return VLM_ENOMEM;
    if (wd < 0) {
        if (errno == ENOSPC) {
            vlm_set_err(err,
                        "%s: the inotify watch limit is reached (raise "
                        "fs.inotify.max_user_watches)",
                        dir);
            return VLM_ETOOBIG;
        }
        /* Vanished or unreadable meanwhile: its parent's events tell. */
        return VLM_OK;
    }
    /* A folder reached twice in one call (a link loop) is not entered
     * again; one seen before under another path was moved: renamed. */
    *seen_before = w->pass[wd] == w->epoch;
    w->pass[wd] = w->epoch;
    return *seen_before ? VLM_OK : set_path(w, wd, dir);
}

static int add_tree(watch_inotify *w, const char *dir, char *err)
{
    int seen = 0;
    int rc = add_one(w, dir, &seen, err);
    if (rc || seen) return rc;
    DIR *d = opendir(dir);
    if (!d) return VLM_OK;
    struct dirent *e;
    char path[4096];
    while (!rc && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue; /* hidden, like the walk */
        if (e->d_type != DT_DIR && e->d_type != DT_LNK &&
            e->d_type != DT_UNKNOWN)
            continue;
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >=
            (int)sizeof path)
            continue;
        DIR *probe = e->d_type == DT_DIR ? NULL : opendir(path);
        if (e->d_type == DT_DIR || probe) rc = add_tree(w, path, err);
        if (probe) closedir(probe);
    }
    closedir(d);
    return rc;
}

int watch_inotify_add_tree(watch_inotify *w, const char *dir, char *err)
{
    w->epoch++;
    return add_tree(w, dir, err);
}

typedef void (*change_cb)(void *user, int what, const char *path);

/* One event: which path to look at again. */
static void handle_event(watch_inotify *w, const struct inotify_event *ev,
                         change_cb cb, void *user)
{
    if (ev->mask & IN_Q_OVERFLOW) {
        cb(user, WATCH_OVERFLOW, NULL);
        return;
    }
    const char *dir = ev->wd >= 0 && ev->wd < w->cap ? w->paths[ev->wd] : NULL;
    if (!dir) return;
    if (ev->mask & (IN_IGNORED | IN_UNMOUNT | IN_DELETE_SELF | IN_MOVE_SELF)) {
        if (ev->mask & (IN_UNMOUNT | IN_DELETE_SELF)) cb(user, WATCH_GONE, dir);
        if (ev->mask & IN_IGNORED) {
            free(w->paths[ev->wd]);
            w->paths[ev->wd] = NULL;
        }
        return;
    }
    if (!ev->len || ev->name[0] == '.') return; /* hidden: the walk skips it */
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir, ev->name) >= (int)sizeof path)
        return;
    if (!(ev->mask & IN_ISDIR)) {
        cb(user, WATCH_CHANGED, dir);
        return;
    }
    if (ev->mask & (IN_CREATE | IN_MOVED_TO))
        (void)watch_inotify_add_tree(w, path, NULL); /* limit: rescan tells */
    cb(user, WATCH_CHANGED, path);
}

int watch_inotify_read(watch_inotify *w, change_cb cb, void *user)
{
    char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
    int events = 0;
    for (;;) {
        ssize_t n = read(w->fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break; /* EAGAIN: nothing more pending */
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            handle_event(w, ev, cb, user);
            events++;
            p += sizeof *ev + ev->len;
        }
    }
    return events;
}
