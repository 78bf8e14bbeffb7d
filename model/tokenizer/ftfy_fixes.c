/* ftfy_fixes.c — see ftfy_fixes.h; sets follow ftfy 6's chardata.py. */
#include "model/tokenizer/ftfy_fixes.h"

#include <stdlib.h>

#include "model/core/vlm_error.h"
#include "model/tokenizer/html_unescape.h"
#include "model/tokenizer/unicode_props.h"

/* ftfy's LIGATURES: these characters are replaced by their NFKC form. */
static int is_ligature(uint32_t c)
{
    switch (c) {
    case 0x132:
    case 0x133:
    case 0x149:
    case 0x1C4:
    case 0x1C5:
    case 0x1C6:
    case 0x1C7:
    case 0x1C8:
    case 0x1C9:
    case 0x1CA:
    case 0x1CB:
    case 0x1CC:
    case 0x1F1:
    case 0x1F2:
    case 0x1F3: return 1;
    default: return c >= 0xFB00 && c <= 0xFB06;
    }
}

/* ftfy's WIDTH_MAP covers U+FF01..U+FFEF (NFKC) plus U+3000 -> space. */
static int is_width_form(uint32_t c) { return c >= 0xFF01 && c <= 0xFFEF; }

static uint32_t uncurl(uint32_t c)
{
    if (c == 0x2BC || (c >= 0x2018 && c <= 0x201B)) return '\'';
    if (c >= 0x201C && c <= 0x201F) return '"';
    return c;
}

static int is_control(uint32_t c)
{
    return c <= 0x08 || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F ||
           (c >= 0x206A && c <= 0x206F) || c == 0xFEFF ||
           (c >= 0xFFF9 && c <= 0xFFFC);
}

/* fix_c1_controls: U+0080..U+009F decoded as (sloppy) Windows-1252, which is
 * exactly the table html.unescape uses for &#128;..&#159;. */
static uint32_t c1_to_cp1252(uint32_t c)
{
    if (c < 0x80 || c > 0x9F) return c;
    for (size_t i = 0; i < html_invalid_charrefs_count; i++)
        if (html_invalid_charrefs[i].num == c)
            return html_invalid_charrefs[i].cp;
    return c;
}

/* Expansion of one character by ligature/width rules (usually itself). */
static int expand(uint32_t c, cp_buf *tmp)
{
    tmp->n = 0;
    if (c == 0x3000) return cp_buf_push(tmp, ' ');
    if (is_ligature(c) || is_width_form(c)) return uc_push_nfkc(c, tmp);
    return cp_buf_push(tmp, c);
}

int ftfy_fix_chars(const uint32_t *in, size_t n, cp_buf *out)
{
    cp_buf tmp = {0};
    int rc = cp_buf_reserve(out, n);
    for (size_t i = 0; i < n && rc == VLM_OK; i++) {
        rc = expand(c1_to_cp1252(in[i]), &tmp);
        for (size_t k = 0; k < tmp.n && rc == VLM_OK; k++) {
            uint32_t c = uncurl(tmp.cp[k]);
            if (!is_control(c)) rc = cp_buf_push(out, c);
        }
    }
    cp_buf_free(&tmp);
    return rc;
}
