/* utf8_codec.c — see utf8_codec.h. */
#include "model/tokenizer/utf8_codec.h"

#include <stdlib.h>

#include "model/core/vlm_error.h"

int cp_buf_reserve(cp_buf *b, size_t extra)
{
    if (b->n + extra <= b->cap) return VLM_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->n + extra) cap *= 2;
    uint32_t *p = realloc(b->cp, cap * sizeof *p);
    if (!p) return VLM_ENOMEM;
    b->cp = p;
    b->cap = cap;
    return VLM_OK;
}

int cp_buf_push(cp_buf *b, uint32_t c)
{
    if (b->n == b->cap && cp_buf_reserve(b, 1) != VLM_OK) return VLM_ENOMEM;
    b->cp[b->n++] = c;
    return VLM_OK;
}

void cp_buf_free(cp_buf *b)
{
    free(b->cp);
    b->cp = NULL;
    b->n = b->cap = 0;
}

/* Valid range of the second byte for a lead byte (Unicode Table 3-7); the
 * narrower ranges exclude overlongs, surrogates and values > U+10FFFF. */
static int second_byte_ok(uint8_t lead, uint8_t b)
{
    switch (lead) {
    case 0xE0: return b >= 0xA0 && b <= 0xBF;
    case 0xED: return b >= 0x80 && b <= 0x9F;
    case 0xF0: return b >= 0x90 && b <= 0xBF;
    case 0xF4: return b >= 0x80 && b <= 0x8F;
    default: return b >= 0x80 && b <= 0xBF;
    }
}

static int seq_len(uint8_t lead)
{
    if (lead < 0x80) return 1;
    if (lead >= 0xC2 && lead <= 0xDF) return 2;
    if (lead >= 0xE0 && lead <= 0xEF) return 3;
    if (lead >= 0xF0 && lead <= 0xF4) return 4;
    return 0;
}

/* Decodes one sequence at s (len >= 1).  Sets *used to the bytes consumed:
 * the whole sequence, or the maximal ill-formed subpart (then returns
 * U+FFFD). */
static uint32_t decode_one(const uint8_t *s, size_t len, size_t *used)
{
    int need = seq_len(s[0]);
    *used = 1;
    if (need == 1) return s[0];
    if (need == 0) return 0xFFFD;
    uint32_t c = s[0] & (0x7F >> need);
    for (int i = 1; i < need; i++) {
        if ((size_t)i >= len) return 0xFFFD;
        uint8_t b = s[i];
        int ok = i == 1 ? second_byte_ok(s[0], b) : (b & 0xC0) == 0x80;
        if (!ok) return 0xFFFD;
        c = (c << 6) | (b & 0x3F);
        *used = (size_t)i + 1;
    }
    return c;
}

int utf8_decode_replace(const uint8_t *s, size_t len, cp_buf *out)
{
    if (cp_buf_reserve(out, len) != VLM_OK) return VLM_ENOMEM;
    size_t i = 0;
    while (i < len) {
        size_t used;
        out->cp[out->n++] = decode_one(s + i, len - i, &used);
        i += used;
    }
    return VLM_OK;
}

size_t utf8_encode_one(uint32_t c, uint8_t *d)
{
    if (c < 0x80) {
        d[0] = (uint8_t)c;
        return 1;
    }
    if (c < 0x800) {
        d[0] = (uint8_t)(0xC0 | (c >> 6));
        d[1] = (uint8_t)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        d[0] = (uint8_t)(0xE0 | (c >> 12));
        d[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
        d[2] = (uint8_t)(0x80 | (c & 0x3F));
        return 3;
    }
    d[0] = (uint8_t)(0xF0 | (c >> 18));
    d[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3F));
    d[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
    d[3] = (uint8_t)(0x80 | (c & 0x3F));
    return 4;
}

char *utf8_encode_all(const uint32_t *cp, size_t n, size_t *out_len)
{
    uint8_t *s = malloc(4 * n + 1);
    if (!s) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += utf8_encode_one(cp[i], s + k);
    s[k] = 0;
    if (out_len) *out_len = k;
    return (char *)s;
}
