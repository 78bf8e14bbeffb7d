/* vlm_cache.c — the cache folder and atomic cache writes (vlm_cache.h). */
#include "model/core/vlm_cache.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/core/vlm_error.h"

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

char *vlm_cache_path(const char *name)
{
    const char *off = env("VLMINDEX_NO_CACHE");
    if (off && strcmp(off, "0") != 0) return NULL;
    const char *root = env("VLMINDEX_CACHE_DIR"), *sub = "";
    if (!root) {
        const char *xdg = env("XDG_CACHE_HOME");
        /* The XDG spec says relative values are invalid and to be ignored. */
        if (xdg && xdg[0] == '/') {
            root = xdg;
            sub = "/vlmindex";
        } else if ((root = env("HOME"))) {
            sub = "/.cache/vlmindex";
        } else {
            return NULL;
        }
    }
    int n = snprintf(NULL, 0, "%s%s/%s", root, sub, name);
    char *path = n > 0 ? malloc((size_t)n + 1) : NULL;
    if (path) snprintf(path, (size_t)n + 1, "%s%s/%s", root, sub, name);
    return path;
}

/* mkdir -p for the folder part of `path`; new folders are private. */
static int make_parent_dirs(const char *path)
{
    char *dir = strdup(path);
    if (!dir) return VLM_ENOMEM;
    int rc = VLM_OK;
    for (char *p = strchr(dir + 1, '/'); p && rc == VLM_OK;
         p = strchr(p + 1, '/')) {
        *p = 0;
        if (mkdir(dir, 0700) != 0 && errno != EEXIST) rc = VLM_EIO;
        *p = '/';
    }
    free(dir);
    return rc;
}

static int write_all(int fd, const char *buf, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return VLM_EIO;
        buf += w;
        n -= (size_t)w;
    }
    return VLM_OK;
}

int vlm_cache_write(const char *path, const void *buf, size_t size)
{
    int rc = make_parent_dirs(path);
    if (rc != VLM_OK) return rc;
    size_t n = strlen(path) + 16;
    char *tmp = malloc(n);
    if (!tmp) return VLM_ENOMEM;
    snprintf(tmp, n, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    rc = fd < 0 ? VLM_EIO : VLM_OK;
    if (rc == VLM_OK) {
        if (fchmod(fd, 0644) != 0 || write_all(fd, buf, size) != VLM_OK ||
            fsync(fd) != 0)
            rc = VLM_EIO;
        if (close(fd) != 0) rc = VLM_EIO;
        if (rc == VLM_OK && rename(tmp, path) != 0) rc = VLM_EIO;
        if (rc != VLM_OK) unlink(tmp);
    }
    free(tmp);
    return rc;
}
