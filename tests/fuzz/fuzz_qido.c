/*
 * fuzz_qido.c — libFuzzer target for the QIDO-RS answer reader
 * (dicomweb/dicomweb_json.c): any bytes, as a server's reply body, read
 * both as a list of study/series UIDs and as instance records.
 *
 * Must hold: success or VLM_EFORMAT with a message (never another status
 * but out of memory); never more results than the array has objects; every
 * string copied out is NUL-terminated printable ASCII within its field;
 * every kept record has a SOP Instance UID; no UB converting JSON numbers
 * (UBSan: float-cast-overflow).
 */
#include <stdint.h>
#include <string.h>

#include "dicomweb/dicomweb_internal.h"

static void check_string(const char *s, size_t cap)
{
    size_t n = strnlen(s, cap);
    if (n == cap) __builtin_trap();
    for (size_t i = 0; i < n; i++)
        if (s[i] < 32 || s[i] > 126) __builtin_trap();
}

static void check_record(const dw_record *r)
{
    const dicom_header *h = &r->hdr;
    check_string(h->study_uid, sizeof h->study_uid);
    check_string(h->series_uid, sizeof h->series_uid);
    check_string(h->sop_uid, sizeof h->sop_uid);
    check_string(h->sop_class_uid, sizeof h->sop_class_uid);
    check_string(h->modality, sizeof h->modality);
    check_string(h->body_part, sizeof h->body_part);
    check_string(h->study_date, sizeof h->study_date);
    check_string(h->series_description, sizeof h->series_description);
    check_string(h->photometric, sizeof h->photometric);
    if (!h->sop_uid[0]) __builtin_trap();
    if (r->has_stored && !(r->stored_width >= 1)) __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[VLM_ERR_MAX] = "";
    char(*uids)[65] = NULL;
    size_t n = 0;
    int rc = dw_json_uids((const char *)data, size, "0020000D", &uids, &n, err);
    if (rc == VLM_EFORMAT && !err[0]) __builtin_trap();
    if (rc != VLM_OK && rc != VLM_EFORMAT && rc != VLM_ENOMEM)
        __builtin_trap();
    for (size_t i = 0; i < n; i++) {
        check_string(uids[i], sizeof uids[i]);
        if (!uids[i][0]) __builtin_trap();
    }
    free(uids);

    dw_record *recs = NULL;
    size_t m = 0;
    rc = dw_json_instances((const char *)data, size, &recs, &m, err);
    if (rc != VLM_OK && rc != VLM_EFORMAT && rc != VLM_ENOMEM)
        __builtin_trap();
    if (rc == VLM_OK && n > 0 && m > size) __builtin_trap();
    for (size_t i = 0; i < m; i++) check_record(&recs[i]);
    free(recs);
    return 0;
}
