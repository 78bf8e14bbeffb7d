/* clip_normalize.c — see clip_normalize.h. */
#include "model/tokenizer/clip_normalize.h"

#include "model/core/vlm_error.h"
#include "model/tokenizer/ftfy_fixes.h"
#include "model/tokenizer/html_unescape.h"
#include "model/tokenizer/unicode_props.h"

/* re.sub(r"\s+", " ", text).strip() on in, appended to out. */
static int collapse_whitespace(const cp_buf *in, cp_buf *out)
{
    int pending_space = 0;
    if (cp_buf_reserve(out, in->n) != VLM_OK) return VLM_ENOMEM;
    for (size_t i = 0; i < in->n; i++) {
        uint32_t c = in->cp[i];
        if (uc_is_space(c)) {
            pending_space = out->n > 0;
            continue;
        }
        if (pending_space) out->cp[out->n++] = ' ';
        pending_space = 0;
        out->cp[out->n++] = c;
    }
    return VLM_OK;
}

int clip_normalize(const char *text, size_t len, cp_buf *out)
{
    cp_buf a = {0}, b = {0};
    int rc = utf8_decode_replace((const uint8_t *)text, len, &a);
    if (rc == VLM_OK) rc = ftfy_fix_chars(a.cp, a.n, &b);
    if (rc == VLM_OK) rc = uc_nfc_inplace(&b);
    a.n = 0;
    if (rc == VLM_OK) rc = html_unescape(b.cp, b.n, &a);
    b.n = 0;
    if (rc == VLM_OK) rc = html_unescape(a.cp, a.n, &b);
    a.n = 0;
    if (rc == VLM_OK) rc = collapse_whitespace(&b, &a);
    out->n = 0;
    if (rc == VLM_OK) rc = uc_lower_python(a.cp, a.n, out);
    cp_buf_free(&a);
    cp_buf_free(&b);
    return rc;
}
