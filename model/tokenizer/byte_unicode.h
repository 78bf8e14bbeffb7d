/*
 * byte_unicode.h — GPT-2's bytes_to_unicode(): the reversible map from the
 * 256 byte values to printable code points that byte-level BPE vocabularies
 * (vocab.json, merges.txt) are written in.
 */
#ifndef VLM_BYTE_UNICODE_H
#define VLM_BYTE_UNICODE_H

#include <stdint.h>

/* Code point standing for byte b. */
uint32_t byte_to_unicode(uint8_t b);

/* Byte a code point stands for, or -1 if it stands for none. */
int unicode_to_byte(uint32_t c);

#endif
