/* html_unescape.c — see html_unescape.h.  Mirrors CPython's Lib/html. */
#include "model/tokenizer/html_unescape.h"

#include <stdlib.h>
#include <string.h>

#include "model/core/vlm_error.h"

#define NAME_MAX_CHARS 32 /* the {1,32} of the reference regex */

static int is_digit(uint32_t c) { return c >= '0' && c <= '9'; }

static int hex_value(uint32_t c)
{
    if (is_digit(c)) return (int)(c - '0');
    if (c >= 'a' && c <= 'f') return (int)(c - 'a' + 10);
    if (c >= 'A' && c <= 'F') return (int)(c - 'A' + 10);
    return -1;
}

static int is_name_char(uint32_t c)
{
    return !(c == '\t' || c == '\n' || c == '\f' || c == ' ' || c == '<' ||
             c == '&' || c == '#' || c == ';');
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static int cmp_charref(const void *key, const void *elem)
{
    uint32_t x = *(const uint32_t *)key;
    uint32_t y = ((const html_charref_fix *)elem)->num;
    return (x > y) - (x < y);
}

static int cmp_entity(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const html_entity *)elem)->name);
}

/* CPython's _replace_charref for numbers (num saturates past 0x10FFFF). */
static int push_numeric(uint32_t num, cp_buf *out)
{
    const html_charref_fix *fix =
        bsearch(&num, html_invalid_charrefs, html_invalid_charrefs_count,
                sizeof *fix, cmp_charref);
    if (fix) return cp_buf_push(out, fix->cp);
    if ((num >= 0xD800 && num <= 0xDFFF) || num > 0x10FFFF)
        return cp_buf_push(out, 0xFFFD);
    if (bsearch(&num, html_invalid_codepoints, html_invalid_codepoints_count,
                sizeof num, cmp_u32))
        return VLM_OK;
    return cp_buf_push(out, num);
}

/* Tries "#123;" / "#x1F;" at s (after '&'); returns chars consumed, 0 if
 * the text is not a numeric reference. */
static size_t match_numeric(const uint32_t *s, size_t n, cp_buf *out, int *rc)
{
    if (n < 2 || s[0] != '#') return 0;
    int hex = s[1] == 'x' || s[1] == 'X';
    size_t i = hex ? 2 : 1;
    uint64_t num = 0;
    size_t start = i;
    for (; i < n; i++) {
        int v =
            hex ? hex_value(s[i]) : (is_digit(s[i]) ? (int)(s[i] - '0') : -1);
        if (v < 0) break;
        num = num * (hex ? 16 : 10) + (uint64_t)v;
        if (num > 0x110000)
            num = 0x110000; /* anything past U+10FFFF behaves the same */
    }
    if (i == start) return 0;
    if (i < n && s[i] == ';') i++;
    *rc = push_numeric((uint32_t)num, out);
    return i;
}

static const html_entity *find_entity(const uint32_t *s, size_t len)
{
    char key[NAME_MAX_CHARS + 2];
    for (size_t i = 0; i < len; i++) {
        if (s[i] >= 0x80) return NULL; /* every entity name is ASCII */
        key[i] = (char)s[i];
    }
    key[len] = 0;
    return bsearch(key, html_entities, html_entities_count, sizeof(html_entity),
                   cmp_entity);
}

static int push_entity(const html_entity *e, cp_buf *out)
{
    int rc = cp_buf_push(out, e->cp[0]);
    if (rc == VLM_OK && e->cp[1]) rc = cp_buf_push(out, e->cp[1]);
    return rc;
}

static int push_span(const uint32_t *s, size_t len, cp_buf *out)
{
    if (cp_buf_reserve(out, len) != VLM_OK) return VLM_ENOMEM;
    memcpy(out->cp + out->n, s, len * sizeof *s);
    out->n += len;
    return VLM_OK;
}

/* Named reference at s (after '&'): whole name, else the longest prefix of
 * at least 2 chars (legacy entities without ';'), else literal text. */
static size_t match_named(const uint32_t *s, size_t n, cp_buf *out, int *rc)
{
    size_t len = 0;
    while (len < n && len < NAME_MAX_CHARS && is_name_char(s[len])) len++;
    if (len == 0) return 0;
    if (len < n && s[len] == ';') len++;
    for (size_t x = len; x >= 2; x--) {
        const html_entity *e = find_entity(s, x);
        if (e) {
            *rc = push_entity(e, out);
            if (*rc == VLM_OK) *rc = push_span(s + x, len - x, out);
            return len;
        }
    }
    *rc = cp_buf_push(out, '&');
    if (*rc == VLM_OK) *rc = push_span(s, len, out);
    return len;
}

int html_unescape(const uint32_t *in, size_t n, cp_buf *out)
{
    if (cp_buf_reserve(out, n) != VLM_OK) return VLM_ENOMEM;
    size_t i = 0;
    while (i < n) {
        int rc = VLM_OK;
        size_t used = 0;
        if (in[i] == '&') {
            used = match_numeric(in + i + 1, n - i - 1, out, &rc);
            if (!used) used = match_named(in + i + 1, n - i - 1, out, &rc);
        }
        if (used) {
            i += used + 1;
        } else {
            rc = cp_buf_push(out, in[i]);
            i++;
        }
        if (rc != VLM_OK) return rc;
    }
    return VLM_OK;
}
