/*
 * test_wordpiece.c — Chinese-CLIP's WordPiece tokenizer against
 * tokenizer-chinese-bert/cases.jsonl (tokens, ids, context52, decoded: all
 * exact), the vocab.txt line-numbering trap, and bad vocabularies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "model/tokenizer/wordpiece_tokenizer.h"
#include "tests/tokenizer/jsonl_cases.h"

#define FX "tokenizer-chinese-bert"

static wordpiece_tokenizer *load(void)
{
    char path[4096], err[VLM_ERR_MAX] = "";
    case_file(FX, "vocab.txt", path, sizeof path);
    wordpiece_tokenizer *t = NULL;
    cr_assert_eq(wordpiece_tokenizer_create_file(path, &t, err), VLM_OK, "%s",
                 err);
    return t;
}

static void check_case(json_object *c, void *ctx)
{
    const wordpiece_tokenizer *t = ctx;
    json_object *jt = case_get(c, "text");
    const char *text = json_object_get_string(jt);
    size_t len = (size_t)json_object_get_string_len(jt);
    char err[VLM_ERR_MAX] = "";
    int32_t ids[1024], c52[52];
    int n = wordpiece_tokenizer_encode_n(t, text, len, ids, 1024, err);
    cr_assert(n >= 0 && n <= 1024, "\"%s\": %d (%s)", text, n, err);
    expect_ids("ids", text, ids, n, case_get(c, "ids"));
    json_object *toks = case_get(c, "tokens");
    for (int i = 0; i < n && i < (int)json_object_array_length(toks); i++)
        cr_expect_str_eq(
            wordpiece_tokenizer_token(t, ids[i]),
            json_object_get_string(json_object_array_get_idx(toks, i)),
            "token %d of \"%s\"", i, text);
    if (strlen(text) == len) { /* the C-string API stops at a NUL */
        int real = wordpiece_tokenizer_encode_context(t, text, c52, 52, err);
        cr_expect_eq(real, (n < 50 ? n : 50) + 2, "\"%s\": %d real ids", text,
                     real);
        expect_ids("context52", text, c52, 52, case_get(c, "context52"));
    }
    char *dec = wordpiece_tokenizer_decode(t, ids, n);
    cr_assert_not_null(dec);
    cr_expect_str_eq(dec, json_object_get_string(case_get(c, "decoded")),
                     "decode of \"%s\"", text);
    free(dec);
}

Test(wordpiece, reference_cases)
{
    char path[4096];
    wordpiece_tokenizer *t = load();
    case_file(FX, "cases.jsonl", path, sizeof path);
    int n = for_each_case(path, check_case, t);
    cr_expect_eq(n, 45, "cases.jsonl has %d cases", n);
    wordpiece_tokenizer_destroy(t);
}

/* Lines split at "\n" only: U+2028 is token 343, "##" U+2028 is 13502. */
Test(wordpiece, vocabulary_numbering)
{
    wordpiece_tokenizer *t = load();
    cr_expect_eq(wordpiece_tokenizer_vocab_size(t), 21128);
    cr_expect_str_eq(wordpiece_tokenizer_token(t, 343), "\xe2\x80\xa8");
    cr_expect_str_eq(wordpiece_tokenizer_token(t, 13502), "##\xe2\x80\xa8");
    cr_expect_eq(wordpiece_tokenizer_id(t, "[PAD]"), 0);
    cr_expect_eq(wordpiece_tokenizer_id(t, "[UNK]"), 100);
    cr_expect_eq(wordpiece_tokenizer_id(t, "[CLS]"), 101);
    cr_expect_eq(wordpiece_tokenizer_id(t, "[SEP]"), 102);
    cr_expect_eq(wordpiece_tokenizer_id(t, "碎"), 4810);
    cr_expect_eq(wordpiece_tokenizer_id(t, "no such token"), -1);
    cr_expect_null(wordpiece_tokenizer_token(t, 21128));
    cr_expect_null(wordpiece_tokenizer_token(t, -1));
    wordpiece_tokenizer_destroy(t);
}

/* Invalid UTF-8 and a small buffer: counts stay right, nothing overflows. */
Test(wordpiece, invalid_utf8_and_small_buffer)
{
    wordpiece_tokenizer *t = load();
    char err[VLM_ERR_MAX] = "";
    int32_t ids[2] = {-7, -7}, one[1];
    cr_expect_eq(wordpiece_tokenizer_encode(t, "\xff\xfe\xc3", ids, 2, err), 0);
    int n = wordpiece_tokenizer_encode(t, "碎花连衣裙", one, 1, err);
    cr_expect_eq(n, 5);
    cr_expect_eq(one[0], 4810);
    cr_expect_eq(wordpiece_tokenizer_encode_context(t, "x", ids, 1, err),
                 VLM_EINVAL);
    wordpiece_tokenizer_destroy(t);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

Test(wordpiece, bad_vocabularies)
{
    char dir[] = "/tmp/vlm-wordpiece-XXXXXX", path[128], err[VLM_ERR_MAX];
    cr_assert_not_null(mkdtemp(dir));
    wordpiece_tokenizer *t = NULL;
    cr_expect_eq(wordpiece_tokenizer_create(dir, &t, err), VLM_ENOTFOUND);
    cr_expect(strstr(err, "vocab.txt") != NULL, "%s", err);
    snprintf(path, sizeof path, "%s/vocab.txt", dir);
    write_text(path, "[PAD]\n[CLS]\n[SEP]\nhello\n");
    cr_expect_eq(wordpiece_tokenizer_create(dir, &t, err), VLM_EFORMAT);
    cr_expect(strstr(err, "[UNK]") != NULL, "%s", err);
    cr_expect_null(t);
    /* CRLF lines and no final newline still number from 0 */
    write_text(path, "[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]\r\nhello\r\n##s");
    cr_assert_eq(wordpiece_tokenizer_create(dir, &t, err), VLM_OK, "%s", err);
    int32_t ids[4];
    cr_expect_eq(wordpiece_tokenizer_encode(t, "Hellos world", ids, 4, err), 3);
    cr_expect_eq(ids[0], 4);
    cr_expect_eq(ids[1], 5);
    cr_expect_eq(ids[2], 1); /* [UNK] */
    wordpiece_tokenizer_destroy(t);
    unlink(path);
    rmdir(dir);
}
