/*
 * test_dicom_decode.c — local DICOM decoding: every transfer-syntax variant
 * of the synthetic CT gives the exact grey level of each known HU region
 * under the lung, mediastinum and an explicit window; MONOCHROME1 is
 * inverted; colour passes through; corrupt input fails with the file named;
 * the fake patient name never reaches any struct or output.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/dicom/dicom.h"
#include "tests/dicom/dicom_test_util.h"
#include "tests/dicom/fixtures_gen/synthetic.h"

static const char *const CT_FILES[] = {
    "ct_1.dcm",         "ct_2.dcm",      "ct_3.dcm",      "ct_1_jpegll.dcm",
    "ct_1_jpegls.dcm",  "ct_1_rle.dcm",  "ct_1_j2k.dcm",  "ct_2_jpegll.dcm",
    "ct_2_jpegls.dcm",  "ct_2_rle.dcm",  "ct_2_j2k.dcm",  "ct_1_deflate.dcm",
    "ct_2_deflate.dcm", "ct_1_bare.dcm", "ct_2_bare.dcm",
};
#define N_CT (sizeof CT_FILES / sizeof CT_FILES[0])

static const char *need(const char *name, char *buf, size_t cap)
{
    const char *p = syn_path(name, buf, cap);
    if (!p)
        cr_skip_test("synthetic DICOM unavailable: %s",
                     syn_error() ? syn_error() : name);
    return p;
}

static int grey(const img_rgb *im, int r, int c)
{
    const uint8_t *p = im->pixels + ((size_t)r * im->width + c) * 3;
    cr_assert(p[0] == p[1] && p[1] == p[2], "grey image expected");
    return p[0];
}

static void load(const char *path, const char *window, img_rgb *im,
                 dicom_header *h)
{
    char err[VLM_ERR_MAX] = "";
    dicom_load_opts o = {0};
    if (window)
        cr_assert_eq(dicom_window_parse(window, &o.window, err), VLM_OK, "%s",
                     err);
    cr_assert_eq(dicom_load_file(path, &o, im, h, err), VLM_OK, "%s: %s", path,
                 err);
}

/* Each CT region's grey level equals the window formula for its HU. */
static void check_ct_regions(const char *name, const char *window, double c,
                             double w)
{
    char buf[512];
    const char *path = need(name, buf, sizeof buf);
    img_rgb im;
    dicom_header h;
    load(path, window, &im, &h);
    cr_assert_eq(im.width, SYN_CT_SIZE);
    cr_assert_eq(h.window.center, c, "%s: center", name);
    cr_assert_eq(h.window.width, w, "%s: width", name);
    const struct {
        int r, c, hu;
    } pts[] = {{SYN_PT_AIR, SYN_HU_AIR},
               {SYN_PT_SOFT, SYN_HU_SOFT},
               {SYN_PT_LUNG, SYN_HU_LUNG},
               {SYN_PT_BONE, SYN_HU_BONE}};
    for (size_t i = 0; i < 4; i++)
        cr_expect_eq(grey(&im, pts[i].r, pts[i].c),
                     dicom_window_apply_value(pts[i].hu, c, w),
                     "%s window %s: HU %d", name, window ? window : "default",
                     pts[i].hu);
    test_img_free(&im);
}

Test(dicom_window, formula_matches_orthanc_measurements)
{
    /* Orthanc's DICOMweb renderer with window=-600,1500 gave 60/85/236/255
     * (pacs-recipe §4b) and 40,400 gave 0/0/127/255. */
    cr_expect_eq(dicom_window_apply_value(-1000, -600, 1500), 60);
    cr_expect_eq(dicom_window_apply_value(-850, -600, 1500), 85);
    cr_expect_eq(dicom_window_apply_value(40, -600, 1500), 236);
    cr_expect_eq(dicom_window_apply_value(700, -600, 1500), 255);
    cr_expect_eq(dicom_window_apply_value(-850, 40, 400), 0);
    cr_expect_eq(dicom_window_apply_value(40, 40, 400), 128);
    cr_expect_eq(dicom_window_apply_value(700, 40, 400), 255);
}

Test(dicom_window, parse)
{
    dicom_window w;
    char err[VLM_ERR_MAX];
    cr_assert_eq(dicom_window_parse("lung", &w, err), VLM_OK);
    cr_expect(w.kind == DICOM_WINDOW_LUNG && w.center == -600 &&
              w.width == 1500);
    cr_assert_eq(dicom_window_parse("Bone", &w, err), VLM_OK);
    cr_expect(w.center == 400 && w.width == 1800);
    cr_assert_eq(dicom_window_parse("-50.5,350", &w, err), VLM_OK);
    cr_expect(w.kind == DICOM_WINDOW_EXPLICIT && w.center == -50.5 &&
              w.width == 350);
    cr_expect_eq(dicom_window_parse("40,0", &w, err), VLM_EINVAL);
    cr_expect_eq(dicom_window_parse("40;400", &w, err), VLM_EINVAL);
    cr_expect_eq(dicom_window_parse("lungs", &w, err), VLM_EINVAL);
    cr_expect(strstr(err, "lungs") != NULL, "error names the input: %s", err);
}

Test(dicom_window, defaults_per_modality)
{
    dicom_window req = {0}, out;
    dicom_window_context ct = {.modality = "CT",
                               .body_part = "CHEST",
                               .has_stored = 1,
                               .stored_center = 50,
                               .stored_width = 350};
    dicom_window_resolve(&req, &ct, &out);
    cr_expect(out.kind == DICOM_WINDOW_LUNG, "chest CT defaults to lung");
    snprintf(ct.body_part, sizeof ct.body_part, "HEAD");
    dicom_window_resolve(&req, &ct, &out);
    cr_expect(out.kind == DICOM_WINDOW_STORED && out.center == 50);
    ct.has_stored = 0;
    dicom_window_resolve(&req, &ct, &out);
    cr_expect(out.kind == DICOM_WINDOW_MEDIASTINUM);
    dicom_window_context cr = {
        .modality = "CR", .range_lo = 0, .range_hi = 4095};
    dicom_window_resolve(&req, &cr, &out);
    cr_expect(out.kind == DICOM_WINDOW_FULL_RANGE && out.center == 2048 &&
              out.width == 4096);
}

Test(dicom_decode, every_variant_lung_window)
{
    for (size_t i = 0; i < N_CT; i++)
        check_ct_regions(CT_FILES[i], "lung", -600, 1500);
}

Test(dicom_decode, every_variant_mediastinum_window)
{
    for (size_t i = 0; i < N_CT; i++)
        check_ct_regions(CT_FILES[i], "mediastinum", 40, 400);
}

Test(dicom_decode, every_variant_explicit_window)
{
    for (size_t i = 0; i < N_CT; i++)
        check_ct_regions(CT_FILES[i], "-200,900", -200, 900);
}

Test(dicom_decode, chest_ct_default_and_stored_are_lung)
{
    check_ct_regions("ct_1.dcm", NULL, -600, 1500);
    check_ct_regions("ct_3.dcm", "stored", SYN_CT_STORED_C, SYN_CT_STORED_W);
}

Test(dicom_decode, header_fields)
{
    char buf[512];
    img_rgb im;
    dicom_header h;
    load(need("ct_2_j2k.dcm", buf, sizeof buf), NULL, &im, &h);
    cr_expect_str_eq(h.modality, "CT");
    cr_expect_str_eq(h.body_part, "CHEST");
    cr_expect_str_eq(h.study_date, "20240305");
    cr_expect_str_eq(h.accession, "ACC0003");
    cr_expect_str_eq(h.series_description, "Axial lung");
    cr_expect_eq(h.instance_number, 2);
    cr_expect(h.rows == SYN_CT_SIZE && h.cols == SYN_CT_SIZE && h.frames == 1);
    cr_expect(strncmp(h.study_uid, "2.25.", 5) == 0 && strlen(h.sop_uid) > 10);
    cr_expect_str_eq(h.transfer_syntax, "1.2.840.10008.1.2.4.90");
    test_img_free(&im);
    load(need("ct_1_deflate.dcm", buf, sizeof buf), NULL, &im, &h);
    cr_expect_str_eq(h.transfer_syntax, "1.2.840.10008.1.2.1.99",
                     "an inflated data set still reports its own syntax");
    test_img_free(&im);
}

Test(dicom_decode, cr_full_range_and_monochrome1_inverted)
{
    char buf[512];
    img_rgb im;
    dicom_header h;
    load(need("cr_sc.dcm", buf, sizeof buf), NULL, &im, &h);
    cr_expect(h.window.kind == DICOM_WINDOW_FULL_RANGE);
    cr_expect_eq(grey(&im, SYN_PT_CR_BG), SYN_CR_BG);
    cr_expect_eq(grey(&im, SYN_PT_CR_BOX), SYN_CR_BOX);
    test_img_free(&im);
    load(need("cr_mono1.dcm", buf, sizeof buf), NULL, &im, &h);
    cr_expect_str_eq(h.photometric, "MONOCHROME1");
    cr_expect_eq(grey(&im, SYN_PT_CR_BG), 255 - SYN_CR_BG);
    cr_expect_eq(grey(&im, SYN_PT_CR_BOX), 255 - SYN_CR_BOX);
    test_img_free(&im);
}

/* Quadrants of rgb_sc: (200|10, 100|30, 50); JPEG is lossy, hence tol. */
static void check_rgb(const char *name, int tol)
{
    char buf[512];
    img_rgb im;
    dicom_header h;
    load(need(name, buf, sizeof buf), "lung", &im, &h);
    cr_expect_eq(h.windowed, 0, "%s: colour is not windowed", name);
    const struct {
        int r, c;
        uint8_t rgb[3];
    } pts[] = {{5, 5, {200, 100, 50}},
               {5, 40, {200, 30, 50}},
               {40, 5, {10, 100, 50}},
               {40, 40, {10, 30, 50}}};
    for (size_t i = 0; i < 4; i++)
        for (int k = 0; k < 3; k++) {
            int got =
                im.pixels[((size_t)pts[i].r * im.width + pts[i].c) * 3 + k];
            cr_expect(abs(got - pts[i].rgb[k]) <= tol,
                      "%s (%d,%d)[%d]: %d vs %d", name, pts[i].r, pts[i].c, k,
                      got, pts[i].rgb[k]);
        }
    test_img_free(&im);
}

Test(dicom_decode, rgb_passes_through)
{
    check_rgb("rgb_sc.dcm", 0);
    check_rgb("rgb_j2k.dcm", 0);
    check_rgb("rgb_jpeg.dcm", 3); /* YBR_FULL_422 → RGB */
}

Test(dicom_decode, multiframe_gives_first_frame)
{
    check_ct_regions("ct_2frames.dcm", "lung", -600, 1500);
    char buf[512];
    img_rgb im;
    dicom_header h;
    load(need("ct_2frames.dcm", buf, sizeof buf), NULL, &im, &h);
    cr_expect_eq(h.frames, 2);
    test_img_free(&im);
}

static void expect_clean_failure(const char *path, const char *why)
{
    char err[VLM_ERR_MAX] = "";
    img_rgb im = {.width = 7};
    dicom_header h = {.rows = 7};
    int st = dicom_load_file(path, NULL, &im, &h, err);
    cr_expect(st < 0, "%s must fail", why);
    cr_expect(strstr(err, path) != NULL, "%s: error names the file: %s", why,
              err);
    cr_expect(im.pixels == NULL && im.width == 0 && h.rows == 0);
}

Test(dicom_decode, corrupt_files_fail_cleanly)
{
    char buf[512], bad[600];
    const char *good = need("ct_1.dcm", buf, sizeof buf);
    size_t len;
    unsigned char *b = read_all(good, &len);
    cr_assert(b);
    const size_t cuts[] = {132, 200, len / 2, len - 10};
    for (size_t i = 0; i < 4; i++) {
        snprintf(bad, sizeof bad, "%s.cut%zu", good, i);
        cr_assert_eq(write_all(bad, b, cuts[i]), 0);
        expect_clean_failure(bad, "truncated");
    }
    memset(b + 140, 0xFF, 64); /* smash the meta group */
    snprintf(bad, sizeof bad, "%s.smashed", good);
    cr_assert_eq(write_all(bad, b, len), 0);
    expect_clean_failure(bad, "garbled");
    snprintf(bad, sizeof bad, "%s.notdicom", good);
    cr_assert_eq(write_all(bad, "hello", 5), 0);
    expect_clean_failure(bad, "not DICOM");
    snprintf(bad, sizeof bad, "%s.missing", good);
    expect_clean_failure(bad, "missing");
    free(b);
    /* A deflated data set cut short: zlib's error, not a hang in GDCM. */
    b = read_all(need("ct_1_deflate.dcm", buf, sizeof buf), &len);
    cr_assert(b);
    snprintf(bad, sizeof bad, "%s.cut", buf);
    cr_assert_eq(write_all(bad, b, len * 2 / 3), 0);
    expect_clean_failure(bad, "truncated deflated data set");
    free(b);
    /* A damaged compressed stream inside a well-formed file. */
    b = read_all(need("ct_2_rle.dcm", buf, sizeof buf), &len);
    cr_assert(b);
    memset(b + len * 4 / 5, 0x81, 16);
    snprintf(bad, sizeof bad, "%s.damaged", buf);
    cr_assert_eq(write_all(bad, b, len), 0);
    expect_clean_failure(bad, "damaged RLE stream");
    free(b);
}

Test(dicom_decode, patient_fields_never_reach_structs_or_text)
{
    char buf[512], text[2048];
    const char *const files[] = {"ct_1.dcm", "ct_2_jpegls.dcm", "cr_mono1.dcm",
                                 "ct_1_bare.dcm"};
    for (size_t i = 0; i < 4; i++) {
        const char *path = need(files[i], buf, sizeof buf);
        size_t len;
        unsigned char *raw = read_all(path, &len);
        cr_assert(raw && bytes_contain(raw, len, SYN_PATIENT_NAME),
                  "the fixture itself carries the fake name");
        free(raw);
        img_rgb im;
        dicom_header h;
        load(path, NULL, &im, &h);
        dicom_header_format(&h, text, sizeof text);
        for (const char *s = SYN_PATIENT_NAME; s; s = NULL) {
            cr_expect(!bytes_contain(&h, sizeof h, s), "struct holds %s", s);
            cr_expect(!bytes_contain(text, strlen(text), s), "text holds %s",
                      s);
        }
        cr_expect(!bytes_contain(&h, sizeof h, SYN_PATIENT_ID));
        cr_expect(!bytes_contain(&h, sizeof h, SYN_BIRTH_DATE));
        cr_expect(!bytes_contain(text, strlen(text), SYN_PATIENT_ID));
        cr_expect(!bytes_contain(text, strlen(text), "SECRET"));
        test_img_free(&im);
    }
}

int main(int argc, char **argv)
{
    struct criterion_test_set *tests = criterion_initialize();
    int rc = 0;
    if (criterion_handle_args(argc, argv, true)) {
        syn_setup();
        rc = !criterion_run_all_tests(tests);
        syn_teardown();
    }
    criterion_finalize(tests);
    return rc;
}
