/* test_clip_cache.c — the tokenizer's binary cache: a cold load writes it,
 * a warm load uses it and behaves identically, and a damaged, stale or
 * forged cache is ignored and rebuilt, never trusted. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/tokenizer/clip_tokenizer_cache.h"
#include "model/tokenizer/clip_tokenizer_cache_format.h"
#include "tests/tokenizer/tok_cases.h"
#include "tests/tokenizer/tok_fixture.h"

static char cache_dir[64];

/* Removes dir and the plain files in it (all this suite creates). */
static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char path[4400];
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            if (unlink(path) != 0) remove_tree(path);
        }
    closedir(d);
    rmdir(dir);
}

static void setup(void)
{
    strcpy(cache_dir, "/tmp/vlm_tokcache_XXXXXX");
    cr_assert_not_null(mkdtemp(cache_dir));
    setenv("VLMINDEX_CACHE_DIR", cache_dir, 1);
    unsetenv("VLMINDEX_NO_CACHE");
}

static void teardown(void) { remove_tree(cache_dir); }

TestSuite(clip_cache, .init = setup, .fini = teardown);

/* Number of tokenizer-*.bin files in the cache folder; the last one's path
 * goes to `path` (if not NULL).  Temp files left behind also count. */
static int cache_files(char *path, size_t cap)
{
    DIR *d = opendir(cache_dir);
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.') {
            n++;
            if (path) snprintf(path, cap, "%s/%s", cache_dir, e->d_name);
        }
    closedir(d);
    return n;
}

static clip_tokenizer *load_dir(const char *dir, int want_cached)
{
    char err[VLM_ERR_MAX] = "";
    clip_tokenizer *tok = NULL;
    cr_assert_eq(clip_tokenizer_create(dir, &tok, err), VLM_OK, "%s", err);
    cr_assert_eq(clip_tokenizer_loaded_from_cache(tok), want_cached,
                 "loaded_from_cache should be %d", want_cached);
    return tok;
}

static clip_tokenizer *load(int want_cached)
{
    return load_dir(tok_fixture_dir(), want_cached);
}

/* Cold load; returns the path of the cache file it wrote. */
static const char *cold_load(void)
{
    static char path[4400];
    clip_tokenizer_destroy(load(0));
    cr_assert_eq(cache_files(path, sizeof path), 1, "cold load left no cache");
    return path;
}

/* Every single id decodes to the same text. */
static void expect_same_decode(const clip_tokenizer *a, const clip_tokenizer *b)
{
    int n = clip_tokenizer_vocab_size(a), bad = 0;
    for (int32_t id = 0; id < n; id++) {
        char *da = clip_tokenizer_decode(a, &id, 1);
        char *db = clip_tokenizer_decode(b, &id, 1);
        cr_assert(da && db);
        bad += strcmp(da, db) != 0;
        free(da);
        free(db);
    }
    cr_expect_eq(bad, 0, "%d ids decode differently from the cache", bad);
}

Test(clip_cache, cold_load_writes_warm_load_reads)
{
    clip_tokenizer *cold = load(0);
    char path[4400];
    cr_assert_eq(cache_files(path, sizeof path), 1);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_expect_eq(st.st_mode & 0777, 0644, "cache mode %o", st.st_mode & 0777);
    cr_expect_eq(strncmp(path + strlen(cache_dir), "/tokenizer-", 11), 0, "%s",
                 path);

    clip_tokenizer *warm = load(1);
    cr_expect_eq(clip_tokenizer_bos(warm), clip_tokenizer_bos(cold));
    cr_expect_eq(clip_tokenizer_eos(warm), clip_tokenizer_eos(cold));
    cr_expect_eq(clip_tokenizer_vocab_size(warm), 49408);
    cr_assert_geq(tok_check_all_cases(warm), 30);
    expect_same_decode(cold, warm);
    clip_tokenizer_destroy(cold);
    clip_tokenizer_destroy(warm);
    cr_expect_eq(cache_files(NULL, 0), 1, "a warm load must not rewrite");
}

/* After `damage`, a load ignores the file and works, and rewrites it. */
static void expect_rebuilt(const char *what)
{
    clip_tokenizer *tok = load(0);
    cr_assert_geq(tok_check_all_cases(tok), 30, "after %s", what);
    clip_tokenizer_destroy(tok);
    clip_tokenizer_destroy(load(1)); /* the rewritten cache is good */
}

static void truncate_to(const char *path, off_t size)
{
    cr_assert_eq(truncate(path, size), 0);
}

static void flip_byte(const char *path, long off)
{
    FILE *f = fopen(path, "r+b");
    cr_assert_not_null(f);
    cr_assert_eq(fseek(f, off, SEEK_SET), 0);
    int c = fgetc(f);
    cr_assert_neq(c, EOF);
    cr_assert_eq(fseek(f, off, SEEK_SET), 0);
    fputc(c ^ 0x5A, f);
    fclose(f);
}

Test(clip_cache, truncated_cache_is_rebuilt)
{
    const char *path = cold_load();
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    const off_t sizes[] = {st.st_size / 2, st.st_size - 1,
                           (off_t)sizeof(clip_cache_header) - 1, 0};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        truncate_to(path, sizes[i]);
        expect_rebuilt("truncation");
    }
}

Test(clip_cache, flipped_bytes_are_detected)
{
    const char *path = cold_load();
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    const long offsets[] = {
        0,                                      /* magic */
        (long)offsetof(clip_cache_header, sot), /* a header value */
        (long)offsetof(clip_cache_header, checksum),
        (long)sizeof(clip_cache_header) + 5, /* byte ids */
        (long)st.st_size / 2,                /* payload */
        (long)st.st_size - 3,                /* last merge slot */
    };
    for (size_t i = 0; i < sizeof offsets / sizeof *offsets; i++) {
        flip_byte(path, offsets[i]);
        expect_rebuilt("a flipped byte");
    }
}

/* Rewrites `size` bytes at `off` and fixes the checksum, so only the
 * loader's other checks can catch the forgery. */
static void forge(const char *path, size_t off, const void *data, size_t size)
{
    FILE *f = fopen(path, "r+b");
    cr_assert_not_null(f);
    struct stat st;
    cr_assert_eq(fstat(fileno(f), &st), 0);
    size_t n = (size_t)st.st_size;
    char *img = malloc(n);
    cr_assert_eq(fread(img, 1, n, f), n);
    memcpy(img + off, data, size);
    clip_cache_header h;
    memcpy(&h, img, sizeof h);
    h.checksum = clip_cache_checksum(img, n);
    memcpy(img, &h, sizeof h);
    rewind(f);
    cr_assert_eq(fwrite(img, 1, n, f), n);
    fclose(f);
    free(img);
}

static clip_cache_header read_header(const char *path)
{
    clip_cache_header h;
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    cr_assert_eq(fread(&h, sizeof h, 1, f), 1);
    fclose(f);
    return h;
}

Test(clip_cache, forged_cache_with_valid_checksum_is_rejected)
{
    const char *path = cold_load();
    clip_cache_header h = read_header(path);
    /* the forgery check itself: an untouched re-checksum is still valid */
    forge(path, 0, &h, sizeof h);
    clip_tokenizer_destroy(load(1));

    uint64_t other_key = h.key_hash ^ 1;
    forge(path, offsetof(clip_cache_header, key_hash), &other_key, 8);
    expect_rebuilt("a wrong key");

    uint64_t far = h.file_size + 8; /* bytes section past the end */
    forge(path, offsetof(clip_cache_header, sec[CLIP_SEC_BYTES].off), &far, 8);
    expect_rebuilt("an out-of-bounds section");

    int32_t bad_id = h.n_ids; /* byte_id[0] outside the vocabulary */
    forge(path, h.sec[CLIP_SEC_BYTE_IDS].off, &bad_id, 4);
    expect_rebuilt("an out-of-range id");

    uint32_t huge = UINT32_MAX; /* start[0] points past the bytes */
    forge(path, h.sec[CLIP_SEC_START].off, &huge, 4);
    expect_rebuilt("an out-of-bounds token span");

    /* every merge slot used: a lookup would probe forever */
    size_t merges_size = h.sec[CLIP_SEC_MERGES].size;
    char *full = malloc(merges_size);
    for (size_t i = 0; i + 16 <= merges_size; i += 16)
        memcpy(full + i, (int32_t[4]){1, 0, 0, 2}, 16); /* pair (0,1) */
    forge(path, h.sec[CLIP_SEC_MERGES].off, full, merges_size);
    free(full);
    expect_rebuilt("a full merge table");
}

Test(clip_cache, no_cache_env_writes_nothing)
{
    tok_fixture_dir();
    setenv("VLMINDEX_NO_CACHE", "1", 1);
    clip_tokenizer_destroy(load(0));
    clip_tokenizer_destroy(load(0));
    cr_expect_eq(cache_files(NULL, 0), 0, "VLMINDEX_NO_CACHE=1 wrote a file");
}

Test(clip_cache, unwritable_cache_dir_is_not_an_error)
{
    tok_fixture_dir();
    setenv("VLMINDEX_CACHE_DIR", "/proc/vlm-no-such/cache", 1);
    clip_tokenizer *tok = load(0);
    cr_expect_geq(tok_check_all_cases(tok), 30);
    clip_tokenizer_destroy(tok);
}

Test(clip_cache, missing_cache_dir_is_created_private)
{
    tok_fixture_dir();
    char nested[128];
    snprintf(nested, sizeof nested, "%s/a/b", cache_dir);
    setenv("VLMINDEX_CACHE_DIR", nested, 1);
    clip_tokenizer_destroy(load(0));
    clip_tokenizer_destroy(load(1));
    struct stat st;
    cr_assert_eq(stat(nested, &st), 0);
    cr_expect_eq(st.st_mode & 0777, 0700, "folder mode %o", st.st_mode & 0777);
}

static void join(char *out, size_t cap, const char *dir, const char *name)
{
    cr_assert_lt(snprintf(out, cap, "%s/%s", dir, name), (int)cap);
}

static void copy_file(const char *from, const char *to, const char *extra)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    cr_assert(in && out, "copying %s to %s", from, to);
    char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        cr_assert_eq(fwrite(buf, 1, n, out), n);
    fputs(extra, out);
    fclose(in);
    fclose(out);
}

Test(clip_cache, changed_vocab_does_not_reuse_old_cache)
{
    const char *fx = tok_fixture_dir();
    char src[4200], dst[4200], sub[4200];
    join(sub, sizeof sub, cache_dir, "src");
    cr_assert_eq(mkdir(sub, 0700), 0);
    const char *names[] = {"vocab.json", "merges.txt"};
    for (int i = 0; i < 2; i++) {
        join(src, sizeof src, fx, names[i]);
        join(dst, sizeof dst, sub, names[i]);
        copy_file(src, dst, "");
    }
    setenv("VLMINDEX_CACHE_DIR", cache_dir, 1);
    clip_tokenizer_destroy(load_dir(sub, 0));
    clip_tokenizer_destroy(load_dir(sub, 1));

    join(src, sizeof src, fx, "vocab.json");
    join(dst, sizeof dst, sub, "vocab.json");
    copy_file(src, dst, "\n "); /* same JSON, different bytes */
    clip_tokenizer *tok = load_dir(sub, 0);
    cr_expect_geq(tok_check_all_cases(tok), 30);
    clip_tokenizer_destroy(tok);
    cr_expect_eq(cache_files(NULL, 0), 3, "src/ + one cache per vocab.json");
}
