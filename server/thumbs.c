#include "server/thumbs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <turbojpeg.h>
#include <unistd.h>

#include "media/media_file.h"

#define RENDER_MAX_SIDE  8192
#define THUMB_QUALITY    80
#define RENDER_QUALITY   90
#define MAX_SOURCE_BYTES ((int64_t)256 << 20)

/* Decodes path; JPEGs at the smallest DCT scale whose shorter side is
 * still >= min_side (0 = full size). */
static int decode(const char *path, int min_side, const dicom_window *w,
                  media_image *m, char *err)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    int rc = media_read_file(path, MAX_SOURCE_BYTES, &bytes, &len, err);
    media_decode_opts o = {.min_short_side = min_side};
    if (w) o.window = *w;
    if (!rc) rc = media_decode(bytes, len, path, &o, m, err);
    if (rc == VLM_EUNSUPPORTED && err && !err[0])
        vlm_set_err(err, "%s: not an image", path);
    free(bytes);
    return rc;
}

static int encode_jpeg(const uint8_t *rgb, int w, int h, int quality,
                       uint8_t **out, size_t *len, char *err)
{
    tjhandle tj = tjInitCompress();
    unsigned char *buf = NULL;
    unsigned long n = 0;
    int rc = tj && !tjCompress2(tj, rgb, w, 0, h, TJPF_RGB, &buf, &n,
                                TJSAMP_420, quality, TJFLAG_ACCURATEDCT)
                 ? VLM_OK
                 : VLM_EIO;
    if (rc)
        vlm_set_err(err, "JPEG encoding failed: %s",
                    tj ? tjGetErrorStr2(tj) : "no encoder");
    if (!rc && (*out = malloc(n))) {
        memcpy(*out, buf, n);
        *len = n;
    } else if (!rc) {
        rc = VLM_ENOMEM;
    }
    tjFree(buf);
    if (tj) tjDestroy(tj);
    return rc;
}

/* Resizes (keeping the aspect) so the longest side is at most max_side,
 * then encodes. */
static int fit_and_encode(const img_rgb *im, int max_side, int quality,
                          uint8_t **out, size_t *len, char *err)
{
    int w = im->width, h = im->height;
    if (w > max_side || h > max_side) {
        double s = (double)max_side / (w > h ? w : h);
        w = w * s < 1 ? 1 : (int)(w * s + 0.5);
        h = h * s < 1 ? 1 : (int)(h * s + 0.5);
    }
    if (w == im->width && h == im->height && !im->alpha)
        return encode_jpeg(im->pixels, w, h, quality, out, len, err);
    img_prep_params p = {.crop_w = w, .crop_h = h, .do_center_crop = 0};
    uint8_t *px = malloc((size_t)w * (size_t)h * 3);
    int rc = px ? img_resize_crop_u8(im, &p, px, err) : VLM_ENOMEM;
    if (!rc) rc = encode_jpeg(px, w, h, quality, out, len, err);
    free(px);
    return rc;
}

int thumb_render(const char *path, int max_side, const dicom_window *window,
                 uint8_t **out, size_t *len, char *err)
{
    media_image m = {0};
    if (max_side <= 0 || max_side > RENDER_MAX_SIDE) max_side = RENDER_MAX_SIDE;
    int rc = decode(path, max_side < RENDER_MAX_SIDE ? max_side : 0, window, &m,
                    err);
    if (!rc)
        rc = fit_and_encode(&m.rgb, max_side, RENDER_QUALITY, out, len, err);
    media_image_free(&m);
    return rc;
}

/* ---- the cache ------------------------------------------------------------- */

static int cache_dir(const char *coll_dir, int size, int64_t id, char *buf,
                     size_t n)
{
    return snprintf(buf, n, "%s/thumbs/%d/%02x", coll_dir, size,
                    (unsigned)(id & 0xff)) < (int)n
               ? VLM_OK
               : VLM_ETOOBIG;
}

static int mkdirs(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        int bad = mkdir(path, 0700) != 0 && errno != EEXIST;
        *p = '/';
        if (bad) return VLM_EIO;
    }
    return mkdir(path, 0700) == 0 || errno == EEXIST ? VLM_OK : VLM_EIO;
}

static int read_small(const char *path, uint8_t **out, size_t *len)
{
    return media_read_file(path, 16 << 20, out, len, NULL);
}

/* Older thumbnails of this id (its bytes changed since). */
static void remove_stale(const char *dir, int64_t id, const char *keep)
{
    DIR *d = opendir(dir);
    if (!d) return;
    char prefix[32], path[4096];
    int np = snprintf(prefix, sizeof prefix, "%lld-", (long long)id);
    struct dirent *e;
    while ((e = readdir(d)))
        if (!strncmp(e->d_name, prefix, (size_t)np) &&
            strcmp(e->d_name, keep) &&
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name) <
                (int)sizeof path)
            unlink(path);
    closedir(d);
}

/* Atomic: a temporary file in the same folder, then rename. */
static void store(char *dir, const char *name, const uint8_t *b, size_t n)
{
    char tmp[4400], final[4400];
    if (mkdirs(dir)) return;
    snprintf(tmp, sizeof tmp, "%s/.tmp-XXXXXX", dir);
    snprintf(final, sizeof final, "%s/%s", dir, name);
    int fd = mkstemp(tmp);
    if (fd < 0) return;
    int ok = write(fd, b, n) == (ssize_t)n && fsync(fd) == 0;
    close(fd);
    if (ok && rename(tmp, final) == 0) {
        remove_stale(dir, strtoll(name, NULL, 10), name);
        return;
    }
    unlink(tmp);
}

int thumb_get(const char *coll_dir, const thumb_image *im, int size,
              uint8_t **out, size_t *len, char *err)
{
    char dir[4096], name[256], path[4400];
    bool cacheable = im->content_hash && im->content_hash[0] &&
                     strlen(im->content_hash) < 128 &&
                     !cache_dir(coll_dir, size, im->id, dir, sizeof dir);
    if (cacheable) {
        snprintf(name, sizeof name, "%lld-%s.jpg", (long long)im->id,
                 im->content_hash);
        snprintf(path, sizeof path, "%s/%s", dir, name);
        if (!read_small(path, out, len)) return VLM_OK;
    }
    media_image m = {0};
    int rc = decode(im->path, size, NULL, &m, err);
    if (!rc) rc = fit_and_encode(&m.rgb, size, THUMB_QUALITY, out, len, err);
    media_image_free(&m);
    if (!rc && cacheable) store(dir, name, *out, *len);
    return rc;
}
