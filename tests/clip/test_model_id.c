/*
 * test_model_id.c — the model id covers the weight bytes: a checkpoint with
 * the same shapes and different weights gets another id (the legacy id,
 * which read only headers, did not tell them apart); the shard digests are
 * cached, so a second load reads no weights; rewriting a file (even with
 * its old mtime restored) or damaging the cache forces a rehash.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "model/clip/clip.h"
#include "tests/clip/clip_fixture.h"

#define FX "clip-tiny-quickgelu-f32"

static char cache_dir[64];

/* A fresh, empty cache folder for each test. */
static void fresh_cache(void)
{
    snprintf(cache_dir, sizeof cache_dir, "/tmp/vlm-id-cache-XXXXXX");
    cr_assert_not_null(mkdtemp(cache_dir));
    setenv("VLMINDEX_CACHE_DIR", cache_dir, 1);
    unsetenv("VLMINDEX_NO_CACHE");
}

static void remove_dir(const char *dir)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

static clip_model *load_text(const char *dir)
{
    clip_options o = clip_options_default();
    o.parts = CLIP_PART_TEXT;
    clip_model *m = NULL;
    char err[VLM_ERR_MAX] = "";
    cr_assert_eq(clip_model_load(dir, &o, &m, err), VLM_OK, "%s", err);
    return m;
}

/* A copy of the fixture (config symlinked, weights copied) in a temp
 * folder; with flip, one float of the tensor data changes. */
static void copy_fixture(const char *src, char *dst, size_t cap, int flip)
{
    snprintf(dst, cap, "/tmp/vlm-id-ckpt-XXXXXX");
    cr_assert_not_null(mkdtemp(dst));
    char a[8192], b[8192];
    snprintf(a, sizeof a, "%s/config.json", src);
    snprintf(b, sizeof b, "%s/config.json", dst);
    cr_assert_eq(symlink(a, b), 0);
    snprintf(a, sizeof a, "cp '%s/model.safetensors' '%s/'", src, dst);
    cr_assert_eq(system(a), 0);
    if (!flip) return;
    snprintf(b, sizeof b, "%s/model.safetensors", dst);
    int fd = open(b, O_RDWR);
    struct stat st;
    cr_assert(fd >= 0 && fstat(fd, &st) == 0);
    float v;
    off_t at = st.st_size - 4; /* last float of the last tensor */
    cr_assert_eq(pread(fd, &v, 4, at), 4);
    v += 0.25f;
    cr_assert_eq(pwrite(fd, &v, 4, at), 4);
    close(fd);
}

Test(model_id, different_weights_same_shapes)
{
    char dir[4096], same[64], other[64];
    fresh_cache();
    fixture_dir(FX, dir, sizeof dir);
    copy_fixture(dir, same, sizeof same, 0);
    copy_fixture(dir, other, sizeof other, 1);
    clip_model *a = load_text(dir), *b = load_text(same), *c = load_text(other);
    cr_expect_eq(strlen(clip_model_id(a)), 16);
    cr_expect_str_eq(clip_model_id(a), clip_model_id(b));
    cr_expect_str_neq(clip_model_id(a), clip_model_id(c),
                      "same shapes, different weights, same id %s",
                      clip_model_id(a));
    /* the legacy id (config + headers + sizes) cannot tell them apart */
    cr_expect_str_eq(clip_model_legacy_id(a), clip_model_legacy_id(c));
    cr_expect_str_eq(clip_model_legacy_id(a), "d7eb4fedd20c3db1");
    clip_model_destroy(a);
    clip_model_destroy(b);
    clip_model_destroy(c);
    remove_dir(same);
    remove_dir(other);
    remove_dir(cache_dir);
}

Test(model_id, second_load_uses_the_cache)
{
    char dir[4096];
    fresh_cache();
    fixture_dir(FX, dir, sizeof dir);
    clip_model *a = load_text(dir);
    cr_expect_eq(clip_model_id_from_cache(a), 0, "first load hashed nothing?");
    clip_model *b = load_text(dir);
    cr_expect_eq(clip_model_id_from_cache(b), 1, "second load rehashed");
    cr_expect_str_eq(clip_model_id(a), clip_model_id(b));
    clip_model_destroy(a);
    clip_model_destroy(b);
    setenv("VLMINDEX_NO_CACHE", "1", 1);
    clip_model *c = load_text(dir);
    cr_expect_eq(clip_model_id_from_cache(c), 0);
    clip_model_destroy(c);
    unsetenv("VLMINDEX_NO_CACHE");
    remove_dir(cache_dir);
}

/* Flips one float of DIR/model.safetensors in place, then puts its old
 * mtime back: same inode, size and mtime. */
static void rewrite_keeping_mtime(const char *dir)
{
    char path[128];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    usleep(50000); /* past the file system's timestamp granularity */
    int fd = open(path, O_RDWR);
    cr_assert(fd >= 0);
    float v;
    cr_assert_eq(pread(fd, &v, 4, st.st_size - 8), 4);
    v -= 0.5f;
    cr_assert_eq(pwrite(fd, &v, 4, st.st_size - 8), 4);
    struct timespec ts[2] = {st.st_atim, st.st_mtim};
    cr_assert_eq(futimens(fd, ts), 0);
    close(fd);
    struct stat now;
    cr_assert_eq(stat(path, &now), 0);
    cr_assert(now.st_ino == st.st_ino && now.st_size == st.st_size &&
              now.st_mtim.tv_sec == st.st_mtim.tv_sec &&
              now.st_mtim.tv_nsec == st.st_mtim.tv_nsec);
}

Test(model_id, rewrite_with_old_mtime_rehashes)
{
    char dir[4096], copy[64];
    fresh_cache();
    fixture_dir(FX, dir, sizeof dir);
    copy_fixture(dir, copy, sizeof copy, 0);
    clip_model *a = load_text(copy);
    rewrite_keeping_mtime(copy);
    clip_model *b = load_text(copy);
    cr_expect_eq(clip_model_id_from_cache(b), 0, "stale digest reused");
    cr_expect_str_neq(clip_model_id(a), clip_model_id(b));
    clip_model_destroy(a);
    clip_model_destroy(b);
    remove_dir(copy);
    remove_dir(cache_dir);
}

/* Every cache file damaged: ignored, the weights are hashed again, the id
 * is unchanged. */
Test(model_id, damaged_cache_is_recomputed)
{
    char dir[4096], cmd[512];
    fresh_cache();
    fixture_dir(FX, dir, sizeof dir);
    clip_model *a = load_text(dir);
    snprintf(cmd, sizeof cmd,
             "for f in '%s'/weights-*.digest; do printf 'junk' | dd "
             "of=\"$f\" bs=1 seek=40 conv=notrunc 2>/dev/null; done",
             cache_dir);
    cr_assert_eq(system(cmd), 0);
    clip_model *b = load_text(dir);
    cr_expect_eq(clip_model_id_from_cache(b), 0);
    cr_expect_str_eq(clip_model_id(a), clip_model_id(b));
    clip_model *c = load_text(dir); /* the rewritten entry is good again */
    cr_expect_eq(clip_model_id_from_cache(c), 1);
    clip_model_destroy(a);
    clip_model_destroy(b);
    clip_model_destroy(c);
    remove_dir(cache_dir);
}
