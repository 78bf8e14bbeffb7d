/* test_clip_text.c — normalisation rules beyond cases.jsonl (each pair must
 * tokenize identically, as Python's reference would make them), invalid
 * UTF-8, very long input, and decode edge cases. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/tokenizer/tok_fixture.h"

static clip_tokenizer *tok;

static void load(void) { tok = tok_fixture_load(); }
static void unload(void) { clip_tokenizer_destroy(tok); }

TestSuite(clip_text, .init = load, .fini = unload);

static void expect_same_ids(const char *a, const char *b)
{
    int na, nb;
    int32_t *ia = tok_encode_all(tok, a, &na),
            *ib = tok_encode_all(tok, b, &nb);
    int same = na == nb && memcmp(ia, ib, (size_t)na * sizeof *ia) == 0;
    char *da = clip_tokenizer_decode(tok, ia, na);
    cr_expect(same, "\"%s\" -> \"%s\" should tokenize like \"%s\"", a, da, b);
    free(da);
    free(ia);
    free(ib);
}

static void expect_roundtrip(const char *text, const char *decoded)
{
    char *s = tok_roundtrip(tok, text);
    cr_expect_str_eq(s, decoded, "decode(encode(\"%s\"))", text);
    free(s);
}

Test(clip_text, html_unescape_like_python)
{
    expect_same_ids("&eacute;t&#233;", "été");
    expect_same_ids("&#x41;&#65;&#X42;", "aab");
    expect_same_ids("&notit; &ampfoo", "¬it; &foo"); /* legacy prefixes */
    expect_roundtrip("&#128;&#x93;", "€\u201c ");    /* cp1252; not uncurled */
    expect_same_ids("a&#0;b &#xD800; &#99999999999;", "a\uFFFDb \uFFFD \uFFFD");
    expect_same_ids("x&#1;y&#xFFFF;z", "xyz"); /* dropped */
    expect_same_ids("&NotNestedGreaterGreater; &bogus; &#x;",
                    "\u2AA2\u0338 &bogus; &#x;");
    expect_roundtrip("&amp;amp;lt;", "& lt ; "); /* exactly twice */
}

Test(clip_text, ftfy_character_fixes)
{
    expect_same_ids("\u201chi\u201d \u2018x\u2019 \u02bcy", "\"hi\" 'x' 'y");
    expect_same_ids("\uFB03x \uFB06 \u0133", "ffix st ij");
    expect_same_ids("\uFF21\uFF22\u3000\uFF43\uFF01", "ab c!");
    expect_same_ids("a\x01"
                    "b\x7f"
                    "c\u200e\uFEFF",
                    "abc\u200e");
    expect_same_ids("\xc2\x93quoted\xc2\x94", "\"quoted\""); /* C1 as cp1252 */
    expect_same_ids("e\u0301", "\u00e9");                    /* NFC */
}

Test(clip_text, python_lower_and_split)
{
    expect_same_ids("\u03a3\u0391\u03a3 \u03a3", "\u03c3\u03b1\u03c2 \u03c3");
    expect_same_ids("\u0130", "i\u0307");
    expect_same_ids("IT'S ME", "it 's me");
    expect_same_ids("x\u00a0\u2003y\n\tz", "x y z");
    expect_roundtrip("a!<|endoftext|>", "a !<| endoftext |> ");
    expect_roundtrip("<|ENDOFTEXT|>", "<|endoftext|>");
}

Test(clip_text, invalid_utf8_becomes_replacement_char)
{
    /* Python: b"...".decode("utf-8", "replace") */
    expect_same_ids("\xff\xfe ok \xc3", "\uFFFD\uFFFD ok \uFFFD");
    expect_same_ids("\xe2\x82 \xed\xa0\x80 \xf4\x90\x80\x80",
                    "\uFFFD \uFFFD\uFFFD\uFFFD \uFFFD\uFFFD\uFFFD\uFFFD");
    expect_same_ids("\xc0\xaf", "\uFFFD\uFFFD"); /* overlong */
}

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void check_long(const char *text)
{
    int32_t ctx[CLIP_CONTEXT_LEN];
    char err[VLM_ERR_MAX] = "";
    double t0 = seconds_now();
    int real =
        clip_tokenizer_encode_context(tok, text, ctx, CLIP_CONTEXT_LEN, 0, err);
    double dt = seconds_now() - t0;
    cr_expect_eq(real, CLIP_CONTEXT_LEN, "%s", err);
    cr_expect_eq(ctx[0], clip_tokenizer_bos(tok));
    cr_expect_eq(ctx[CLIP_CONTEXT_LEN - 1], clip_tokenizer_eos(tok));
    /* generous: ~0.1 s in a release build, several times that under ASan */
    cr_expect_lt(dt, 5.0, "1 MB took %.2f s", dt);
    /* the truncated context is the prefix of the full encoding */
    int32_t head[CLIP_CONTEXT_LEN];
    int total =
        clip_tokenizer_encode(tok, text, head, CLIP_CONTEXT_LEN - 2, err);
    cr_expect_gt(total, CLIP_CONTEXT_LEN);
    cr_expect_eq(memcmp(head, ctx + 1, (CLIP_CONTEXT_LEN - 2) * sizeof *head),
                 0);
}

Test(clip_text, one_megabyte_input_truncates)
{
    size_t n = 1 << 20;
    char *text = malloc(n + 1);
    cr_assert_not_null(text);
    const char *words = "a photo of the lung, 42 nodules; ";
    for (size_t i = 0; i < n; i++) text[i] = words[i % strlen(words)];
    text[n] = 0;
    check_long(text);
    memset(text, 'q', n); /* one 1 MB "word": worst case for BPE */
    check_long(text);
    free(text);
}

Test(clip_text, decode_edge_cases)
{
    int32_t bad[] = {-5, 49408, 1 << 30};
    char *s = clip_tokenizer_decode(tok, bad, 3);
    cr_expect_str_eq(s, "", "unknown ids are skipped");
    free(s);
    int32_t half[] = {2, 127}; /* "#" then byte 0xC3 alone */
    s = clip_tokenizer_decode(tok, half, 2);
    cr_expect_str_eq(s, "#\uFFFD");
    free(s);
    s = clip_tokenizer_decode(tok, NULL, 0);
    cr_expect_str_eq(s, "");
    free(s);
}

Test(clip_text, bad_arguments)
{
    int32_t ids[4];
    char err[VLM_ERR_MAX];
    cr_expect_eq(clip_tokenizer_encode(tok, NULL, ids, 4, err), VLM_EINVAL);
    cr_expect_eq(clip_tokenizer_encode_context(tok, "x", ids, 1, 0, err),
                 VLM_EINVAL);
    cr_expect_eq(clip_tokenizer_encode(tok, "a b c", NULL, 0, err), 3);
}
