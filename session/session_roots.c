#include "session/session_roots.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* Indexed files looked at when the device changed. */
#define SAMPLE_FILES 8

static void offline(session_root_status *out, session_root_state state,
                    const char *reason)
{
    out->state = state;
    out->offline = true;
    out->kind = COLLECTION_ROOT_UNKNOWN;
    snprintf(out->reason, sizeof out->reason, "%s", reason);
}

/* 1 when the folder has no entry a walk would visit (hidden ones are
 * never walked), 0 when it has one, -1 (errno set) when unreadable. */
static int folder_is_empty(const char *path)
{
    DIR *d = opendir(path);
    if (!d) return -1;
    struct dirent *e;
    int empty = 1;
    while (empty && (e = readdir(d)))
        if (e->d_name[0] != '.') empty = 0;
    closedir(d);
    return empty;
}

/* Whether any of a few indexed files is there: tells a renumbered device
 * (disks can get new numbers across reboots) from another disk. */
static bool any_file_there(char *const *paths, size_t n)
{
    struct stat st;
    for (size_t i = 0; i < n; i++)
        if (stat(paths[i], &st) == 0) return true;
    return false;
}

/* The file system's side: does it exist, is it what it was. */
static bool probe_node(const char *root, int recorded_kind, struct stat *st,
                       session_root_status *out)
{
    if (stat(root, st) != 0) {
        int e = errno;
        if (e == ENOENT || e == ENOTDIR)
            offline(out, SESSION_ROOT_MISSING,
                    "missing (moved, renamed, or its disk or share is not "
                    "mounted)");
        else
            offline(out, SESSION_ROOT_UNREADABLE, strerror(e));
        return false;
    }
    out->dev = (uint64_t)st->st_dev;
    bool dir = S_ISDIR(st->st_mode), file = S_ISREG(st->st_mode);
    const char *changed = recorded_kind == COLLECTION_ROOT_FILE && !file
                              ? "no longer a regular file"
                          : recorded_kind == COLLECTION_ROOT_DIR && !dir
                              ? "no longer a folder"
                          : !dir && !file ? "neither a folder nor a file"
                                          : NULL;
    if (changed) {
        offline(out, SESSION_ROOT_CHANGED_KIND, changed);
        return false;
    }
    out->kind = dir ? COLLECTION_ROOT_DIR : COLLECTION_ROOT_FILE;
    return true;
}

int session_root_probe(collection *c, const char *root,
                       session_root_status *out, char *err)
{
    memset(out, 0, sizeof *out);
    collection_root rec = {0};
    int rc = collection_get_root(c, root, &rec, err);
    if (rc && rc != VLM_ENOTFOUND) return rc;
    struct stat st;
    if (!probe_node(root, rec.kind, &st, out) ||
        out->kind == COLLECTION_ROOT_FILE)
        return VLM_OK;
    int empty = folder_is_empty(root);
    if (empty < 0) {
        char why[160];
        snprintf(why, sizeof why, "cannot read it: %s", strerror(errno));
        offline(out, SESSION_ROOT_UNREADABLE, why);
        return VLM_OK;
    }
    char **sample = NULL;
    size_t n = 0;
    rc = collection_sample_under(c, root, SAMPLE_FILES, &sample, &n, err);
    /* n == 0: nothing indexed under it, so nothing to lose. */
    if (!rc && n && empty)
        offline(out, SESSION_ROOT_EMPTY, "empty (an unmounted disk or share?)");
    else if (!rc && n && rec.has_dev && rec.dev != out->dev &&
             !any_file_there(sample, n))
        offline(out, SESSION_ROOT_OTHER_DEVICE,
                "on another device than when added, without its files (a "
                "different disk mounted there?)");
    collection_free_strings(sample, n);
    return rc;
}
