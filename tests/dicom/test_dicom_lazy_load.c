/*
 * test_dicom_lazy_load.c — GDCM is loaded only when a DICOM file is decoded:
 * a fresh process has no GDCM library mapped; the first decode maps the
 * module and decodes correctly; a missing or broken module is a clear
 * error naming the module and the loader's reason, never a crash.
 * Self-contained: a 4x2 image is written in memory with dicom_writer.
 */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/dicom/dicom.h"
#include "model/dicom/dicom_shim.h"
#include "model/dicom/dicom_writer.h"
#include "tests/dicom/dicom_test_util.h"

#define GDCM_LIB "libgdcmMSFF.so.3.0" /* the soname the module needs */

static const uint8_t PIXELS[8] = {0, 40, 80, 120, 160, 200, 240, 255};

/* Secondary-capture-like MONOCHROME2 8-bit image, no stored window. */
static uint8_t *tiny_dicom(size_t *len)
{
    const char *cls = "1.2.840.10008.5.1.4.1.1.7";
    dicom_writer *w = dicom_writer_create(cls, "2.25.1234");
    cr_assert(w);
    dicom_writer_string(w, 0x0008, 0x0016, "UI", cls);
    dicom_writer_string(w, 0x0008, 0x0018, "UI", "2.25.1234");
    dicom_writer_string(w, 0x0008, 0x0060, "CS", "OT");
    dicom_writer_us(w, 0x0028, 0x0002, 1);
    dicom_writer_string(w, 0x0028, 0x0004, "CS", "MONOCHROME2");
    dicom_writer_us(w, 0x0028, 0x0010, 2); /* rows */
    dicom_writer_us(w, 0x0028, 0x0011, 4); /* columns */
    dicom_writer_us(w, 0x0028, 0x0100, 8);
    dicom_writer_us(w, 0x0028, 0x0101, 8);
    dicom_writer_us(w, 0x0028, 0x0102, 7);
    dicom_writer_us(w, 0x0028, 0x0103, 0);
    dicom_writer_bytes(w, 0x7FE0, 0x0010, "OB", PIXELS, sizeof PIXELS);
    uint8_t *bytes = NULL;
    char err[VLM_ERR_MAX] = "";
    int st = dicom_writer_finish(w, &bytes, len, err);
    dicom_writer_destroy(w);
    cr_assert_eq(st, VLM_OK, "%s", err);
    return bytes;
}

static int mapped(const char *lib)
{
    void *h = dlopen(lib, RTLD_NOW | RTLD_NOLOAD);
    if (h) dlclose(h); /* drops only the reference NOLOAD just took */
    return h != NULL;
}

/* Criterion runs each test in a fresh process, so nothing is decoded yet. */
Test(dicom_lazy_load, gdcm_is_mapped_only_after_the_first_decode)
{
    cr_assert(!mapped(GDCM_LIB), "GDCM mapped before any DICOM decode");
    size_t len;
    uint8_t *bytes = tiny_dicom(&len);
    img_rgb im;
    dicom_header h;
    char err[VLM_ERR_MAX] = "";
    cr_assert_eq(dicom_load_memory(bytes, len, "tiny.dcm", NULL, &im, &h, err),
                 VLM_OK, "%s", err);
    cr_expect(mapped(GDCM_LIB), "GDCM not mapped after a decode");
    cr_assert_eq(im.width, 4);
    cr_assert_eq(im.height, 2);
    cr_expect_eq(h.window.kind, DICOM_WINDOW_FULL_RANGE);
    for (int i = 0; i < 8; i++)
        cr_expect_eq(im.pixels[3 * i],
                     dicom_window_apply_value(PIXELS[i], h.window.center,
                                              h.window.width),
                     "pixel %d", i);
    test_img_free(&im);
    free(bytes);
}

Test(dicom_lazy_load, missing_module_names_it_and_the_directories)
{
    char err[VLM_ERR_MAX] = "";
    const char *dirs[] = {NULL, "/nonexistent-a", "", "/nonexistent-b"};
    cr_assert_null(dicom_shim_load_from(dirs, 4, err));
    cr_expect(strstr(err, "cannot load " DICOM_SHIM_MODULE ": not found in "
                          "/nonexistent-a:/nonexistent-b") != NULL,
              "%s", err);
    cr_expect(!mapped(GDCM_LIB));
}

Test(dicom_lazy_load, broken_module_reports_dlerror)
{
    char dir[] = "/tmp/vlm-gdcm-XXXXXX", path[64], err[VLM_ERR_MAX] = "";
    cr_assert(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/%s", dir, DICOM_SHIM_MODULE);
    cr_assert_eq(write_all(path, "not an ELF file", 15), 0);
    const char *dirs[] = {dir};
    dicom_shim_read_fn *rd = dicom_shim_load_from(dirs, 1, err);
    unlink(path);
    rmdir(dir);
    cr_assert_null(rd);
    /* glibc: "<path>: invalid ELF header" or "file too short". */
    cr_expect(strstr(err, "cannot load " DICOM_SHIM_MODULE ": ") == err, "%s",
              err);
    cr_expect(strstr(err, path) != NULL, "dlerror names the file: %s", err);
}

Test(dicom_lazy_load, build_tree_module_loads)
{
    const char *build = getenv("VLM_BUILD_DIR");
    if (!build) cr_skip_test("VLM_BUILD_DIR not set (run through meson test)");
    char dir[1024], err[VLM_ERR_MAX] = "";
    snprintf(dir, sizeof dir, "%s/model/dicom", build);
    const char *dirs[] = {dir};
    cr_expect_not_null(dicom_shim_load_from(dirs, 1, err), "%s", err);
}
