/* clip_tokenizer.c — encoding and decoding (loading is in
 * clip_tokenizer_load.c). */
#include "model/tokenizer/clip_tokenizer.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "model/tokenizer/bpe_apply.h"
#include "model/tokenizer/clip_normalize.h"
#include "model/tokenizer/clip_pretokenize.h"
#include "model/tokenizer/clip_tokenizer_internal.h"

int32_t clip_tokenizer_bos(const clip_tokenizer *tok) { return tok->sot; }
int32_t clip_tokenizer_eos(const clip_tokenizer *tok) { return tok->eot; }
int32_t clip_tokenizer_vocab_size(const clip_tokenizer *tok)
{
    return tok->n_ids;
}

/* Where encoded ids go: the first `cap` are stored, all are counted, and
 * encoding may stop once `stop` ids are known. */
typedef struct {
    int32_t *ids;
    int cap, count, stop;
    cp_buf text;  /* normalised text */
    int32_t *sym; /* BPE symbols of the current pre-token */
    size_t sym_cap;
    bpe_work work;
} encode_state;

static int emit(encode_state *st, int32_t id)
{
    if (st->count == INT_MAX) return VLM_ETOOBIG;
    if (st->count < st->cap) st->ids[st->count] = id;
    st->count++;
    return VLM_OK;
}

/* Byte-level symbols of the pre-token, the last one carrying "</w>". */
static int word_symbols(const clip_tokenizer *tok, encode_state *st,
                        const pretok *t, size_t *n)
{
    if (4 * t->len > st->sym_cap) {
        int32_t *p = realloc(st->sym, 4 * t->len * sizeof *p);
        if (!p) return VLM_ENOMEM;
        st->sym = p;
        st->sym_cap = 4 * t->len;
    }
    size_t k = 0;
    uint8_t bytes[4], last = 0;
    for (size_t i = 0; i < t->len; i++) {
        size_t nb = utf8_encode_one(st->text.cp[t->start + i], bytes);
        for (size_t j = 0; j < nb; j++)
            st->sym[k++] = tok->byte_id[last = bytes[j]];
    }
    st->sym[k - 1] = tok->byte_eow_id[last];
    *n = k;
    return VLM_OK;
}

static int encode_word(const clip_tokenizer *tok, encode_state *st,
                       const pretok *t)
{
    if (t->kind == PRETOK_STARTOFTEXT) return emit(st, tok->sot);
    if (t->kind == PRETOK_ENDOFTEXT) return emit(st, tok->eot);
    size_t n;
    int rc = word_symbols(tok, st, t, &n);
    if (rc == VLM_OK) rc = bpe_apply(tok->merges, st->sym, n, &st->work, &n);
    for (size_t i = 0; i < n && rc == VLM_OK; i++) rc = emit(st, st->sym[i]);
    return rc;
}

static int encode_into(const clip_tokenizer *tok, const char *text,
                       encode_state *st, char *err)
{
    int rc = clip_normalize(text, strlen(text), &st->text);
    size_t pos = 0;
    pretok t;
    while (rc == VLM_OK && st->count < st->stop &&
           clip_pretokenize_next(st->text.cp, st->text.n, &pos, &t))
        rc = encode_word(tok, st, &t);
    cp_buf_free(&st->text);
    free(st->sym);
    bpe_work_free(&st->work);
    if (rc != VLM_OK) {
        vlm_set_err(err, "cannot tokenize text: %s", vlm_strerror(rc));
        return rc;
    }
    return VLM_OK;
}

int clip_tokenizer_encode(const clip_tokenizer *tok, const char *text,
                          int32_t *ids, int cap, char *err)
{
    if (!tok || !text || cap < 0 || (cap > 0 && !ids)) {
        vlm_set_err(err, "clip_tokenizer_encode: invalid argument");
        return VLM_EINVAL;
    }
    encode_state st = {.ids = ids, .cap = cap, .stop = INT_MAX};
    int rc = encode_into(tok, text, &st, err);
    return rc == VLM_OK ? st.count : rc;
}

int clip_tokenizer_encode_context(const clip_tokenizer *tok, const char *text,
                                  int32_t *ids, int ctx, int32_t pad, char *err)
{
    if (!tok || !text || !ids || ctx < 2) {
        vlm_set_err(err, "clip_tokenizer_encode_context: invalid argument");
        return VLM_EINVAL;
    }
    /* Reference: ([sot] + ids + [eot])[:ctx] with the last set to eot, so at
     * most ctx-2 text ids survive; one more tells us truncation happened. */
    encode_state st = {.ids = ids + 1, .cap = ctx - 2, .stop = ctx - 1};
    int rc = encode_into(tok, text, &st, err);
    if (rc != VLM_OK) return rc;
    int kept = st.count < ctx - 2 ? st.count : ctx - 2;
    ids[0] = tok->sot;
    ids[kept + 1] = tok->eot;
    for (int i = kept + 2; i < ctx; i++) ids[i] = pad;
    return kept + 2;
}

/* Raw bytes of the ids ("</w>" -> " "), then U+FFFD for broken UTF-8 like
 * the reference's decode("utf-8", errors="replace"). */
char *clip_tokenizer_decode(const clip_tokenizer *tok, const int32_t *ids,
                            int n)
{
    if (!tok || n < 0 || (n > 0 && !ids)) return NULL;
    size_t total = 0;
    for (int i = 0; i < n; i++)
        if (ids[i] >= 0 && ids[i] < tok->n_ids) total += tok->len[ids[i]];
    char *raw = malloc(total + 1);
    if (!raw) return NULL;
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= tok->n_ids)
            continue; /* unknown ids are skipped */
        memcpy(raw + k, tok->bytes + tok->start[ids[i]], tok->len[ids[i]]);
        k += tok->len[ids[i]];
    }
    size_t w = 0;
    for (size_t r = 0; r < k; r++) {
        if (r + 4 <= k && memcmp(raw + r, "</w>", 4) == 0) {
            raw[w++] = ' ';
            r += 3;
        } else {
            raw[w++] = raw[r];
        }
    }
    cp_buf cps = {0};
    char *out = NULL;
    if (utf8_decode_replace((const uint8_t *)raw, w, &cps) == VLM_OK)
        out = utf8_encode_all(cps.cp, cps.n, NULL);
    cp_buf_free(&cps);
    free(raw);
    return out;
}
