/*
 * test_dicom_pipeline.c — the parts of the DICOM display pipeline that need
 * no GDCM, against values worked out from the standard's formulas: VOI
 * functions and their parsing, window defaults, lookup tables (segmented
 * expansion, clamping, scaling), sample extraction (1-bit, masked high
 * bits, sign, byte order, float), 4:2:2 sample order, YBR conversion,
 * recognition of bare data sets (and no false positives), and the bound
 * check refusing only what runs past the buffer.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/dicom/dicom.h"
#include "model/dicom/dicom_container.h"
#include "model/dicom/dicom_pipeline.h"
#include "model/dicom/dicom_validate.h"
#include "model/dicom/dicom_writer.h"

static int expected_sigmoid(double x, double c, double w)
{
    return (int)lround(255.0 / (1 + exp(-4 * (x - c) / w)));
}

Test(voi, functions_follow_ps3_3_c_11_2_1_3)
{
    dicom_window s = {DICOM_WINDOW_EXPLICIT, 40, 400, DICOM_VOI_SIGMOID};
    for (double x = -400; x <= 500; x += 37)
        cr_expect_eq(dicom_window_apply(x, &s), expected_sigmoid(x, 40, 400),
                     "sigmoid at %g", x);
    cr_expect_eq(dicom_window_apply(40, &s), 128); /* 127.5 rounds up */
    dicom_window e = {DICOM_WINDOW_EXPLICIT, 10, 20, DICOM_VOI_LINEAR_EXACT};
    cr_expect_eq(dicom_window_apply(0, &e), 0);     /* x <= c - w/2 */
    cr_expect_eq(dicom_window_apply(0.001, &e), 0); /* rounds to 0 */
    cr_expect_eq(dicom_window_apply(10, &e), 128);
    cr_expect_eq(dicom_window_apply(20, &e), 255);
    cr_expect_eq(dicom_window_apply(15, &e), 191); /* 0.75 * 255 = 191.25 */
    dicom_window l = {DICOM_WINDOW_EXPLICIT, 40, 400, DICOM_VOI_LINEAR};
    cr_expect_eq(dicom_window_apply(-850, &l),
                 dicom_window_apply_value(-850, 40, 400));
}

Test(voi, parse_functions_and_describe)
{
    dicom_window w;
    char err[VLM_ERR_MAX], text[96];
    cr_assert_eq(dicom_window_parse("40,400,sigmoid", &w, err), VLM_OK, "%s",
                 err);
    cr_expect(w.kind == DICOM_WINDOW_EXPLICIT && w.center == 40 &&
              w.width == 400 && w.function == DICOM_VOI_SIGMOID);
    cr_assert_eq(dicom_window_parse("-5,0.5,LINEAR_EXACT", &w, err), VLM_OK);
    cr_expect(w.function == DICOM_VOI_LINEAR_EXACT && w.width == 0.5);
    dicom_window_describe(&w, text, sizeof text);
    cr_expect_str_eq(text, "explicit -5,0.5,linear-exact");
    cr_expect_eq(dicom_window_parse("-5,0.5", &w, err), VLM_EINVAL,
                 "LINEAR needs width >= 1");
    cr_expect(strstr(err, "at least 1") != NULL, "%s", err);
    cr_expect_eq(dicom_window_parse("40,0,sigmoid", &w, err), VLM_EINVAL);
    cr_expect_eq(dicom_window_parse("40,400,cubic", &w, err), VLM_EINVAL);
    cr_expect(strstr(err, "cubic") != NULL, "%s", err);
    cr_assert_eq(dicom_window_parse("minmax", &w, err), VLM_OK);
    cr_expect_eq(w.kind, DICOM_WINDOW_MINMAX);
    cr_expect_eq(dicom_window_parse("voi-lut", &w, err), VLM_EINVAL,
                 "the resolved-only kind is not an input");
}

Test(voi, stored_window_lut_and_minmax_fallbacks)
{
    dicom_window req = {.kind = DICOM_WINDOW_STORED}, out;
    dicom_window_context c = {.modality = "MR",
                              .has_stored = 1,
                              .stored_center = 600,
                              .stored_width = 1600,
                              .stored_function = DICOM_VOI_SIGMOID,
                              .has_voi_lut = 1};
    dicom_window_resolve(&req, &c, &out);
    cr_expect(out.kind == DICOM_WINDOW_STORED &&
                  out.function == DICOM_VOI_SIGMOID,
              "a stored window wins over the VOI LUT and keeps its function");
    c.has_stored = 0;
    dicom_window_resolve(&req, &c, &out);
    cr_expect_eq(out.kind, DICOM_WINDOW_STORED_LUT);
    c.has_voi_lut = 0;
    c.minmax_fallback = 1;
    c.data_lo = 0.25;
    c.data_hi = 0.75;
    dicom_window_resolve(&req, &c, &out);
    cr_expect_eq(out.kind, DICOM_WINDOW_MINMAX);
    cr_expect_eq(dicom_window_apply(0.25, &out), 0);
    cr_expect_eq(dicom_window_apply(0.75, &out), 255);
    c.minmax_fallback = 0; /* DICOMweb callers: full range as before */
    c.range_hi = 255;
    dicom_window_resolve(&req, &c, &out);
    cr_expect(out.kind == DICOM_WINDOW_FULL_RANGE && out.center == 128 &&
              out.width == 256);
}

Test(lut, segmented_discrete_and_linear)
{
    /* discrete 3 entries (0, 10, 20), linear 4 steps to 100 */
    uint16_t seg[] = {0, 3, 0, 10, 20, 1, 4, 100};
    dicom_lut lut = {.entries = 7,
                     .bits = 8,
                     .segmented = 1,
                     .count = sizeof seg / sizeof seg[0]};
    lut.data = malloc(sizeof seg);
    memcpy(lut.data, seg, sizeof seg);
    char err[VLM_ERR_MAX] = "";
    cr_assert_eq(dicom_lut_prepare(&lut, "red palette", "f.dcm", err), VLM_OK,
                 "%s", err);
    const unsigned want[] = {0, 10, 20, 40, 60, 80, 100};
    for (int i = 0; i < 7; i++) cr_expect_eq(lut.data[i], want[i], "%d", i);
    free(lut.data);
}

Test(lut, indirect_segments_are_refused_by_name)
{
    uint16_t seg[] = {0, 2, 5, 6, 2, 1, 0, 0};
    dicom_lut lut = {.entries = 4, .bits = 16, .segmented = 1, .count = 8};
    lut.data = malloc(sizeof seg);
    memcpy(lut.data, seg, sizeof seg);
    char err[VLM_ERR_MAX] = "";
    cr_expect_eq(dicom_lut_prepare(&lut, "red palette", "f.dcm", err),
                 VLM_EUNSUPPORTED);
    cr_expect(strstr(err, "f.dcm: red palette: indirect") != NULL, "%s", err);
    free(lut.data);
}

Test(lut, lookup_clamps_and_scales)
{
    uint16_t data[] = {0, 1000, 65535};
    dicom_lut lut = {
        .entries = 3, .first = -1, .bits = 16, .data = data, .count = 3};
    cr_expect_eq(dicom_lut_lookup(&lut, -50), 0);
    cr_expect_eq(dicom_lut_lookup(&lut, 0), 1000);
    cr_expect_eq(dicom_lut_lookup(&lut, 7), 65535);
    cr_expect_eq(dicom_lut_to_u8(&lut, 65535), 255);
    cr_expect_eq(dicom_lut_to_u8(&lut, 1000), 4); /* 3.89 */
    char err[VLM_ERR_MAX];
    lut.entries = 4;
    cr_expect_eq(dicom_lut_prepare(&lut, "VOI LUT", "f.dcm", err),
                 VLM_EUNSUPPORTED, "fewer values than entries");
}

static double sample_of(dicom_raw *r, uint8_t *bytes, size_t len, size_t i)
{
    r->frame = bytes;
    r->frame_len = len;
    dicom_samples s;
    dicom_samples_init(&s, r);
    return dicom_sample(&s, i);
}

Test(samples, bits_sign_order_and_float)
{
    uint8_t one_bit[] = {0x05}; /* pixels 0 and 2 set, LSB first */
    dicom_raw r = {.bits_allocated = 1, .bits_stored = 1, .high_bit = 0};
    cr_expect_eq(sample_of(&r, one_bit, 1, 0), 1);
    cr_expect_eq(sample_of(&r, one_bit, 1, 1), 0);
    cr_expect_eq(sample_of(&r, one_bit, 1, 2), 1);
    uint8_t s12[] = {0xFF, 0xF8}; /* 0xF8FF: 12 bits stored = 0x8FF */
    r = (dicom_raw){.bits_allocated = 16, .bits_stored = 12, .high_bit = 11};
    cr_expect_eq(sample_of(&r, s12, 2, 0), 0x8FF, "overlay bits masked");
    r.is_signed = 1;
    cr_expect_eq(sample_of(&r, s12, 2, 0), 0x8FF - 4096, "sign-extended");
    uint8_t be32[] = {0x00, 0x13, 0x0E, 0xE8};
    r = (dicom_raw){.bits_allocated = 32,
                    .bits_stored = 32,
                    .high_bit = 31,
                    .big_endian = 1};
    cr_expect_eq(sample_of(&r, be32, 4, 0), 0x00130EE8);
    float f = -40.5f;
    uint8_t fb[4];
    memcpy(fb, &f, 4);
    r = (dicom_raw){.bits_allocated = 32, .is_float = 1};
    cr_expect_eq(sample_of(&r, fb, 4, 0), -40.5);
}

Test(samples, ybr_422_order)
{
    dicom_raw r = {.samples = 3, .subsampled = 1, .width = 4, .height = 1};
    /* Y1 Y2 Cb Cr | Y3 Y4 Cb Cr */
    cr_expect_eq(dicom_sample_index(&r, 0, 0), 0);
    cr_expect_eq(dicom_sample_index(&r, 1, 0), 1);
    cr_expect_eq(dicom_sample_index(&r, 1, 1), 2);
    cr_expect_eq(dicom_sample_index(&r, 1, 2), 3);
    cr_expect_eq(dicom_sample_index(&r, 2, 0), 4);
    cr_expect_eq(dicom_sample_index(&r, 3, 2), 7);
    r.subsampled = 0;
    r.planar = 1;
    cr_expect_eq(dicom_sample_index(&r, 3, 2), 2 * 4 + 3);
}

static void colour_of(const char *pi, uint8_t y, uint8_t cb, uint8_t cr,
                      uint8_t *rgb)
{
    uint8_t px[3] = {y, cb, cr};
    dicom_raw r = {.samples = 3,
                   .width = 1,
                   .height = 1,
                   .bits_allocated = 8,
                   .bits_stored = 8,
                   .high_bit = 7,
                   .frame = px,
                   .frame_len = 3};
    snprintf(r.photometric, sizeof r.photometric, "%s", pi);
    char err[VLM_ERR_MAX] = "";
    cr_assert_eq(dicom_colour_render(&r, rgb, "f.dcm", err), VLM_OK, "%s", err);
}

Test(colour, ybr_full_and_partial)
{
    uint8_t rgb[3];
    colour_of("YBR_FULL", 128, 128, 128, rgb);
    cr_expect(rgb[0] == 128 && rgb[1] == 128 && rgb[2] == 128);
    colour_of("YBR_FULL", 76, 85, 255, rgb); /* RGB→YBR of pure red */
    cr_expect(rgb[0] >= 253 && rgb[1] <= 1 && rgb[2] <= 1, "%d %d %d", rgb[0],
              rgb[1], rgb[2]);
    colour_of("YBR_PARTIAL_422", 16, 128, 128, rgb);
    cr_expect(rgb[0] == 0 && rgb[1] == 0 && rgb[2] == 0);
    colour_of("YBR_PARTIAL_422", 235, 128, 128, rgb);
    cr_expect(rgb[0] == 255 && rgb[1] == 255 && rgb[2] == 255);
    char err[VLM_ERR_MAX] = "";
    dicom_raw r = {.samples = 3,
                   .width = 2,
                   .height = 1,
                   .subsampled = 1,
                   .bits_allocated = 8,
                   .bits_stored = 8};
    snprintf(r.photometric, sizeof r.photometric, "YBR_PARTIAL_420");
    cr_expect_eq(dicom_colour_render(&r, rgb, "f.dcm", err), VLM_EUNSUPPORTED);
    cr_expect(strstr(err, "MPEG") != NULL, "%s", err);
}

/* An implicit VR little endian data set: (0008,0005) CS, (0008,0016) UI. */
static const uint8_t BARE_IMPLICIT[] = {
    0x08, 0x00, 0x05, 0x00, 10,  0,   0,   0,   'I',  'S',
    'O',  '_',  'I',  'R',  ' ', '1', '0', '0', 0x08, 0x00,
    0x16, 0x00, 4,    0,    0,   0,   '1', '.', '2',  0};

Test(recognition, bare_data_sets_by_content)
{
    cr_expect(dicom_sniff(BARE_IMPLICIT, sizeof BARE_IMPLICIT));
    cr_expect_str_eq(dicom_bare_syntax(BARE_IMPLICIT, sizeof BARE_IMPLICIT),
                     "1.2.840.10008.1.2");
    const uint8_t explicit_be[] = {0x00, 0x08, 0x00, 0x05, 'C',  'S',  0,
                                   2,    'A',  ' ',  0x00, 0x08, 0x00, 0x16};
    cr_expect_str_eq(dicom_bare_syntax(explicit_be, sizeof explicit_be),
                     "1.2.840.10008.1.2.2");
    uint8_t odd[sizeof BARE_IMPLICIT];
    memcpy(odd, BARE_IMPLICIT, sizeof odd);
    odd[4] = 9; /* odd value length: not DICOM */
    cr_expect(!dicom_sniff(odd, sizeof odd));
    odd[4] = 10;
    odd[20] = 0x04; /* second tag lower than the first */
    odd[19] = 0x00;
    odd[18] = 0x08;
    cr_expect(!dicom_sniff(odd, sizeof odd));
    const uint8_t png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    cr_expect(!dicom_sniff(png, sizeof png));
    cr_expect(!dicom_sniff("\x08\x00hello world", 13));
}

Test(recognition, bare_data_set_gets_a_part10_header)
{
    uint8_t *out;
    size_t n;
    cr_assert_eq(dicom_wrap_part10(BARE_IMPLICIT, sizeof BARE_IMPLICIT,
                                   "1.2.840.10008.1.2", &out, &n),
                 VLM_OK);
    cr_expect(!memcmp(out + 128, "DICM", 4));
    cr_expect(!memcmp(out + n - sizeof BARE_IMPLICIT, BARE_IMPLICIT,
                      sizeof BARE_IMPLICIT));
    char err[VLM_ERR_MAX] = "";
    /* Well-formed, so the bound check only misses pixel data. */
    cr_expect_eq(dicom_validate(out, n, "bare", err), VLM_EUNSUPPORTED);
    cr_expect(strstr(err, "no pixel data") != NULL, "%s", err);
    free(out);
}

/* A small Part-10 image; `tail` bytes are appended after pixel data. */
static uint8_t *part10(size_t *len, const void *tail, size_t tail_len)
{
    dicom_writer *w =
        dicom_writer_create("1.2.840.10008.5.1.4.1.1.7", "2.25.9");
    dicom_writer_us(w, 0x0028, 0x0010, 1);
    dicom_writer_us(w, 0x0028, 0x0011, 2);
    dicom_writer_bytes(w, 0x7FE0, 0x0010, "OB", "\1\2", 2);
    uint8_t *b;
    char err[VLM_ERR_MAX];
    cr_assert_eq(dicom_writer_finish(w, &b, len, err), VLM_OK, "%s", err);
    dicom_writer_destroy(w);
    b = realloc(b, *len + tail_len);
    if (tail_len) memcpy(b + *len, tail, tail_len);
    *len += tail_len;
    return b;
}

Test(bound_check, refuses_only_what_runs_past_the_end)
{
    char err[VLM_ERR_MAX] = "";
    size_t n;
    const uint8_t delimiter[] = {0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0};
    uint8_t *b = part10(&n, delimiter, sizeof delimiter);
    cr_expect_eq(dicom_validate(b, n, "f.dcm", err), VLM_OK,
                 "a stray delimiter is not a bound problem: %s", err);
    free(b);
    const uint8_t bad_vr[] = {0xE1, 0x7F, 0x10, 0x00, 'x', 'y', 2, 0, 0, 0};
    b = part10(&n, bad_vr, sizeof bad_vr);
    cr_expect_eq(dicom_validate(b, n, "f.dcm", err), VLM_OK,
                 "a bad VR ends the walk without a verdict: %s", err);
    free(b);
    const uint8_t too_long[] = {0xE1, 0x7F, 0x10, 0x00, 'L', 'O', 200, 0};
    b = part10(&n, too_long, sizeof too_long);
    cr_expect_eq(dicom_validate(b, n, "f.dcm", err), VLM_EFORMAT);
    cr_expect(strstr(err, "f.dcm: corrupt DICOM: value runs past the end") !=
                  NULL,
              "%s", err);
    free(b);
}

Test(bound_check, pixel_lengths_must_add_up_and_meta_vrs_be_real)
{
    char err[VLM_ERR_MAX] = "";
    size_t n;
    /* A lower tag after the pixel data: its length was wrong. */
    const uint8_t lower[] = {0x09, 0x00, 0x10, 0x00, 'L', 'O', 2, 0, 'a', 'b'};
    uint8_t *b = part10(&n, lower, sizeof lower);
    cr_expect_eq(dicom_validate(b, n, "f.dcm", err), VLM_EFORMAT);
    cr_expect(strstr(err, "pixel data lengths do not add up") != NULL, "%s",
              err);
    free(b);
    b = part10(&n, NULL, 0);
    b[132 + 4] = 'U', b[132 + 5] = 'K'; /* (0002,0000)'s VR */
    cr_expect_eq(dicom_validate(b, n, "f.dcm", err), VLM_EFORMAT);
    cr_expect(strstr(err, "invalid VR in the file meta group") != NULL, "%s",
              err);
    free(b);
}
