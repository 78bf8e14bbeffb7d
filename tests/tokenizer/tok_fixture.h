/*
 * tok_fixture.h — shared helpers for the CLIP tokenizer tests: locate the
 * fixture folder (skipping the test when it is absent) and load it once.
 * Unless VLMINDEX_CACHE_DIR is set, tokenizer caches go to
 * $VLM_BUILD_DIR/tokenizer-test-cache, never to the user's ~/.cache.
 */
#ifndef VLM_TESTS_TOK_FIXTURE_H
#define VLM_TESTS_TOK_FIXTURE_H

#include "model/tokenizer/clip_tokenizer.h"

/* $VLM_FIXTURES/tokenizer-clip; skips the current test if missing.  Call
 * it before any load (it sets the test cache folder). */
const char *tok_fixture_dir(void);

/* Loaded tokenizer for the fixture (asserts success); free with
 * clip_tokenizer_destroy. */
clip_tokenizer *tok_fixture_load(void);

/* Encodes text into a malloc'd array; *n receives the count. */
int32_t *tok_encode_all(const clip_tokenizer *tok, const char *text, int *n);

/* decode(encode(text)), malloc'd. */
char *tok_roundtrip(const clip_tokenizer *tok, const char *text);

#endif
