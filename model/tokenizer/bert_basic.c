/* bert_basic.c — BERT's basic tokenizer (bert_basic.h). */
#include "model/tokenizer/bert_basic.h"

#include <stdint.h>

#include "model/core/vlm_error.h"
#include "model/tokenizer/unicode_props.h"

static int is_cjk(uint32_t c)
{
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
           (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
           (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

static int is_punct(uint32_t c)
{
    return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) ||
           (c >= 91 && c <= 96) || (c >= 123 && c <= 126) ||
           uc_is_punctuation(c);
}

/* Steps 1 and 2: cleaned text with CJK ideographs space-separated. */
static int clean(const cp_buf *in, cp_buf *out)
{
    for (size_t i = 0; i < in->n; i++) {
        uint32_t c = in->cp[i];
        int ws = c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
                 uc_is_space_separator(c);
        if (!ws && (c == 0 || c == 0xFFFD || uc_is_control_or_format(c)))
            continue;
        int cjk = is_cjk(c), rc = VLM_OK;
        if (cjk) rc = cp_buf_push(out, ' ');
        if (!rc) rc = cp_buf_push(out, ws ? ' ' : c);
        if (!rc && cjk) rc = cp_buf_push(out, ' ');
        if (rc) return rc;
    }
    return VLM_OK;
}

/* Steps 4 and 5 for one word; pieces appended 0-terminated. */
static int word(const uint32_t *w, size_t n, cp_buf *out)
{
    cp_buf low = {0}, nfd = {0};
    int rc = uc_lower_python(w, n, &low);
    if (!rc) rc = uc_push_nfd(low.cp, low.n, &nfd);
    int open = 0; /* a piece is being written */
    for (size_t i = 0; !rc && i < nfd.n; i++) {
        uint32_t c = nfd.cp[i];
        if (uc_is_nonspacing_mark(c)) continue;
        if (is_punct(c)) {
            if (open) rc = cp_buf_push(out, 0);
            if (!rc) rc = cp_buf_push(out, c);
            if (!rc) rc = cp_buf_push(out, 0);
            open = 0;
            continue;
        }
        rc = cp_buf_push(out, c);
        open = 1;
    }
    if (!rc && open) rc = cp_buf_push(out, 0);
    cp_buf_free(&low);
    cp_buf_free(&nfd);
    return rc;
}

int bert_basic_tokenize(const char *text, size_t len, cp_buf *out)
{
    cp_buf raw = {0}, cleaned = {0};
    int rc = utf8_decode_replace((const uint8_t *)text, len, &raw);
    if (!rc) rc = clean(&raw, &cleaned);
    size_t i = 0;
    while (!rc && i < cleaned.n) {
        while (i < cleaned.n && uc_is_space(cleaned.cp[i])) i++;
        size_t start = i;
        while (i < cleaned.n && !uc_is_space(cleaned.cp[i])) i++;
        if (i > start) rc = word(cleaned.cp + start, i - start, out);
    }
    cp_buf_free(&raw);
    cp_buf_free(&cleaned);
    return rc;
}
