/* unicode_props.c — see unicode_props.h.  All tables come from utf8proc. */
#include "model/tokenizer/unicode_props.h"

#include <stdlib.h>
#include <utf8proc.h>

#include "model/core/vlm_error.h"

int uc_is_space(uint32_t c)
{
    const utf8proc_property_t *p = utf8proc_get_property((int32_t)c);
    return p->category == UTF8PROC_CATEGORY_ZS ||
           p->bidi_class == UTF8PROC_BIDI_CLASS_WS ||
           p->bidi_class == UTF8PROC_BIDI_CLASS_B ||
           p->bidi_class == UTF8PROC_BIDI_CLASS_S;
}

int uc_is_letter(uint32_t c)
{
    utf8proc_category_t k = utf8proc_category((int32_t)c);
    return k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_LO;
}

int uc_is_number(uint32_t c)
{
    utf8proc_category_t k = utf8proc_category((int32_t)c);
    return k >= UTF8PROC_CATEGORY_ND && k <= UTF8PROC_CATEGORY_NO;
}

int uc_is_control_or_format(uint32_t c)
{
    utf8proc_category_t k = utf8proc_category((int32_t)c);
    return k == UTF8PROC_CATEGORY_CC || k == UTF8PROC_CATEGORY_CF;
}

int uc_is_space_separator(uint32_t c)
{
    return utf8proc_category((int32_t)c) == UTF8PROC_CATEGORY_ZS;
}

int uc_is_nonspacing_mark(uint32_t c)
{
    return utf8proc_category((int32_t)c) == UTF8PROC_CATEGORY_MN;
}

int uc_is_punctuation(uint32_t c)
{
    utf8proc_category_t k = utf8proc_category((int32_t)c);
    return k >= UTF8PROC_CATEGORY_PC && k <= UTF8PROC_CATEGORY_PO;
}

/* Unicode "Cased": Lowercase, Uppercase or Lt.  utf8proc has no derived
 * property table, so Other_Lowercase/Other_Uppercase are approximated by
 * "has a case mapping" (covers Roman numerals and circled letters). */
static int is_cased(uint32_t c)
{
    utf8proc_category_t k = utf8proc_category((int32_t)c);
    return (k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_LT) ||
           utf8proc_islower((int32_t)c) || utf8proc_isupper((int32_t)c);
}

/* Unicode "Case_Ignorable": Mn, Me, Cf, Lm, Sk and the Word_Break
 * MidLetter / MidNumLet / Single_Quote characters (listed by the UAX #29
 * property values, which utf8proc does not expose). */
static int is_case_ignorable(uint32_t c)
{
    switch (utf8proc_category((int32_t)c)) {
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_SK: return 1;
    default: break;
    }
    switch (c) {
    case 0x27:
    case 0x2E:
    case 0x3A:
    case 0xB7:
    case 0x387:
    case 0x55F:
    case 0x5F4:
    case 0x2018:
    case 0x2019:
    case 0x2024:
    case 0x2027:
    case 0xFE13:
    case 0xFE52:
    case 0xFE55:
    case 0xFF07:
    case 0xFF0E:
    case 0xFF1A: return 1;
    default: return 0;
    }
}

/* CPython's handle_capital_sigma(). */
static uint32_t lower_sigma(const uint32_t *s, size_t n, size_t i)
{
    size_t j = i;
    while (j > 0 && is_case_ignorable(s[j - 1])) j--;
    if (j == 0 || !is_cased(s[j - 1])) return 0x3C3;
    for (j = i + 1; j < n && is_case_ignorable(s[j]); j++)
        ;
    return (j == n || !is_cased(s[j])) ? 0x3C2 : 0x3C3;
}

int uc_lower_python(const uint32_t *in, size_t n, cp_buf *out)
{
    if (cp_buf_reserve(out, n) != VLM_OK) return VLM_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = in[i];
        if (c == 0x130) { /* the only multi-char full lowercase mapping */
            if (cp_buf_push(out, 'i') != VLM_OK ||
                cp_buf_push(out, 0x307) != VLM_OK)
                return VLM_ENOMEM;
            continue;
        }
        c = c == 0x3A3 ? lower_sigma(in, n, i)
                       : (uint32_t)utf8proc_tolower((int32_t)c);
        if (cp_buf_push(out, c) != VLM_OK) return VLM_ENOMEM;
    }
    return VLM_OK;
}

/* Runs utf8proc_map with `options` over s[0..n) and appends the result. */
static int map_into(const uint32_t *s, size_t n, int options, cp_buf *out)
{
    size_t len;
    char *utf8 = utf8_encode_all(s, n, &len);
    if (!utf8) return VLM_ENOMEM;
    utf8proc_uint8_t *mapped = NULL;
    utf8proc_ssize_t m =
        utf8proc_map((const utf8proc_uint8_t *)utf8, (utf8proc_ssize_t)len,
                     &mapped, (utf8proc_option_t)options);
    free(utf8);
    if (m < 0) /* only ENOMEM is possible: the input is valid UTF-8 */
        return VLM_ENOMEM;
    int rc = utf8_decode_replace(mapped, (size_t)m, out);
    free(mapped);
    return rc;
}

int uc_push_nfkc(uint32_t c, cp_buf *out)
{
    return map_into(&c, 1, UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT,
                    out);
}

int uc_nfc_inplace(cp_buf *b)
{
    cp_buf tmp = {0};
    int rc = map_into(b->cp, b->n, UTF8PROC_STABLE | UTF8PROC_COMPOSE, &tmp);
    if (rc != VLM_OK) {
        cp_buf_free(&tmp);
        return rc;
    }
    cp_buf_free(b);
    *b = tmp;
    return VLM_OK;
}

int uc_push_nfd(const uint32_t *in, size_t n, cp_buf *out)
{
    if (n == 0) return VLM_OK;
    return map_into(in, n, UTF8PROC_STABLE | UTF8PROC_DECOMPOSE, out);
}
