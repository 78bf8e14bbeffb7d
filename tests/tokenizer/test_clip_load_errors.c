/* test_clip_load_errors.c — missing or corrupt vocab.json / merges.txt give
 * a status and a message naming the file, never a crash. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/tokenizer/tok_fixture.h"

static char tmpdir[64];

static void make_tmpdir(void)
{
    strcpy(tmpdir, "/tmp/vlm_tok_test_XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/vocab.json", tmpdir);
    unlink(path);
    snprintf(path, sizeof path, "%s/merges.txt", tmpdir);
    unlink(path);
    rmdir(tmpdir);
}

TestSuite(clip_load_errors, .init = make_tmpdir, .fini = remove_tmpdir);

/* Writes tmpdir/name with len bytes of data; returns its path (static). */
static const char *write_tmp(const char *name, const char *data, size_t len)
{
    static char path[2][128];
    static int which;
    char *p = path[which ^= 1];
    snprintf(p, sizeof path[0], "%s/%s", tmpdir, name);
    FILE *f = fopen(p, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(data, 1, len, f), len);
    fclose(f);
    return p;
}

static void expect_fail(const char *vocab, const char *merges, int status,
                        const char *needle)
{
    char err[VLM_ERR_MAX] = "";
    clip_tokenizer *tok = (clip_tokenizer *)0x1;
    int rc = clip_tokenizer_create_files(vocab, merges, &tok, err);
    cr_expect_eq(rc, status, "status %d (%s), wanted %d", rc, err, status);
    cr_expect_null(tok, "out must be NULL on failure");
    cr_expect(strstr(err, needle) != NULL, "message \"%s\" lacks \"%s\"", err,
              needle);
}

static char fixture_vocab[4200], fixture_merges[4200];

static void fixture_paths(void)
{
    const char *dir = tok_fixture_dir();
    snprintf(fixture_vocab, sizeof fixture_vocab, "%s/vocab.json", dir);
    snprintf(fixture_merges, sizeof fixture_merges, "%s/merges.txt", dir);
}

Test(clip_load_errors, missing_directory_names_vocab)
{
    char err[VLM_ERR_MAX] = "";
    clip_tokenizer *tok = NULL;
    int rc = clip_tokenizer_create("/nonexistent/tok", &tok, err);
    cr_expect_eq(rc, VLM_ENOTFOUND);
    cr_expect(strstr(err, "/nonexistent/tok/vocab.json") != NULL, "%s", err);
}

Test(clip_load_errors, missing_merges)
{
    fixture_paths();
    expect_fail(fixture_vocab, "/nonexistent/merges.txt", VLM_ENOTFOUND,
                "/nonexistent/merges.txt");
}

Test(clip_load_errors, corrupt_vocab_json)
{
    fixture_paths();
    const char *truncated = "{\"a\": 0, \"b\": ";
    expect_fail(write_tmp("vocab.json", truncated, strlen(truncated)),
                fixture_merges, VLM_EFORMAT, "vocab.json");
    expect_fail(write_tmp("vocab.json", "[1, 2]", 6), fixture_merges,
                VLM_EFORMAT, "vocab.json");
    expect_fail(write_tmp("vocab.json", "{} trailing", 11), fixture_merges,
                VLM_EFORMAT, "vocab.json");
    expect_fail(write_tmp("vocab.json", "{\"a\": -3}", 9), fixture_merges,
                VLM_EFORMAT, "vocab.json");
    expect_fail(write_tmp("vocab.json", "{\"a\": \"x\"}", 10), fixture_merges,
                VLM_EFORMAT, "vocab.json");
    /* well-formed but without the 512 byte tokens */
    expect_fail(write_tmp("vocab.json", "{\"a\": 0}", 8), fixture_merges,
                VLM_EFORMAT, "lacks the token for byte");
    expect_fail(write_tmp("vocab.json", "", 0), fixture_merges, VLM_EFORMAT,
                "vocab.json");
}

Test(clip_load_errors, corrupt_merges_txt)
{
    fixture_paths();
    const char *three = "#version: 0.2\ni n\nt h e\n";
    expect_fail(fixture_vocab, write_tmp("merges.txt", three, strlen(three)),
                VLM_EFORMAT, "merges.txt line 3");
    const char *unknown = "#version: 0.2\nqqqq zzzz\n";
    expect_fail(fixture_vocab,
                write_tmp("merges.txt", unknown, strlen(unknown)), VLM_EFORMAT,
                "missing from vocab.json");
    expect_fail(fixture_vocab, write_tmp("merges.txt", "#version: 0.2\n", 14),
                VLM_EFORMAT, "no merges");
    expect_fail(fixture_vocab, write_tmp("merges.txt", "x\0y z\n", 6),
                VLM_EFORMAT, "NUL");
}

Test(clip_load_errors, small_valid_merges_load)
{
    fixture_paths();
    const char *two = "#version: 0.2\r\ni n\r\nt h\r\n";
    char err[VLM_ERR_MAX] = "";
    clip_tokenizer *tok = NULL;
    cr_assert_eq(clip_tokenizer_create_files(
                     fixture_vocab, write_tmp("merges.txt", two, strlen(two)),
                     &tok, err),
                 VLM_OK, "%s", err);
    /* with only "i n" and "t h", "thin" stays in pieces */
    int32_t ids[8];
    cr_expect_eq(clip_tokenizer_encode(tok, "thin", ids, 8, err), 3);
    clip_tokenizer_destroy(tok);
}
