/*
 * test_media_path.c — media_abspath() on paths that exist, paths whose file
 * is gone, and paths whose whole folder is gone (an unplugged disk): never
 * NULL but for lack of memory (probe examples under an offline root were
 * refused as "out of memory").
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "media/media_path.h"

static void expect_abspath(const char *in, const char *want)
{
    char *got = media_abspath(in);
    cr_assert(got, "media_abspath(%s) gave NULL", in);
    cr_expect_str_eq(got, want, "media_abspath(%s)", in);
    free(got);
}

Test(media_path, existing_and_vanished_paths)
{
    expect_abspath("/", "/");
    expect_abspath("/tmp/../tmp", "/tmp");
    expect_abspath("/tmp/no-such-file-here.jpg", "/tmp/no-such-file-here.jpg");
}

Test(media_path, a_path_under_a_missing_folder_stays_absolute)
{
    expect_abspath("/no-such-disk/photos/cat.jpg",
                   "/no-such-disk/photos/cat.jpg");
    cr_assert_eq(chdir("/tmp"), 0);
    char want[64];
    snprintf(want, sizeof want, "%s/gone-folder/x.jpg", "/tmp");
    expect_abspath("gone-folder/x.jpg", want);
}
