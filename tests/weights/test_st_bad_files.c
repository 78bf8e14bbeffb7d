/*
 * Crafted broken safetensors files: each must be refused with the right
 * status and a message naming the file, the tensor and the reason.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "st_test_util.h"

static char *tmp;

static void setup(void) { tmp = stt_tempdir(); }
static void teardown(void)
{
    stt_rmtree(tmp);
    free(tmp);
}

TestSuite(st_bad, .init = setup, .fini = teardown);

static const unsigned char zeros[64];

/* Opens path, expects `want` and every fragment in the message. */
static void expect_fail(const char *path, int want, const char *frag1,
                        const char *frag2)
{
    char err[VLM_ERR_MAX] = "";
    st_file *f = (st_file *)&err; /* must be reset to NULL on failure */
    int rc = st_file_open(path, &f, err);
    cr_assert_eq(rc, want, "%s: got %d (%s), want %d", path, rc, err, want);
    cr_assert_null(f);
    cr_assert(strstr(err, path), "message does not name the file: %s", err);
    cr_assert(strstr(err, frag1), "message lacks '%s': %s", frag1, err);
    if (frag2)
        cr_assert(strstr(err, frag2), "message lacks '%s': %s", frag2, err);
}

static void bad_header(const char *header, size_t data_len, int want,
                       const char *frag1, const char *frag2)
{
    char *p = stt_write_st(tmp, "bad.safetensors", header, (size_t)-1, zeros,
                           data_len);
    expect_fail(p, want, frag1, frag2);
    free(p);
}

Test(st_bad, missing_and_empty_file)
{
    char *p = stt_join(tmp, "absent.safetensors");
    expect_fail(p, VLM_ENOTFOUND, "cannot open", NULL);
    free(p);
    p = stt_write_raw(tmp, "empty.safetensors", "", 0);
    expect_fail(p, VLM_EFORMAT, "too short", NULL);
    free(p);
}

Test(st_bad, truncated_header_length)
{
    char *p = stt_write_raw(tmp, "five.safetensors", "\x10\0\0\0\0", 5);
    expect_fail(p, VLM_EFORMAT, "too short", NULL);
    free(p);
}

Test(st_bad, header_length_beyond_file)
{
    char *p = stt_write_st(tmp, "long.safetensors", "{}", 4096, NULL, 0);
    expect_fail(p, VLM_EFORMAT, "runs past the end", NULL);
    free(p);
}

Test(st_bad, header_length_over_cap)
{
    char *p =
        stt_write_st(tmp, "huge.safetensors", "{}", (size_t)1 << 40, NULL, 0);
    expect_fail(p, VLM_ETOOBIG, "limit", NULL);
    free(p);
}

Test(st_bad, invalid_json)
{
    bad_header("{\"a\": {\"dtype\": \"F32\", ", 0, VLM_EFORMAT,
               "not valid JSON", NULL);
    bad_header("{\"a\" 1}", 0, VLM_EFORMAT, "not valid JSON", NULL);
    bad_header("{} trailing", 0, VLM_EFORMAT, "trailing bytes", NULL);
    bad_header("{\"a\xff\": {}}", 0, VLM_EFORMAT, "not valid JSON", NULL);
}

Test(st_bad, header_not_an_object)
{
    bad_header("[1, 2, 3]", 0, VLM_EFORMAT, "not an object", NULL);
    bad_header("{\"w\": [1, 2]}", 0, VLM_EFORMAT, "'w'", "not a JSON object");
}

Test(st_bad, unknown_dtype)
{
    bad_header("{\"enc.w\": {\"dtype\": \"F8_E4M3\", \"shape\": [2], "
               "\"data_offsets\": [0, 2]}}",
               2, VLM_EUNSUPPORTED, "'enc.w'", "unknown dtype \"F8_E4M3\"");
    bad_header("{\"enc.w\": {\"shape\": [2], \"data_offsets\": [0, 8]}}", 8,
               VLM_EFORMAT, "'enc.w'", "\"dtype\"");
}

Test(st_bad, shape_span_mismatch)
{
    bad_header("{\"proj\": {\"dtype\": \"F32\", \"shape\": [2, 2], "
               "\"data_offsets\": [0, 12]}}",
               16, VLM_EFORMAT, "'proj'", "not the span of 12 bytes");
}

Test(st_bad, overlapping_spans)
{
    bad_header("{\"a\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": "
               "[0, 16]},"
               " \"b\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": "
               "[8, 24]}}",
               24, VLM_EFORMAT, "overlaps", "'b'");
}

Test(st_bad, span_beyond_data)
{
    bad_header("{\"big\": {\"dtype\": \"F32\", \"shape\": [4], "
               "\"data_offsets\": [0, 16]}}",
               8, VLM_EFORMAT, "'big'", "beyond the 8-byte data area");
    bad_header("{\"rev\": {\"dtype\": \"F32\", \"shape\": [0], "
               "\"data_offsets\": [8, 4]}}",
               8, VLM_EFORMAT, "'rev'", "begin <= end");
}

Test(st_bad, negative_and_overflowing_shapes)
{
    bad_header("{\"neg\": {\"dtype\": \"F32\", \"shape\": [-1, 4], "
               "\"data_offsets\": [0, 16]}}",
               16, VLM_EFORMAT, "'neg'", "shape entry 0");
    bad_header("{\"frac\": {\"dtype\": \"F32\", \"shape\": [2.0], "
               "\"data_offsets\": [0, 8]}}",
               16, VLM_EFORMAT, "'frac'", "shape entry 0");
    bad_header(
        "{\"ovf\": {\"dtype\": \"F32\", \"shape\": [4294967296, 4294967296, 4],"
        " \"data_offsets\": [0, 16]}}",
        16, VLM_EFORMAT, "'ovf'", "overflows");
    /* numel fits in 64 bits, numel x 4 does not */
    bad_header(
        "{\"ovf4\": {\"dtype\": \"F32\", \"shape\": [4611686018427387904],"
        " \"data_offsets\": [0, 0]}}",
        16, VLM_EFORMAT, "'ovf4'", "not the span");
    bad_header(
        "{\"big\": {\"dtype\": \"U8\", \"shape\": [18446744073709551615],"
        " \"data_offsets\": [0, 1]}}",
        16, VLM_EFORMAT, "'big'", "shape entry 0");
    bad_header("{\"nd\": {\"dtype\": \"U8\", \"shape\": [1,1,1,1,1,1,1,1,1],"
               " \"data_offsets\": [0, 1]}}",
               16, VLM_EUNSUPPORTED, "'nd'", "9 dimensions");
}

Test(st_bad, bad_metadata)
{
    bad_header("{\"__metadata__\": {\"format\": 3}}", 0, VLM_EFORMAT,
               "__metadata__", "'format'");
    bad_header("{\"__metadata__\": [\"pt\"]}", 0, VLM_EFORMAT, "__metadata__",
               NULL);
}

Test(st_bad, well_formed_edge_cases_are_accepted)
{
    /* space padding, a scalar, an empty tensor, a gap, metadata */
    const char *h =
        "{\"__metadata__\": {\"format\": \"pt\"},"
        " \"s\": {\"dtype\": \"F32\", \"shape\": [], \"data_offsets\": [4, 8]},"
        " \"e\": {\"dtype\": \"BF16\", \"shape\": [0, 3], \"data_offsets\": "
        "[8, 8]},"
        " \"b\": {\"dtype\": \"BOOL\", \"shape\": [2], \"data_offsets\": [12, "
        "14]}}   ";
    const float one = 1.0f;
    unsigned char data[16] = {0};
    memcpy(data + 4, &one, 4);
    char *p =
        stt_write_st(tmp, "ok.safetensors", h, (size_t)-1, data, sizeof data);
    char err[VLM_ERR_MAX] = "";
    st_file *f;
    cr_assert_eq(st_file_open(p, &f, err), VLM_OK, "%s", err);
    cr_assert_eq(st_file_count(f), 3);
    cr_assert_str_eq(st_file_metadata(f, "format"), "pt");
    const st_tensor *s = st_file_find(f, "s");
    cr_assert_eq(s->ndim, 0);
    cr_assert_eq(s->numel, 1);
    float v;
    cr_assert_eq(st_tensor_to_f32(s, &v, 1, err), VLM_OK);
    cr_assert_eq(v, 1.0f);
    cr_assert_eq(st_file_find(f, "e")->numel, 0);
    cr_assert_eq(st_file_find(f, "e")->nbytes, 0u);
    st_file_close(f);
    free(p);
}

Test(st_bad, buffer_api_labels_messages)
{
    char err[VLM_ERR_MAX] = "";
    st_file *f;
    cr_assert_eq(
        st_file_from_buffer("\2\0\0\0\0\0\0\0[]", 10, "mem-image", &f, err),
        VLM_EFORMAT);
    cr_assert_null(f);
    cr_assert(strstr(err, "mem-image"), "%s", err);
}
