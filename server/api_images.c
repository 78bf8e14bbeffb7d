/*
 * api_images.c — an indexed image by id: the file, its thumbnail, its
 * metadata, and for DICOM a slice rendered with a chosen window.  Never by
 * path; a DICOM file is never sent as such (its header names the patient):
 * only pixels rendered from it.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/server_internal.h"
#include "server/thumbs.h"

#define DECODES_AT_ONCE 2

/* What a handler keeps of the row once the reader is released. */
typedef struct row_copy {
    char path[COLLECTION_PATH_MAX];
    char hash[COLLECTION_HASH_MAX];
    char format[16];
    char window[64]; /* DICOM: the window it was indexed with */
    bool dicom, remote;
} row_copy;

static int copy_window(void *ud, const collection_dicom *d)
{
    snprintf(ud, 64, "%s", d->window);
    return 0;
}

/* Looks the row up; 0, or -1 after an answer (404, 503). */
static int load_row(request *r, row_copy *out, served **svp)
{
    int which;
    if (req_int_arg(r, "collection", 0, 0, 1 << 20, &which)) return -1;
    served *sv = *svp = req_collection(r, which);
    reader *rd = sv ? req_reader(r, sv) : NULL;
    if (!rd) return -1;
    collection *c = session_collection(rd->s);
    collection_image im;
    char err[VLM_ERR_MAX] = "";
    int rc = collection_get_image(c, r->id, &im, err);
    if (!rc) {
        snprintf(out->path, sizeof out->path, "%s", im.path);
        snprintf(out->hash, sizeof out->hash, "%s", im.content_hash);
        snprintf(out->format, sizeof out->format, "%s", im.format);
        out->dicom = !strncmp(im.format, "dicom", 5);
        out->remote = !strcmp(im.format, "dicomweb"); /* path is a URL */
        out->window[0] = 0;
        if (out->dicom)
            collection_get_dicom(c, r->id, copy_window, out->window, NULL);
    }
    served_release(rd);
    if (rc)
        reply_error(r, http_status_for(rc), "no image %lld", (long long)r->id);
    return rc ? -1 : 0;
}

/* Decoding is the heavy part: a few at a time. */
static void decode_enter(server *srv)
{
    pthread_mutex_lock(&srv->decode_mu);
    while (srv->decoding >= DECODES_AT_ONCE)
        pthread_cond_wait(&srv->decode_cv, &srv->decode_mu);
    srv->decoding++;
    pthread_mutex_unlock(&srv->decode_mu);
}

static void decode_leave(server *srv)
{
    pthread_mutex_lock(&srv->decode_mu);
    srv->decoding--;
    pthread_cond_signal(&srv->decode_cv);
    pthread_mutex_unlock(&srv->decode_mu);
}

static enum MHD_Result reply_render(request *r, const row_copy *row,
                                    int max_side, const dicom_window *w)
{
    uint8_t *jpeg = NULL;
    size_t len = 0;
    char err[VLM_ERR_MAX] = "";
    decode_enter(r->srv);
    int rc = thumb_render(row->path, max_side, w, &jpeg, &len, err);
    decode_leave(r->srv);
    if (rc)
        return reply_error(r, rc == VLM_ENOTFOUND || rc == VLM_EIO ? 404 : 422,
                           "image %lld cannot be shown%s%s", (long long)r->id,
                           row->dicom ? "" : ": ", row->dicom ? "" : err);
    return reply_bytes(r, 200, "image/jpeg", jpeg, len, "private, max-age=300");
}

static const char *browser_type(const char *format)
{
    static const char *const types[][2] = {
        {"jpeg", "image/jpeg"}, {"png", "image/png"}, {"webp", "image/webp"},
        {"gif", "image/gif"},   {"bmp", "image/bmp"},
    };
    for (size_t i = 0; i < sizeof types / sizeof *types; i++)
        if (!strcmp(format, types[i][0])) return types[i][1];
    return NULL;
}

static enum MHD_Result no_file(request *r)
{
    return reply_error(r, 404, "image %lld has no local file to show",
                       (long long)r->id);
}

/* ---- metadata --------------------------------------------------------------- */

static int write_dicom(void *ud, const collection_dicom *d)
{
    json_buf *b = ud;
    jb_key(b, "dicom");
    jb_obj(b);
    jb_kstr(b, "study_uid", d->study_uid);
    jb_kstr(b, "series_uid", d->series_uid);
    jb_kstr(b, "sop_uid", d->sop_uid);
    jb_kstr(b, "accession", d->accession);
    jb_kstr(b, "modality", d->modality);
    jb_kstr(b, "body_part", d->body_part);
    jb_kstr(b, "study_date", d->study_date);
    jb_kstr(b, "series_description", d->series_description);
    jb_kint(b, "instance_number", d->instance_number);
    jb_kstr(b, "window", d->window);
    jb_end_obj(b);
    return 0;
}

/* The row; a DICOM row without path, root or error text (they may name
 * the patient), with its de-identified fields instead. */
static void write_meta(json_buf *b, collection *c, const collection_image *im)
{
    bool dicom = !strncmp(im->format, "dicom", 5);
    jb_obj(b);
    jb_kint(b, "id", im->id);
    if (!dicom) jb_kstr(b, "path", im->path);
    if (!dicom) jb_kstr(b, "root", im->root);
    jb_kstr(b, "format", im->format);
    jb_kint(b, "width", im->width);
    jb_kint(b, "height", im->height);
    jb_kint(b, "size", im->size);
    jb_kint(b, "mtime", im->mtime_ns / 1000000000);
    if (im->exif_datetime[0]) jb_kstr(b, "exif_datetime", im->exif_datetime);
    if (im->orientation) jb_kint(b, "orientation", im->orientation);
    jb_kstr(b, "status", im->status == COLLECTION_STATUS_OK ? "ok" : "failed");
    if (im->status != COLLECTION_STATUS_OK && !dicom)
        jb_kstr(b, "error", im->error);
    jb_kbool(b, "embedded", im->has_embedding);
    jb_kint(b, "added_at", im->added_at);
    jb_kint(b, "updated_at", im->updated_at);
    if (dicom) collection_get_dicom(c, im->id, write_dicom, b, NULL);
    jb_end_obj(b);
}

enum MHD_Result api_meta(request *r)
{
    int which;
    if (req_int_arg(r, "collection", 0, 0, 1 << 20, &which)) return MHD_YES;
    served *sv = req_collection(r, which);
    reader *rd = sv ? req_reader(r, sv) : NULL;
    if (!rd) return MHD_YES;
    collection_image im;
    collection *c = session_collection(rd->s);
    int rc = collection_get_image(c, r->id, &im, NULL);
    if (!rc) write_meta(&rd->out, c, &im);
    enum MHD_Result ok = rc ? reply_error(r, http_status_for(rc),
                                          "no image %lld", (long long)r->id)
                            : reply_json(r, 200, &rd->out);
    served_release(rd);
    return ok;
}

/* ---- pixels -------------------------------------------------------------------- */

enum MHD_Result api_image(request *r)
{
    row_copy row;
    served *sv;
    if (load_row(r, &row, &sv)) return MHD_YES;
    if (row.remote) return no_file(r);
    const char *type = browser_type(row.format);
    if (!type) return reply_render(r, &row, 0, NULL); /* TIFF, PNM, DICOM */
    int fd = open(row.path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0) close(fd);
        return no_file(r);
    }
    return reply_file(r, type, fd, (size_t)st.st_size);
}

enum MHD_Result api_thumb(request *r)
{
    row_copy row;
    served *sv;
    if (load_row(r, &row, &sv)) return MHD_YES;
    if (row.remote) return no_file(r);
    thumb_image ti = {r->id, row.path, row.hash};
    uint8_t *jpeg = NULL;
    size_t len = 0;
    char err[VLM_ERR_MAX] = "";
    decode_enter(r->srv);
    int rc = thumb_get(sv->dir, &ti, r->srv->cfg.thumb_size, &jpeg, &len, err);
    decode_leave(r->srv);
    if (rc)
        return reply_error(r, rc == VLM_EIO ? 404 : 422,
                           "no thumbnail for image %lld%s%s", (long long)r->id,
                           row.dicom ? "" : ": ", row.dicom ? "" : err);
    return reply_bytes(r, 200, "image/jpeg", jpeg, len, "private, max-age=300");
}

enum MHD_Result api_render(request *r)
{
    row_copy row;
    served *sv;
    if (load_row(r, &row, &sv)) return MHD_YES;
    if (!row.dicom)
        return reply_error(r, 400, "image %lld is not DICOM", (long long)r->id);
    if (row.remote) return no_file(r);
    const char *wtext = req_arg(r, "window");
    dicom_window w = {0};
    char err[VLM_ERR_MAX] = "";
    if (wtext && *wtext && dicom_window_parse(wtext, &w, err))
        return reply_error(r, 400, "window: %s", err);
    int size;
    if (req_int_arg(r, "size", 0, 0, 4096, &size)) return MHD_YES;
    return reply_render(r, &row, size, &w);
}
