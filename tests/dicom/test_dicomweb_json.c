/*
 * test_dicomweb_json.c — the QIDO-RS answer reader on hand-written
 * answers, no server needed: numbers no int holds fall back to the
 * defaults (found by fuzz_qido: they were converted with undefined
 * behaviour), records without a SOP Instance UID are dropped, and what is
 * not a JSON array is refused with a message.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "dicomweb/dicomweb_internal.h"

static dw_record *read_one(const char *json)
{
    dw_record *recs = NULL;
    size_t n = 0;
    char err[VLM_ERR_MAX] = "";
    cr_assert_eq(dw_json_instances(json, strlen(json), &recs, &n, err), VLM_OK,
                 "%s", err);
    cr_assert_eq(n, 1);
    return recs;
}

Test(dicomweb_json, numbers_no_int_holds_fall_back)
{
    dw_record *r =
        read_one("[{\"00080018\":{\"vr\":\"UI\",\"Value\":[\"1.2.3\"]},"
                 "\"00200013\":{\"vr\":\"IS\",\"Value\":[5.10008e10]},"
                 "\"00280010\":{\"vr\":\"US\",\"Value\":[\"1e400\"]},"
                 "\"00280011\":{\"vr\":\"US\",\"Value\":[-3e9]},"
                 "\"00280008\":{\"vr\":\"IS\",\"Value\":[\"nan\"]},"
                 "\"00280101\":{\"vr\":\"US\",\"Value\":[12]}}]");
    cr_expect_eq(r->hdr.instance_number, 0);
    cr_expect_eq(r->hdr.rows, 0);
    cr_expect_eq(r->hdr.cols, 0);
    cr_expect_eq(r->hdr.frames, 1);
    cr_expect_eq(r->bits_stored, 12, "in-range numbers still read");
    cr_expect_str_eq(r->hdr.sop_uid, "1.2.3");
    free(r);
}

Test(dicomweb_json, records_without_a_sop_uid_are_dropped)
{
    const char *json = "[{\"00080018\":{\"vr\":\"UI\"}},"
                       "{\"00080018\":{\"vr\":\"UI\",\"Value\":[\"9.8\"]}}]";
    dw_record *recs = NULL;
    size_t n = 0;
    char err[VLM_ERR_MAX] = "";
    cr_assert_eq(dw_json_instances(json, strlen(json), &recs, &n, err), VLM_OK);
    cr_assert_eq(n, 1);
    cr_expect_str_eq(recs[0].hdr.sop_uid, "9.8");
    free(recs);
}

Test(dicomweb_json, not_an_array_is_refused)
{
    dw_record *recs = NULL;
    size_t n = 0;
    char err[VLM_ERR_MAX] = "";
    cr_assert_eq(dw_json_instances("{\"a\":1}", 7, &recs, &n, err),
                 VLM_EFORMAT);
    cr_expect(strstr(err, "not a DICOM JSON array"), "%s", err);
    free(recs);
}
