/*
 * utf8_codec.h — growable code point buffers and UTF-8 <-> code points.
 *
 * Decoding follows Python's bytes.decode("utf-8", errors="replace"): every
 * maximal ill-formed subpart becomes one U+FFFD, so invalid input never
 * fails and decodes exactly like the reference would.
 */
#ifndef VLM_UTF8_CODEC_H
#define VLM_UTF8_CODEC_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t *cp;
    size_t n, cap;
} cp_buf;

/* Both return VLM_OK or VLM_ENOMEM. */
int cp_buf_reserve(cp_buf *b, size_t extra);
int cp_buf_push(cp_buf *b, uint32_t c);
void cp_buf_free(cp_buf *b);

/* Appends the code points of s[0..len) to out (invalid bytes -> U+FFFD). */
int utf8_decode_replace(const uint8_t *s, size_t len, cp_buf *out);

/* Writes c as UTF-8 into dst (4 bytes room); returns the byte count. */
size_t utf8_encode_one(uint32_t c, uint8_t *dst);

/* Encodes cp[0..n) into a new NUL-terminated malloc'd string. */
char *utf8_encode_all(const uint32_t *cp, size_t n, size_t *out_len);

#endif
