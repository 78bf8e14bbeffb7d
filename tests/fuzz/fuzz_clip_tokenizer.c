/*
 * fuzz_clip_tokenizer.c — libFuzzer target for the CLIP tokenizer.
 *
 * Loads the fixture vocabulary once ($VLM_FIXTURES/tokenizer-clip, else the
 * fixtures folder meson was configured with), then for any byte string:
 * encode must succeed, encode_context must agree with it (start, prefix,
 * end token last, padding), and decode must return valid UTF-8 — both for
 * the encoded ids and for the input reinterpreted as arbitrary ids.
 */
#include "model/tokenizer/clip_tokenizer.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_IDS 256

static clip_tokenizer *tok;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char dir[4096], err[VLM_ERR_MAX];
    const char *fx = getenv("VLM_FIXTURES");
    snprintf(dir, sizeof dir, "%s/tokenizer-clip", fx ? fx : VLM_FUZZ_FIXTURES);
    if (clip_tokenizer_create(dir, &tok, err) != VLM_OK) {
        fprintf(stderr, "fuzz_clip_tokenizer: %s\n", err);
        abort();
    }
    return 0;
}

/* Valid UTF-8 per RFC 3629 (no surrogates, overlongs or > U+10FFFF). */
static int valid_utf8(const unsigned char *s)
{
    while (*s) {
        unsigned c = *s, n = c < 0x80   ? 0
                             : c < 0xC2 ? 9
                             : c < 0xE0 ? 1
                             : c < 0xF0 ? 2
                             : c < 0xF5 ? 3
                                        : 9;
        if (n == 9) return 0;
        unsigned lo = (c == 0xE0) ? 0xA0 : (c == 0xF0) ? 0x90 : 0x80;
        unsigned hi = (c == 0xED) ? 0x9F : (c == 0xF4) ? 0x8F : 0xBF;
        for (unsigned i = 1; i <= n; i++) {
            unsigned b = s[i];
            if (b < (i == 1 ? lo : 0x80) || b > (i == 1 ? hi : 0xBF)) return 0;
        }
        s += n + 1;
    }
    return 1;
}

static void check_decode(const int32_t *ids, int n)
{
    char *text = clip_tokenizer_decode(tok, ids, n);
    if (!text || !valid_utf8((const unsigned char *)text)) __builtin_trap();
    free(text);
}

static void check_context(const char *text, const int32_t *ids, int n)
{
    int32_t ctx[CLIP_CONTEXT_LEN];
    char err[VLM_ERR_MAX];
    int real = clip_tokenizer_encode_context(tok, text, ctx, CLIP_CONTEXT_LEN,
                                             -1, err);
    int want = n + 2 < CLIP_CONTEXT_LEN ? n + 2 : CLIP_CONTEXT_LEN;
    if (real != want || ctx[0] != clip_tokenizer_bos(tok) ||
        ctx[real - 1] != clip_tokenizer_eos(tok))
        __builtin_trap();
    for (int i = 1; i < real - 1; i++)
        if (ctx[i] != ids[i - 1]) __builtin_trap();
    for (int i = real; i < CLIP_CONTEXT_LEN; i++)
        if (ctx[i] != -1) __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1), err[VLM_ERR_MAX];
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0; /* an embedded NUL simply ends the text */
    int32_t ids[MAX_IDS];
    int n = clip_tokenizer_encode(tok, text, ids, MAX_IDS, err);
    if (n < 0) __builtin_trap();
    int kept = n < MAX_IDS ? n : MAX_IDS;
    for (int i = 0; i < kept; i++)
        if (ids[i] < 0 || ids[i] >= clip_tokenizer_vocab_size(tok))
            __builtin_trap();
    check_context(text, ids, n);
    check_decode(ids, kept);
    int32_t raw[64];
    size_t nraw = size / 4 < 64 ? size / 4 : 64;
    memcpy(raw, data, nraw * 4);
    check_decode(raw, (int)nraw);
    free(text);
    return 0;
}
