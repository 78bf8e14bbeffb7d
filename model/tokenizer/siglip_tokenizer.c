/* siglip_tokenizer.c — SiglipTokenizer's rules around SentencePiece
 * (siglip_tokenizer.h). */
#include "model/tokenizer/siglip_tokenizer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/tokenizer/sp_tokenizer.h"
#include "model/tokenizer/unicode_props.h"
#include "model/tokenizer/utf8_codec.h"

#define UNDERLINE 0x2581 /* SentencePiece's "▁" */

struct siglip_tokenizer {
    sp_tokenizer *sp;
    char sep[2]; /* c: no piece spans c followed by "<" */
    int skip;    /* pieces of c + "<unk>" at the start of every encode */
    int32_t eos, unk, underline; /* ids of "</s>", "<unk>", "▁" */
};

static const uint32_t EOS_CP[] = {'<', '/', 's', '>'};
static const uint32_t UNK_CP[] = {'<', 'u', 'n', 'k', '>'};

/* ids with a flag for the special tokens (step 5 must tell them apart from
 * SentencePiece's own <unk> for unknown characters). */
typedef struct idvec {
    int32_t *id;
    unsigned char *special;
    size_t n, cap;
} idvec;

static int idvec_push(idvec *v, int32_t id, int special)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 64;
        int32_t *id2 = realloc(v->id, cap * sizeof *id2);
        if (id2) v->id = id2;
        unsigned char *sp2 = realloc(v->special, cap);
        if (sp2) v->special = sp2;
        if (!id2 || !sp2) return VLM_ENOMEM;
        v->cap = cap;
    }
    v->id[v->n] = id;
    v->special[v->n++] = (unsigned char)special;
    return VLM_OK;
}

/* All ids of a plain SentencePiece encode (malloc'd into *out). */
static int sp_encode_all(const sp_tokenizer *sp, const char *s, int32_t **out,
                         char *err)
{
    int cap = 64;
    for (;;) {
        int32_t *ids = malloc((size_t)cap * sizeof *ids);
        if (!ids) return VLM_ENOMEM;
        int n = sp_tokenizer_encode(sp, s, ids, cap, err);
        if (n >= 0 && n <= cap) {
            *out = ids;
            return n;
        }
        free(ids);
        if (n < 0) return n;
        cap = n;
    }
}

static int has_pair(const sp_tokenizer *sp, char c)
{
    char pair[3] = {c, '<', 0};
    int n = sp_tokenizer_vocab_size(sp);
    for (int i = 0; i < n; i++) {
        const char *p = sp_tokenizer_id_to_piece(sp, i);
        if (p && strstr(p, pair)) return 1;
    }
    return 0;
}

/* Picks c (see the header) and counts the pieces to skip. */
static int pick_separator(siglip_tokenizer *t, const char *path, char *err)
{
    static const char cand[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    for (const char *c = cand; *c; c++) {
        int32_t *ids = NULL;
        char s[8] = {*c, 0};
        int n = sp_encode_all(t->sp, s, &ids, err), unknown = 0;
        for (int i = 0; i < n; i++) unknown |= ids[i] == t->unk;
        free(ids);
        if (n < 0) return n;
        if (unknown || has_pair(t->sp, *c)) continue;
        snprintf(s, sizeof s, "%c<unk>", *c);
        n = sp_encode_all(t->sp, s, &ids, err);
        free(ids);
        if (n < 0) return n;
        t->sep[0] = *c;
        t->skip = n;
        return VLM_OK;
    }
    vlm_set_err(err,
                "%s: every candidate separator forms a piece with \"<\"; "
                "SiglipTokenizer's prefix rule cannot be reproduced",
                path);
    return VLM_EUNSUPPORTED;
}

static int find_ids(siglip_tokenizer *t, const char *path, char *err)
{
    t->eos = sp_tokenizer_piece_to_id(t->sp, "</s>");
    t->unk = sp_tokenizer_piece_to_id(t->sp, "<unk>");
    t->underline = sp_tokenizer_piece_to_id(t->sp, "\xe2\x96\x81");
    if (t->eos < 0 || t->unk < 0) {
        vlm_set_err(err, "%s has no </s> or <unk> piece", path);
        return VLM_EFORMAT;
    }
    return pick_separator(t, path, err);
}

int siglip_tokenizer_create(const char *dir, siglip_tokenizer **out, char *err)
{
    *out = NULL;
    size_t n = strlen(dir) + sizeof "/spiece.model";
    char *path = malloc(n);
    siglip_tokenizer *t = calloc(1, sizeof *t);
    int rc = path && t ? VLM_OK : VLM_ENOMEM;
    if (!rc) {
        snprintf(path, n, "%s/spiece.model", dir);
        rc = sp_tokenizer_load(path, &t->sp, err);
    }
    if (!rc) rc = find_ids(t, path, err);
    free(path);
    if (rc) {
        siglip_tokenizer_destroy(t);
        return rc;
    }
    *out = t;
    return VLM_OK;
}

void siglip_tokenizer_destroy(siglip_tokenizer *t)
{
    if (!t) return;
    sp_tokenizer_destroy(t->sp);
    free(t);
}

const char *siglip_tokenizer_piece(const siglip_tokenizer *t, int32_t id)
{
    return sp_tokenizer_id_to_piece(t->sp, id);
}

/* Python's string.punctuation. */
static int ascii_punct(uint32_t c)
{
    return c < 128 && c > ' ' && c != 127 && !(c >= '0' && c <= '9') &&
           !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z');
}

/* Step 4's canonicalisation: punctuation out, whitespace runs -> " ",
 * stripped; UTF-8 after the c + "<unk>" prefix.  malloc'd. */
static char *canonical_part(const siglip_tokenizer *t, const uint32_t *cp,
                            size_t n)
{
    cp_buf b = {0};
    int rc = cp_buf_push(&b, (uint32_t)t->sep[0]);
    for (size_t i = 0; !rc && i < 5; i++) rc = cp_buf_push(&b, UNK_CP[i]);
    size_t body = b.n;
    int space = 0;
    for (size_t i = 0; !rc && i < n; i++) {
        if (ascii_punct(cp[i])) continue;
        if (uc_is_space(cp[i])) {
            space = b.n > body;
            continue;
        }
        if (space) rc = cp_buf_push(&b, ' ');
        space = 0;
        if (!rc) rc = cp_buf_push(&b, cp[i]);
    }
    char *s = rc ? NULL : utf8_encode_all(b.cp, b.n, NULL);
    cp_buf_free(&b);
    return s;
}

static int encode_part(const siglip_tokenizer *t, const uint32_t *cp, size_t n,
                       idvec *out, char *err)
{
    char *s = canonical_part(t, cp, n);
    if (!s) return VLM_ENOMEM;
    int32_t *ids = NULL;
    int k = sp_encode_all(t->sp, s, &ids, err), rc = k < 0 ? k : VLM_OK;
    free(s);
    for (int i = t->skip; !rc && i < k; i++) rc = idvec_push(out, ids[i], 0);
    free(ids);
    return rc;
}

/* Steps 1 and 2: "▁" + text (its "▁" -> " "), lower-cased per code point. */
static int prepare(const char *text, cp_buf *out)
{
    cp_buf in = {0};
    int rc = utf8_decode_replace((const uint8_t *)text, strlen(text), &in);
    if (!rc) rc = cp_buf_push(out, UNDERLINE);
    for (size_t i = 0; !rc && i < in.n; i++) {
        uint32_t c = in.cp[i] == UNDERLINE ? ' ' : in.cp[i];
        rc = uc_lower_python(&c, 1, out);
    }
    cp_buf_free(&in);
    return rc;
}

/* Length of the special token starting at s (0 if none); *id gets it. */
static size_t special_at(const siglip_tokenizer *t, const uint32_t *s,
                         size_t left, int32_t *id)
{
    if (left >= 4 && !memcmp(s, EOS_CP, sizeof EOS_CP)) {
        *id = t->eos;
        return 4;
    }
    if (left >= 5 && !memcmp(s, UNK_CP, sizeof UNK_CP)) {
        *id = t->unk;
        return 5;
    }
    return 0;
}

/* Steps 1-5. */
static int encode_raw(const siglip_tokenizer *t, const char *text, idvec *out,
                      char *err)
{
    cp_buf s = {0};
    int rc = prepare(text, &s);
    size_t part = 0;
    for (size_t i = 0; !rc && i <= s.n;) {
        int32_t id = -1;
        size_t len = i < s.n ? special_at(t, s.cp + i, s.n - i, &id) : 0;
        if (i < s.n && !len) {
            i++;
            continue;
        }
        rc = encode_part(t, s.cp + part, i - part, out, err);
        if (!rc && len) rc = idvec_push(out, id, 1);
        i += len ? len : 1;
        part = i;
    }
    cp_buf_free(&s);
    if (!rc && out->n >= 2 && out->id[0] == t->underline && !out->special[0] &&
        out->special[1]) { /* step 5 */
        memmove(out->id, out->id + 1, (out->n - 1) * sizeof *out->id);
        memmove(out->special, out->special + 1, out->n - 1);
        out->n--;
    }
    if (rc == VLM_ENOMEM) vlm_set_err(err, "siglip tokenizer: out of memory");
    return rc;
}

static int finish(const siglip_tokenizer *t, idvec *v, size_t limit,
                  int32_t *ids, int cap)
{
    if (v->n > limit) v->n = limit;
    if ((v->n == 0 || v->id[v->n - 1] != t->eos) &&
        idvec_push(v, t->eos, 1) != VLM_OK)
        return VLM_ENOMEM;
    for (size_t i = 0; i < v->n && (int)i < cap; i++) ids[i] = v->id[i];
    return (int)v->n;
}

int siglip_tokenizer_encode(const siglip_tokenizer *t, const char *text,
                            int32_t *ids, int cap, char *err)
{
    if (!t || !text || (cap > 0 && !ids)) {
        vlm_set_err(err, "siglip_tokenizer_encode: NULL argument");
        return VLM_EINVAL;
    }
    idvec v = {0};
    int rc = encode_raw(t, text, &v, err);
    if (!rc) rc = finish(t, &v, v.n, ids, cap);
    free(v.id);
    free(v.special);
    return rc;
}

int siglip_tokenizer_encode_context(const siglip_tokenizer *t, const char *text,
                                    int32_t *ids, int ctx, char *err)
{
    if (ctx < 1 || !t || !text || !ids) {
        vlm_set_err(err, "siglip_tokenizer_encode_context: bad arguments");
        return VLM_EINVAL;
    }
    idvec v = {0};
    int rc = encode_raw(t, text, &v, err);
    /* truncation first (to leave room for the end token), then the end
     * token unless the kept ids already end in it, as transformers does */
    if (!rc) rc = finish(t, &v, (size_t)ctx - 1, ids, ctx);
    for (int i = rc > 0 ? rc : ctx; i < ctx; i++) ids[i] = t->eos;
    free(v.id);
    free(v.special);
    return rc;
}
