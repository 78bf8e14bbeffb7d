/*
 * dicomweb_stow.c — STOW-RS write-back of a Basic Text SR (dicom_sr.h)
 * into an existing study: one multipart/related part holding the Part-10
 * file, POSTed to /studies/{study}.
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

int dicomweb_store_sr(dicomweb_client *c, const dicom_sr_request *req,
                      char sop_uid_out[65], char *err)
{
    uint8_t *dcm;
    size_t len;
    int st = dicom_sr_build(req, &dcm, &len, sop_uid_out, err);
    if (st != VLM_OK) return st;
    dw_buf part = {0}, url = {0}, body = {0};
    st = multipart(dcm, len, &part);
    free(dcm);
    int bad = dw_url_append(&url, dw_http_base(dicomweb_client_http(c)), 0);
    bad |= dw_url_append(&url, "/studies/", 0);
    bad |= dw_url_append(&url, req->study_uid, 1);
    if (st == VLM_OK && bad) st = VLM_ENOMEM;
    long code = 0;
    if (st == VLM_OK)
        st = dw_http_post(dicomweb_client_http(c), url.data,
                          "multipart/related; type=\"application/dicom\"; "
                          "boundary=" BOUNDARY,
                          part.data, part.len, "application/dicom+json", &body,
                          &code, err);
    if (st == VLM_OK) st = check_answer(&body, err);
    if (st == VLM_ENOMEM) vlm_set_err(err, "DICOMweb STOW-RS: out of memory");
    dw_buf_free(&part);
    dw_buf_free(&url);
    dw_buf_free(&body);
    return st;
}
