#include "media/media_decode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "media/media_isolation.h"
#include "media/worker_pool.h"

int media_name_claims_image(const char *path)
{
    static const char *const exts[] = {
        "jpg",  "jpeg", "jpe", "jfif", "png", "webp", "gif", "tif",
        "tiff", "bmp",  "pbm", "pgm",  "ppm", "pnm",  "dcm", NULL};
    const char *dot = strrchr(path, '.');
    if (!dot || strchr(dot, '/')) return 0;
    for (int i = 0; exts[i]; i++)
        if (!strcasecmp(dot + 1, exts[i])) return 1;
    return 0;
}

static int decode_dicom(const void *bytes, size_t len, const char *name,
                        const media_decode_opts *o, media_image *out, char *err)
{
    out->dicom = calloc(1, sizeof *out->dicom);
    if (!out->dicom) {
        vlm_set_err(err, "%s: out of memory", name);
        return VLM_ENOMEM;
    }
    dicom_load_opts lo = {.window = o->window, .max_pixels = o->max_pixels};
    int rc =
        dicom_load_memory(bytes, len, name, &lo, &out->rgb, out->dicom, err);
    if (rc) return rc;
    out->format = "dicom";
    out->info.width = out->rgb.width;
    out->info.height = out->rgb.height;
    out->info.orientation = 1;
    return VLM_OK;
}

static int decode_photo(const void *bytes, size_t len, const char *name,
                        const media_decode_opts *o, media_image *out, char *err)
{
    img_format f = img_sniff(bytes, len);
    if (f == IMG_UNKNOWN) {
        if (!media_name_claims_image(name)) return VLM_EUNSUPPORTED;
        vlm_set_err(err,
                    "%s: not an image: the content matches no supported format",
                    name);
        return VLM_EFORMAT;
    }
    out->format = img_format_name(f);
    img_decode_opts io = {.max_pixels = o->max_pixels,
                          .min_short_side = o->min_short_side};
    return img_decode_memory(bytes, len, name, &io, &out->rgb, &out->info, err);
}

int media_decode_in_process(const void *bytes, size_t len, const char *name,
                            const media_decode_opts *opts, media_image *out,
                            char *err)
{
    static const media_decode_opts exact = {0};
    const media_decode_opts *o = opts ? opts : &exact;
    if (!name) name = "<memory>";
    memset(out, 0, sizeof *out);
    if (err) err[0] = '\0';
    int rc = dicom_sniff(bytes, len)
                 ? decode_dicom(bytes, len, name, o, out, err)
                 : decode_photo(bytes, len, name, o, out, err);
    if (rc) media_image_free(out);
    return rc;
}

/* In a worker; a worker found dead before it saw the file (killed while
 * idle) earns the file one more try on a fresh one. */
static int decode_isolated(const isolation_settings *s, const void *bytes,
                           size_t len, const char *name,
                           const media_decode_opts *o, media_image *out,
                           char *err)
{
    int kind = dicom_sniff(bytes, len) ? WORKER_DICOM : WORKER_PHOTO;
    for (int attempt = 0;; attempt++) {
        worker *w;
        int rc = worker_pool_acquire(s, kind, &w, err);
        if (rc) {
            char why[VLM_ERR_MAX];
            snprintf(why, sizeof why, "%s", err ? err : "");
            vlm_set_err(err, "%s: %s", name, why);
            return rc;
        }
        int healthy;
        rc = worker_decode(w, s, bytes, len, name, o, out, &healthy, err);
        worker_pool_release(w, healthy);
        if (rc) media_image_free(out);
        if (healthy >= 0 || attempt) return rc;
    }
}

int media_decode(const void *bytes, size_t len, const char *name,
                 const media_decode_opts *opts, media_image *out, char *err)
{
    isolation_settings s;
    isolation_settings_get(&s);
    if (s.in_process && !s.error[0])
        return media_decode_in_process(bytes, len, name, opts, out, err);
    static const media_decode_opts exact = {0};
    if (!name) name = "<memory>";
    memset(out, 0, sizeof *out);
    if (err) err[0] = '\0';
    if (s.error[0]) {
        vlm_set_err(err, "%s: cannot decode: %s", name, s.error);
        return VLM_EINVAL;
    }
    return decode_isolated(&s, bytes, len, name, opts ? opts : &exact, out,
                           err);
}

void media_image_free(media_image *m)
{
    if (!m) return;
    img_rgb_free(&m->rgb);
    free(m->dicom);
    memset(m, 0, sizeof *m);
}
