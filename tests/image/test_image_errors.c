/*
 * test_image_errors.c — bad input: every file in images/bad fails with a
 * message that names the file; bombs are refused from the header alone
 * (VLM_ETOOBIG, fast, no large allocation); sniffing ignores extensions.
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include <criterion/criterion.h>

#include "tests/image/image_fixture.h"

static long max_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

Test(image_errors, every_bad_file_fails_naming_the_file)
{
    char dir[4096], path[8192], err[VLM_ERR_MAX];
    image_fixture_dir("bad", dir, sizeof dir);
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    int seen = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        img_rgb im;
        img_info info;
        err[0] = '\0';
        int rc = img_decode_file(path, NULL, &im, &info, err);
        cr_expect_neq(rc, VLM_OK, "%s decoded although it is bad", e->d_name);
        cr_expect_null(im.pixels, "%s: pixels left allocated", e->d_name);
        cr_expect(strstr(err, e->d_name) != NULL,
                  "%s: message lacks the file "
                  "name: %s",
                  e->d_name, err);
        cr_expect(strlen(err) > strlen(path) + 5, "%s: no reason given: %s",
                  e->d_name, err);
        seen++;
    }
    closedir(d);
    cr_assert_geq(seen, 9, "only %d bad files found", seen);
}

static void expect_bomb_refused(const char *name)
{
    char path[4096], rel[256], err[VLM_ERR_MAX] = "";
    snprintf(rel, sizeof rel, "images/bad/%s", name);
    fixture_path(rel, path, sizeof path);
    long rss0 = max_rss_kb();
    double t0 = now_seconds();
    img_rgb im;
    int rc = img_decode_file(path, NULL, &im, NULL, err);
    double dt = now_seconds() - t0;
    long grew_kb = max_rss_kb() - rss0;
    cr_assert_eq(rc, VLM_ETOOBIG, "%s: rc %d (%s)", name, rc, err);
    cr_assert(strstr(err, "pixels") && strstr(err, name), "%s: %s", name, err);
    cr_assert_lt(dt, 0.25, "%s took %.3f s to refuse", name, dt);
    cr_assert_lt(grew_kb, 32 * 1024, "%s: peak RSS grew by %ld KiB", name,
                 grew_kb);
}

Test(image_errors, jpeg_bomb_refused_from_header)
{
    expect_bomb_refused("bomb-65000x65000.jpg");
}

Test(image_errors, png_bomb_refused_from_header)
{
    expect_bomb_refused("bomb-100000x100000.png");
}

Test(image_errors, pixel_limit_option_applies)
{
    char path[4096], err[VLM_ERR_MAX] = "";
    fixture_path("images/photos/cat.jpg", path, sizeof path);
    img_decode_opts o = {1000, 0}; /* cat.jpg is 384x256 */
    img_rgb im;
    cr_assert_eq(img_decode_file(path, &o, &im, NULL, err), VLM_ETOOBIG, "%s",
                 err);
}

Test(image_errors, missing_file_is_not_found)
{
    char err[VLM_ERR_MAX] = "";
    img_rgb im;
    int rc = img_decode_file("/nonexistent/dir/x.jpg", NULL, &im, NULL, err);
    cr_assert_eq(rc, VLM_ENOTFOUND);
    cr_assert(strstr(err, "/nonexistent/dir/x.jpg"), "%s", err);
}

static img_format sniff_file(const char *rel)
{
    char path[4096];
    fixture_path(rel, path, sizeof path);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    unsigned char buf[64];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return img_sniff(buf, n);
}

Test(image_sniff, extensions_are_ignored)
{
    cr_expect_eq(sniff_file("images/photos/duck.jp2"), IMG_JPEG);
    cr_expect_eq(sniff_file("images/edge/jpeg-with-wrong-extension.jp2"),
                 IMG_JPEG);
    cr_expect_eq(sniff_file("images/bad/text-named.jpg"), IMG_UNKNOWN);
    cr_expect_eq(sniff_file("images/photos/not-an-image.txt"), IMG_UNKNOWN);
    cr_expect_eq(sniff_file("images/photos/tree.webp"), IMG_WEBP);
    cr_expect_eq(sniff_file("images/photos/chess-knight.tiff"), IMG_TIFF);
    cr_expect_eq(sniff_file("images/photos/chess-pawns.bmp"), IMG_BMP);
    cr_expect_eq(sniff_file("images/photos/magpie.pbm"), IMG_PNM);
    cr_expect_eq(sniff_file("images/photos/chess-queen.gif"), IMG_GIF);
    cr_expect_eq(sniff_file("images/edge/palette.png"), IMG_PNG);
}

Test(image_sniff, short_and_empty_buffers)
{
    cr_expect_eq(img_sniff(NULL, 0), IMG_UNKNOWN);
    cr_expect_eq(img_sniff("\xff\xd8", 2), IMG_UNKNOWN);
    cr_expect_eq(img_sniff("P7\n", 3), IMG_UNKNOWN);
    cr_expect_str_eq(img_format_name(IMG_PNM), "pnm");
    char err[VLM_ERR_MAX] = "";
    img_rgb im;
    cr_expect_eq(img_decode_memory("", 0, "mem", NULL, &im, NULL, err),
                 VLM_EFORMAT);
    cr_expect(strstr(err, "mem: empty"), "%s", err);
}
