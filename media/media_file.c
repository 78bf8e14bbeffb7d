#include "media/media_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int media_read_file(const char *path, int64_t max_bytes, uint8_t **buf,
                    size_t *len, char *err)
{
    int64_t max = max_bytes > 0 ? max_bytes : MEDIA_MAX_FILE_BYTES;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        vlm_set_err(err, "%s: cannot open: %s", path, strerror(errno));
        int missing = errno == ENOENT;
        if (fd >= 0) close(fd);
        return missing ? VLM_ENOTFOUND : VLM_EIO;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > max) {
        if (S_ISREG(st.st_mode))
            vlm_set_err(err, "%s: file is %lld bytes, over the %lld-byte limit",
                        path, (long long)st.st_size, (long long)max);
        else
            vlm_set_err(err, "%s: not a regular file", path);
        close(fd);
        return S_ISREG(st.st_mode) ? VLM_ETOOBIG : VLM_EIO;
    }
    size_t n = (size_t)st.st_size, got = 0;
    uint8_t *b = malloc(n ? n : 1);
    while (b && got < n) {
        ssize_t r = read(fd, b + got, n - got);
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fd);
    if (!b || got != n) {
        vlm_set_err(err, "%s: read failed: %s", path,
                    b ? "file changed while reading" : "out of memory");
        free(b);
        return b ? VLM_EIO : VLM_ENOMEM;
    }
    *buf = b;
    *len = n;
    return VLM_OK;
}

int media_load_file(const char *path, const dicom_window *window, img_rgb *out,
                    char *err)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    memset(out, 0, sizeof *out);
    int rc = media_read_file(path, 0, &bytes, &len, err);
    if (rc) return rc;
    media_decode_opts o = {0};
    if (window) o.window = *window;
    media_image m;
    rc = media_decode(bytes, len, path, &o, &m, err);
    free(bytes);
    if (rc == VLM_EUNSUPPORTED && !(err && err[0]))
        vlm_set_err(err, "%s: not a recognised image format (%zu bytes)", path,
                    len);
    if (rc) return rc;
    *out = m.rgb; /* the caller owns the pixels now */
    m.rgb = (img_rgb){0};
    media_image_free(&m);
    return VLM_OK;
}
