/* wordpiece_tokenizer.c — WordPiece encode/decode (wordpiece_tokenizer.h);
 * the vocabulary is loaded by wordpiece_vocab.c. */
#include <stdlib.h>
#include <string.h>

#include "model/tokenizer/bert_basic.h"
#include "model/tokenizer/unicode_props.h"
#include "model/tokenizer/utf8_codec.h"
#include "model/tokenizer/wordpiece_internal.h"

#define MAX_WORD_CHARS 200 /* longer words are one [UNK] */

/* Ids written up to cap; n counts them all. */
typedef struct sink {
    int32_t *ids;
    int cap, n;
} sink;

static void emit(sink *s, int32_t id)
{
    if (s->n < s->cap) s->ids[s->n] = id;
    s->n++;
}

/* Greedy longest-match-first over one word of n <= MAX_WORD_CHARS code
 * points. */
static void word_pieces(const wordpiece_tokenizer *t, const uint32_t *w,
                        size_t n, sink *out)
{
    char u[4 * MAX_WORD_CHARS], piece[2 + 4 * MAX_WORD_CHARS];
    size_t off[MAX_WORD_CHARS + 1];
    off[0] = 0;
    for (size_t i = 0; i < n; i++)
        off[i + 1] = off[i] + utf8_encode_one(w[i], (uint8_t *)u + off[i]);
    int first = out->n;
    for (size_t start = 0; start < n;) {
        size_t end =
            start + (size_t)t->max_chars < n ? start + (size_t)t->max_chars : n;
        int32_t id = -1;
        while (end > start) {
            size_t len = off[end] - off[start], pre = start > 0 ? 2 : 0;
            memcpy(piece, "##", pre);
            memcpy(piece + pre, u + off[start], len);
            if ((id = wordpiece_lookup(t, piece, pre + len)) >= 0) break;
            end--;
        }
        if (id < 0) { /* cannot be covered: the whole word is [UNK] */
            out->n = first;
            emit(out, t->unk);
            return;
        }
        emit(out, id);
        start = end;
    }
}

int wordpiece_tokenizer_encode_n(const wordpiece_tokenizer *t, const char *text,
                                 size_t len, int32_t *ids, int cap, char *err)
{
    if (!t || !text || (cap > 0 && !ids)) {
        vlm_set_err(err, "wordpiece_tokenizer_encode: NULL argument");
        return VLM_EINVAL;
    }
    cp_buf words = {0};
    int rc = bert_basic_tokenize(text, len, &words);
    sink out = {ids, cap > 0 ? cap : 0, 0};
    for (size_t i = 0; rc == VLM_OK && i < words.n; i++) {
        size_t start = i;
        while (words.cp[i] != 0) i++; /* every word ends with a 0 */
        if (i - start > MAX_WORD_CHARS)
            emit(&out, t->unk);
        else
            word_pieces(t, words.cp + start, i - start, &out);
    }
    cp_buf_free(&words);
    if (rc != VLM_OK) {
        vlm_set_err(err, "wordpiece tokenizer: out of memory");
        return rc;
    }
    return out.n;
}

int wordpiece_tokenizer_encode(const wordpiece_tokenizer *t, const char *text,
                               int32_t *ids, int cap, char *err)
{
    return wordpiece_tokenizer_encode_n(t, text, text ? strlen(text) : 0, ids,
                                        cap, err);
}

int wordpiece_tokenizer_encode_context(const wordpiece_tokenizer *t,
                                       const char *text, int32_t *ids, int ctx,
                                       char *err)
{
    if (ctx < 2) {
        vlm_set_err(err, "wordpiece context %d is too short", ctx);
        return VLM_EINVAL;
    }
    int n = wordpiece_tokenizer_encode(t, text, ids + 1, ctx - 2, err);
    if (n < 0) return n;
    if (n > ctx - 2) n = ctx - 2;
    ids[0] = t->cls;
    ids[n + 1] = t->sep;
    for (int i = n + 2; i < ctx; i++) ids[i] = t->pad;
    return n + 2;
}

/* Python's s.replace(from, to) in place, for len(to) <= len(from). */
static void replace_all(char *s, const char *from, const char *to)
{
    size_t fl = strlen(from), tl = strlen(to);
    char *r = s, *w = s;
    while (*r) {
        if (!strncmp(r, from, fl)) {
            memcpy(w, to, tl);
            w += tl;
            r += fl;
        } else {
            *w++ = *r++;
        }
    }
    *w = 0;
}

/* Python's str.strip() on a UTF-8 string, in place. */
static void strip(char *s)
{
    size_t n = strlen(s), a = 0;
    cp_buf b = {0};
    while (a < n) {
        size_t e = a + 1;
        while (e < n && ((unsigned char)s[e] & 0xC0) == 0x80) e++;
        b.n = 0;
        if (utf8_decode_replace((const uint8_t *)s + a, e - a, &b) ||
            b.n != 1 || !uc_is_space(b.cp[0]))
            break;
        a = e;
    }
    while (n > a) {
        size_t st = n - 1;
        while (st > a && ((unsigned char)s[st] & 0xC0) == 0x80) st--;
        b.n = 0;
        if (utf8_decode_replace((const uint8_t *)s + st, n - st, &b) ||
            b.n != 1 || !uc_is_space(b.cp[0]))
            break;
        n = st;
    }
    cp_buf_free(&b);
    memmove(s, s + a, n - a);
    s[n - a] = 0;
}

char *wordpiece_tokenizer_decode(const wordpiece_tokenizer *t,
                                 const int32_t *ids, int n)
{
    size_t len = 1;
    for (int i = 0; i < n; i++)
        if (ids[i] >= 0 && ids[i] < t->n) len += t->len[ids[i]] + 1;
    char *s = malloc(len), *w = s;
    if (!s) return NULL;
    for (int i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= t->n) continue;
        if (w > s) *w++ = ' ';
        memcpy(w, t->token[ids[i]], t->len[ids[i]]);
        w += t->len[ids[i]];
    }
    *w = 0;
    replace_all(s, " ##", "");
    strip(s);
    static const char *const cleanup[][2] = {
        {" .", "."},     {" ?", "?"},     {" !", "!"},   {" ,", ","},
        {" ' ", "'"},    {" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"},
        {" 've", "'ve"}, {" 're", "'re"}};
    for (size_t i = 0; i < sizeof cleanup / sizeof *cleanup; i++)
        replace_all(s, cleanup[i][0], cleanup[i][1]);
    return s;
}
