/* tok_fixture.c — see tok_fixture.h. */
#include "tests/tokenizer/tok_fixture.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Loads write tokenizer caches; keep them in the build folder, not $HOME,
 * unless the caller chose a folder. */
static void keep_cache_out_of_home(void)
{
    const char *build = getenv("VLM_BUILD_DIR");
    char dir[4200];
    if (getenv("VLMINDEX_CACHE_DIR")) return;
    if (build)
        snprintf(dir, sizeof dir, "%s/tokenizer-test-cache", build);
    else
        snprintf(dir, sizeof dir, "/tmp/vlm-tokenizer-test-cache-%d",
                 (int)getuid());
    setenv("VLMINDEX_CACHE_DIR", dir, 1);
}

const char *tok_fixture_dir(void)
{
    static char dir[4096];
    keep_cache_out_of_home();
    const char *root = getenv("VLM_FIXTURES");
    if (!root) cr_skip_test("VLM_FIXTURES is not set; run through meson test");
    snprintf(dir, sizeof dir, "%s/tokenizer-clip", root);
    if (access(dir, R_OK) != 0) cr_skip_test("fixtures not found at %s", dir);
    return dir;
}

clip_tokenizer *tok_fixture_load(void)
{
    char err[VLM_ERR_MAX] = "";
    clip_tokenizer *tok = NULL;
    int rc = clip_tokenizer_create(tok_fixture_dir(), &tok, err);
    cr_assert_eq(rc, VLM_OK, "loading the fixture tokenizer: %s", err);
    return tok;
}

int32_t *tok_encode_all(const clip_tokenizer *tok, const char *text, int *n)
{
    char err[VLM_ERR_MAX] = "";
    *n = clip_tokenizer_encode(tok, text, NULL, 0, err);
    cr_assert_geq(*n, 0, "encode failed: %s", err);
    int32_t *ids = malloc(((size_t)*n + 1) * sizeof *ids);
    cr_assert_not_null(ids);
    int again = clip_tokenizer_encode(tok, text, ids, *n, err);
    cr_assert_eq(again, *n, "encode is not deterministic: %d vs %d", again, *n);
    return ids;
}

char *tok_roundtrip(const clip_tokenizer *tok, const char *text)
{
    int n;
    int32_t *ids = tok_encode_all(tok, text, &n);
    char *s = clip_tokenizer_decode(tok, ids, n);
    free(ids);
    cr_assert_not_null(s);
    return s;
}
