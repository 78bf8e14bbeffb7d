/* clip_tokenizer_load.c — building a clip_tokenizer from vocab.json and
 * merges.txt (clip_tokenizer_create*, _destroy), or from the binary cache
 * of those two files when a valid one exists (clip_tokenizer_cache.h). */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model/tokenizer/byte_unicode.h"
#include "model/tokenizer/clip_tokenizer.h"
#include "model/tokenizer/clip_tokenizer_cache.h"
#include "model/tokenizer/clip_tokenizer_internal.h"
#include "model/tokenizer/tok_file.h"
#include "model/tokenizer/utf8_codec.h"

static int parse_vocab(const char *path, const char *text, size_t len,
                       json_object **out, char *err)
{
    enum json_tokener_error jerr = json_tokener_success;
    json_tokener *jt = json_tokener_new();
    *out = jt ? json_tokener_parse_ex(jt, text, (int)len) : NULL;
    if (jt) {
        jerr = json_tokener_get_error(jt);
        if (*out &&
            text[jt->char_offset + strspn(text + jt->char_offset, " \t\r\n")])
            jerr = json_tokener_error_parse_unexpected; /* trailing garbage */
        json_tokener_free(jt);
    }
    if (!*out || jerr != json_tokener_success ||
        !json_object_is_type(*out, json_type_object)) {
        vlm_set_err(err, "%s is not a JSON object of token ids: %s", path,
                    jerr != json_tokener_success ? json_tokener_error_desc(jerr)
                                                 : "wrong top-level type");
        json_object_put(*out);
        *out = NULL;
        return VLM_EFORMAT;
    }
    return VLM_OK;
}

/* Id of a token given in the vocabulary's own (byte-to-unicode) spelling. */
static int32_t vocab_id(json_object *vocab, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(vocab, key, &v)) return -1;
    return (int32_t)json_object_get_int(v);
}

/* Checks every value is an id in [0, CLIP_MAX_TOKEN_ID); sets tok->n_ids. */
static int check_ids(json_object *vocab, clip_tokenizer *tok, const char *path,
                     char *err)
{
    tok->n_ids = 0;
    json_object_object_foreach(vocab, key, val)
    {
        int64_t id = json_object_get_int64(val);
        if (!json_object_is_type(val, json_type_int) || id < 0 ||
            id >= CLIP_MAX_TOKEN_ID) {
            vlm_set_err(err, "%s: token \"%.40s\" has an invalid id", path,
                        key);
            return VLM_EFORMAT;
        }
        if (id >= tok->n_ids) tok->n_ids = (int32_t)id + 1;
    }
    if (tok->n_ids == 0) {
        vlm_set_err(err, "%s: empty vocabulary", path);
        return VLM_EFORMAT;
    }
    return VLM_OK;
}

/* Appends the raw bytes a vocabulary key stands for (chars outside the
 * byte alphabet are kept as their UTF-8). */
static size_t key_to_bytes(const char *key, char *dst)
{
    cp_buf cps = {0};
    size_t k = 0;
    if (utf8_decode_replace((const uint8_t *)key, strlen(key), &cps) != 0)
        return 0;
    for (size_t i = 0; i < cps.n; i++) {
        int b = unicode_to_byte(cps.cp[i]);
        if (b >= 0)
            dst[k++] = (char)b;
        else
            k += utf8_encode_one(cps.cp[i], (uint8_t *)dst + k);
    }
    cp_buf_free(&cps);
    return k;
}

/* Fills tok->bytes/start/len: the decoded bytes of every id, for decode().
 * Ids the vocabulary skips keep length 0. */
static int build_id_bytes(json_object *vocab, clip_tokenizer *tok)
{
    size_t total = 0, pos = 0;
    json_object_object_foreach(vocab, key, val)
    {
        (void)val;
        total += 4 * strlen(key); /* a key char decodes to <= 4 bytes */
    }
    tok->bytes = malloc(total + 1);
    tok->start = calloc((size_t)tok->n_ids, sizeof *tok->start);
    tok->len = calloc((size_t)tok->n_ids, sizeof *tok->len);
    if (!tok->bytes || !tok->start || !tok->len) return VLM_ENOMEM;
    json_object_object_foreach(vocab, k2, v2)
    {
        int32_t id = json_object_get_int(v2);
        tok->start[id] = (uint32_t)pos;
        tok->len[id] = (uint32_t)key_to_bytes(k2, tok->bytes + pos);
        pos += tok->len[id];
    }
    tok->n_bytes = pos;
    return VLM_OK;
}

static int find_special(json_object *vocab, clip_tokenizer *tok,
                        const char *path, char *err)
{
    char key[16];
    for (int b = 0; b < 256; b++) {
        size_t n = utf8_encode_one(byte_to_unicode((uint8_t)b), (uint8_t *)key);
        key[n] = 0;
        tok->byte_id[b] = vocab_id(vocab, key);
        memcpy(key + n, "</w>", 5);
        tok->byte_eow_id[b] = vocab_id(vocab, key);
        if (tok->byte_id[b] < 0 || tok->byte_eow_id[b] < 0) {
            vlm_set_err(err, "%s lacks the token for byte 0x%02X", path, b);
            return VLM_EFORMAT;
        }
    }
    tok->sot = vocab_id(vocab, "<|startoftext|>");
    tok->eot = vocab_id(vocab, "<|endoftext|>");
    if (tok->sot < 0 || tok->eot < 0) {
        vlm_set_err(err, "%s lacks <|startoftext|> or <|endoftext|>", path);
        return VLM_EFORMAT;
    }
    return VLM_OK;
}

/* One "left right" line of merges.txt (rank = its index after the header). */
static int add_merge(clip_tokenizer *tok, json_object *vocab, char *line,
                     int32_t rank, const char *path, char *err)
{
    char *space = strchr(line, ' ');
    if (!space || space == line || !space[1] || strchr(space + 1, ' ')) {
        vlm_set_err(err, "%s line %d: expected two tokens, got \"%.60s\"", path,
                    rank + 2, line);
        return VLM_EFORMAT;
    }
    *space = 0;
    int32_t left = vocab_id(vocab, line), right = vocab_id(vocab, space + 1);
    size_t ll = strlen(line), rl = strlen(space + 1);
    memmove(space, space + 1, rl + 1); /* line is now left+right */
    int32_t merged = vocab_id(vocab, line);
    if (left < 0 || right < 0 || merged < 0) {
        vlm_set_err(err,
                    "%s line %d: \"%.*s %s\" uses a token missing from "
                    "vocab.json",
                    path, rank + 2, (int)ll, line, line + ll);
        return VLM_EFORMAT;
    }
    return bpe_merge_table_put(tok->merges, left, right, rank, merged);
}

/* Consumes text (strtok_r writes into it). */
static int load_merges(clip_tokenizer *tok, json_object *vocab,
                       const char *path, char *text, size_t len, char *err)
{
    if (strlen(text) != len) {
        vlm_set_err(err, "%s: contains NUL bytes, not a merges file", path);
        return VLM_EFORMAT;
    }
    int rc = bpe_merge_table_create(CLIP_MAX_MERGES, &tok->merges);
    char *save = NULL, *line = strtok_r(text, "\n", &save); /* header */
    int32_t rank = 0;
    while (rc == VLM_OK && rank < CLIP_MAX_MERGES &&
           (line = strtok_r(NULL, "\n", &save))) {
        size_t n = strlen(line);
        if (n && line[n - 1] == '\r') line[--n] = 0;
        if (n) rc = add_merge(tok, vocab, line, rank++, path, err);
    }
    if (rc == VLM_OK && rank == 0) {
        vlm_set_err(err, "%s: no merges after the header line", path);
        rc = VLM_EFORMAT;
    }
    return rc;
}

/* The slow path: json-c over vocab.json, then every merge line. */
static int parse_sources(clip_tokenizer *tok, const char *vocab_json,
                         const char *vtext, size_t vlen, const char *merges_txt,
                         char *mtext, size_t mlen, char *err)
{
    json_object *vocab = NULL;
    int rc = parse_vocab(vocab_json, vtext, vlen, &vocab, err);
    if (rc == VLM_OK) rc = check_ids(vocab, tok, vocab_json, err);
    if (rc == VLM_OK) rc = find_special(vocab, tok, vocab_json, err);
    if (rc == VLM_OK) rc = build_id_bytes(vocab, tok);
    if (rc == VLM_OK)
        rc = load_merges(tok, vocab, merges_txt, mtext, mlen, err);
    json_object_put(vocab);
    return rc;
}

/* Uses the cache for these exact file contents if valid, else parses them
 * and (re)writes the cache; a cache that cannot be written is no error. */
static int load_cached_or_parse(clip_tokenizer *tok, const char *vocab_json,
                                char *vtext, size_t vlen,
                                const char *merges_txt, char *mtext,
                                size_t mlen, char *err)
{
    clip_cache_key key = clip_cache_key_of(vtext, vlen, mtext, mlen);
    char *cache = clip_cache_path(&key);
    if (cache && clip_cache_load(cache, &key, tok) == VLM_OK) {
        free(cache);
        return VLM_OK;
    }
    int rc = parse_sources(tok, vocab_json, vtext, vlen, merges_txt, mtext,
                           mlen, err);
    if (rc == VLM_OK && cache) (void)clip_cache_save(cache, &key, tok);
    free(cache);
    return rc;
}

int clip_tokenizer_create_files(const char *vocab_json, const char *merges_txt,
                                clip_tokenizer **out, char *err)
{
    if (!vocab_json || !merges_txt || !out) {
        vlm_set_err(err, "clip_tokenizer_create_files: NULL argument");
        return VLM_EINVAL;
    }
    *out = NULL;
    char *vtext = NULL, *mtext = NULL;
    size_t vlen = 0, mlen = 0;
    clip_tokenizer *tok = calloc(1, sizeof *tok);
    if (!tok) return VLM_ENOMEM;
    int rc = tok_read_file(vocab_json, &vtext, &vlen, err);
    if (rc == VLM_OK) rc = tok_read_file(merges_txt, &mtext, &mlen, err);
    if (rc == VLM_OK)
        rc = load_cached_or_parse(tok, vocab_json, vtext, vlen, merges_txt,
                                  mtext, mlen, err);
    free(vtext);
    free(mtext);
    if (rc == VLM_ENOMEM)
        vlm_set_err(err, "out of memory loading %s", vocab_json);
    if (rc != VLM_OK) {
        clip_tokenizer_destroy(tok);
        return rc;
    }
    *out = tok;
    return VLM_OK;
}

int clip_tokenizer_create(const char *dir, clip_tokenizer **out, char *err)
{
    if (!dir || !out) {
        vlm_set_err(err, "clip_tokenizer_create: NULL argument");
        return VLM_EINVAL;
    }
    size_t n = strlen(dir) + 16;
    char *vocab = malloc(n), *merges = malloc(n);
    int rc = VLM_ENOMEM;
    if (vocab && merges) {
        snprintf(vocab, n, "%s/vocab.json", dir);
        snprintf(merges, n, "%s/merges.txt", dir);
        rc = clip_tokenizer_create_files(vocab, merges, out, err);
    }
    free(vocab);
    free(merges);
    return rc;
}

void clip_tokenizer_destroy(clip_tokenizer *tok)
{
    if (!tok) return;
    bpe_merge_table_destroy(tok->merges);
    if (tok->map) {
        clip_cache_unmap(tok); /* the tables live in the mapping */
    } else {
        free(tok->bytes);
        free(tok->start);
        free(tok->len);
    }
    free(tok);
}
