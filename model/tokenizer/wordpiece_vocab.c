/* wordpiece_vocab.c — loading vocab.txt into a hashed vocabulary
 * (wordpiece_tokenizer_create*, _destroy, lookups). */
#define XXH_INLINE_ALL
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "model/tokenizer/tok_file.h"
#include "model/tokenizer/wordpiece_internal.h"

#define MAX_TOKENS (1 << 24)

static size_t slot_of(const wordpiece_tokenizer *t, const char *s, size_t n)
{
    return (size_t)XXH3_64bits(s, n) & t->mask;
}

int32_t wordpiece_lookup(const wordpiece_tokenizer *t, const char *s, size_t n)
{
    for (size_t i = slot_of(t, s, n);; i = (i + 1) & t->mask) {
        int32_t id = t->slots[i];
        if (id < 0) return -1;
        if (t->len[id] == n && !memcmp(t->token[id], s, n)) return id;
    }
}

/* The last occurrence of a duplicated line wins, as in the reference's
 * dict (earlier ones stay reachable by id only). */
static void insert(wordpiece_tokenizer *t, int32_t id)
{
    size_t i = slot_of(t, t->token[id], t->len[id]);
    for (; t->slots[i] >= 0; i = (i + 1) & t->mask)
        if (t->len[t->slots[i]] == t->len[id] &&
            !memcmp(t->token[t->slots[i]], t->token[id], t->len[id]))
            break;
    t->slots[i] = id;
}

static int utf8_chars(const char *s, size_t n)
{
    int c = 0;
    for (size_t i = 0; i < n; i++) c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

/* Splits t->text at "\n" into t->token / t->len (a final line without "\n"
 * counts; the empty remainder after a trailing "\n" does not).  A "\r"
 * before the "\n" is dropped, as Python's text mode does. */
static int split_lines(wordpiece_tokenizer *t, size_t size)
{
    size_t lines = 0;
    for (size_t i = 0; i < size; i++) lines += t->text[i] == '\n';
    if (size && t->text[size - 1] != '\n') lines++;
    if (lines > MAX_TOKENS) return VLM_ETOOBIG;
    t->token = malloc((lines ? lines : 1) * sizeof *t->token);
    t->len = malloc((lines ? lines : 1) * sizeof *t->len);
    if (!t->token || !t->len) return VLM_ENOMEM;
    char *p = t->text, *end = t->text + size;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) nl = end; /* the NUL tok_read_file appended */
        *nl = 0;
        size_t n = (size_t)(nl - p);
        if (n > 0 && p[n - 1] == '\r') p[--n] = 0;
        t->token[t->n] = p;
        t->len[t->n] = (uint32_t)n;
        int c = utf8_chars(p, t->len[t->n]);
        if (c > t->max_chars) t->max_chars = c;
        t->n++;
        p = nl + 1;
    }
    return VLM_OK;
}

static int build_table(wordpiece_tokenizer *t)
{
    size_t cap = 16;
    while (cap < 2 * (size_t)t->n) cap *= 2;
    t->slots = malloc(cap * sizeof *t->slots);
    if (!t->slots) return VLM_ENOMEM;
    memset(t->slots, 0xff, cap * sizeof *t->slots); /* all -1 */
    t->mask = cap - 1;
    for (int32_t id = 0; id < t->n; id++) insert(t, id);
    return VLM_OK;
}

static int find_specials(wordpiece_tokenizer *t, const char *path, char *err)
{
    const char *names[4] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]"};
    int32_t *dst[4] = {&t->pad, &t->unk, &t->cls, &t->sep};
    for (int i = 0; i < 4; i++) {
        *dst[i] = wordpiece_lookup(t, names[i], strlen(names[i]));
        if (*dst[i] < 0) {
            vlm_set_err(err, "%s has no %s token", path, names[i]);
            return VLM_EFORMAT;
        }
    }
    return VLM_OK;
}

int wordpiece_tokenizer_create_file(const char *path, wordpiece_tokenizer **out,
                                    char *err)
{
    *out = NULL;
    wordpiece_tokenizer *t = calloc(1, sizeof *t);
    if (!t) return VLM_ENOMEM;
    size_t size = 0;
    int rc = tok_read_file(path, &t->text, &size, err);
    if (!rc && (rc = split_lines(t, size)))
        vlm_set_err(err, "%s: %s", path, vlm_strerror(rc));
    if (!rc && (rc = build_table(t)))
        vlm_set_err(err, "%s: out of memory", path);
    if (!rc) rc = find_specials(t, path, err);
    if (rc) {
        wordpiece_tokenizer_destroy(t);
        return rc;
    }
    *out = t;
    return VLM_OK;
}

int wordpiece_tokenizer_create(const char *dir, wordpiece_tokenizer **out,
                               char *err)
{
    size_t n = strlen(dir) + sizeof "/vocab.txt";
    char *path = malloc(n);
    if (!path) return VLM_ENOMEM;
    snprintf(path, n, "%s/vocab.txt", dir);
    int rc = wordpiece_tokenizer_create_file(path, out, err);
    free(path);
    return rc;
}

void wordpiece_tokenizer_destroy(wordpiece_tokenizer *t)
{
    if (!t) return;
    free(t->text);
    free(t->token);
    free(t->len);
    free(t->slots);
    free(t);
}

int32_t wordpiece_tokenizer_vocab_size(const wordpiece_tokenizer *t)
{
    return t->n;
}

const char *wordpiece_tokenizer_token(const wordpiece_tokenizer *t, int32_t id)
{
    return id >= 0 && id < t->n ? t->token[id] : NULL;
}

int32_t wordpiece_tokenizer_id(const wordpiece_tokenizer *t, const char *tok)
{
    return wordpiece_lookup(t, tok, strlen(tok));
}
