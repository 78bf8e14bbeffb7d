/* clip_pretokenize.c — see clip_pretokenize.h. */
#include "model/tokenizer/clip_pretokenize.h"

#include "model/tokenizer/unicode_props.h"

static size_t match_literal(const uint32_t *s, size_t n, const char *lit)
{
    size_t i = 0;
    for (; lit[i]; i++)
        if (i >= n || s[i] != (uint8_t)lit[i]) return 0;
    return i;
}

/* Under IGNORECASE 's also matches the long s U+017F (it folds to 's'). */
static int is_s(uint32_t c) { return c == 's' || c == 0x17F; }

/* 's 't 're 've 'm 'll 'd: length matched, or 0. */
static size_t match_contraction(const uint32_t *s, size_t n)
{
    if (n < 2 || s[0] != '\'') return 0;
    uint32_t a = s[1];
    if (is_s(a) || a == 't' || a == 'm' || a == 'd') return 2;
    if (n >= 3 && ((a == 'r' && s[2] == 'e') || (a == 'v' && s[2] == 'e') ||
                   (a == 'l' && s[2] == 'l')))
        return 3;
    return 0;
}

static int is_other(uint32_t c)
{
    return !uc_is_space(c) && !uc_is_letter(c) && !uc_is_number(c);
}

/* Length of the token starting at s[0], or 0 if s[0] starts none. */
static size_t match_at(const uint32_t *s, size_t n, pretok_kind *kind)
{
    size_t len;
    *kind = PRETOK_WORD;
    if ((len = match_literal(s, n, "<|startoftext|>"))) {
        *kind = PRETOK_STARTOFTEXT;
        return len;
    }
    if ((len = match_literal(s, n, "<|endoftext|>"))) {
        *kind = PRETOK_ENDOFTEXT;
        return len;
    }
    if ((len = match_contraction(s, n))) return len;
    if (uc_is_letter(s[0])) {
        for (len = 1; len < n && uc_is_letter(s[len]); len++)
            ;
        return len;
    }
    if (uc_is_number(s[0])) return 1;
    for (len = 0; len < n && is_other(s[len]); len++)
        ;
    return len;
}

int clip_pretokenize_next(const uint32_t *s, size_t n, size_t *pos, pretok *tok)
{
    for (size_t i = *pos; i < n; i++) {
        size_t len = match_at(s + i, n - i, &tok->kind);
        if (len) {
            tok->start = i;
            tok->len = len;
            *pos = i + len;
            return 1;
        }
    }
    *pos = n;
    return 0;
}
