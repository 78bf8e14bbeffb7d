/*
 * dicomweb_stow.c — STOW-RS write-back of a Basic Text SR (dicom_sr.h)
 * into an existing study: the study's patient/study attributes are read
 * from the server first (so the SR files under the same patient), then one
 * multipart/related part holding the Part-10 file is POSTed to
 * /studies/{study}.  Every buffer that held those attributes is wiped.
 */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "dicomweb/dicomweb_internal.h"

#define BOUNDARY "vlmindex-stow-7f3a9c2e41d8"

static int multipart(const uint8_t *dcm, size_t len, dw_buf *out)
{
    static const char head[] =
        "--" BOUNDARY "\r\nContent-Type: application/dicom\r\n\r\n";
    static const char tail[] = "\r\n--" BOUNDARY "--\r\n";
    size_t n = sizeof head - 1 + len + sizeof tail - 1;
    out->data = malloc(n + 1);
    if (!out->data) return VLM_ENOMEM;
    memcpy(out->data, head, sizeof head - 1);
    memcpy(out->data + sizeof head - 1, dcm, len);
    memcpy(out->data + sizeof head - 1 + len, tail, sizeof tail - 1);
    out->len = out->cap = n;
    out->data[n] = '\0';
    return VLM_OK;
}

/* The answer's FailedSOPSequence (0008,1198) must be absent or empty. */
static int check_answer(const dw_buf *body, char *err)
{
    json_object *root = body->len ? json_tokener_parse(body->data) : NULL;
    json_object *failed, *vals;
    int bad = root && json_object_object_get_ex(root, "00081198", &failed) &&
              json_object_object_get_ex(failed, "Value", &vals) &&
              json_object_array_length(vals) > 0;
    json_object_put(root);
    if (!bad) return VLM_OK;
    vlm_set_err(err, "DICOMweb STOW-RS: the server refused the SR "
                     "(FailedSOPSequence is not empty)");
    return VLM_ENETWORK;
}

static void wipe_buf(dw_buf *b)
{
    if (b->data) explicit_bzero(b->data, b->cap);
    dw_buf_free(b);
}

/* The SR as a multipart body (the Part-10 bytes wiped once copied). */
static int build_part(const dicom_sr_request *req, dw_buf *part,
                      char sop_uid_out[65], char *err)
{
    uint8_t *dcm;
    size_t len;
    int st = dicom_sr_build(req, &dcm, &len, sop_uid_out, err);
    if (st != VLM_OK) return st;
    st = multipart(dcm, len, part);
    explicit_bzero(dcm, len);
    free(dcm);
    return st;
}

int dicomweb_store_sr(dicomweb_client *c, const dicom_sr_request *req,
                      char sop_uid_out[65], char *err)
{
    dw_http *h = dicomweb_client_http(c);
    if (!req || !req->study_uid || !req->study_uid[0]) {
        vlm_set_err(err, "SR: a study instance UID is required");
        return VLM_EINVAL;
    }
    dicom_sr_context ctx;
    dicom_sr_request with = *req;
    int st = VLM_OK;
    if (!with.context) {
        st = dw_fetch_sr_context(h, req->study_uid, &ctx, err);
        with.context = &ctx;
    }
    dw_buf part = {0}, url = {0}, body = {0};
    if (st == VLM_OK) st = build_part(&with, &part, sop_uid_out, err);
    dicom_sr_context_wipe(&ctx);
    int bad = dw_url_append(&url, dw_http_base(h), 0);
    bad |= dw_url_append(&url, "/studies/", 0);
    bad |= dw_url_append(&url, req->study_uid, 1);
    if (st == VLM_OK && bad) st = VLM_ENOMEM;
    long code = 0;
    if (st == VLM_OK)
        st = dw_http_post(h, url.data,
                          "multipart/related; type=\"application/dicom\"; "
                          "boundary=" BOUNDARY,
                          part.data, part.len, "application/dicom+json", &body,
                          &code, err);
    if (st == VLM_OK) st = check_answer(&body, err);
    if (st == VLM_ENOMEM) vlm_set_err(err, "DICOMweb STOW-RS: out of memory");
    wipe_buf(&part);
    dw_buf_free(&url);
    dw_buf_free(&body);
    return st;
}
