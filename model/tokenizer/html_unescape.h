/*
 * html_unescape.h — Python's html.unescape() on code point buffers.
 *
 * Same regex, same rules: the full HTML5 named entity set (generated from
 * Python's html.entities.html5 into html_entities_table.c), entities without
 * ';' and longest-prefix matching for the legacy ones, decimal and hex
 * numeric references with the Windows-1252 remapping, U+FFFD for surrogates
 * and values past U+10FFFF, and dropping of the invalid code points.
 */
#ifndef VLM_HTML_UNESCAPE_H
#define VLM_HTML_UNESCAPE_H

#include <stddef.h>
#include <stdint.h>

#include "model/tokenizer/utf8_codec.h"

typedef struct {
    const char *name; /* includes the trailing ';' when the entity has one */
    uint32_t cp[2];   /* cp[1] == 0 for single code point replacements */
} html_entity;

typedef struct {
    uint32_t num, cp;
} html_charref_fix;

extern const html_entity html_entities[];
extern const size_t html_entities_count;
extern const html_charref_fix html_invalid_charrefs[];
extern const size_t html_invalid_charrefs_count;
extern const uint32_t html_invalid_codepoints[];
extern const size_t html_invalid_codepoints_count;

/* Appends unescape(in[0..n)) to out.  VLM_OK or VLM_ENOMEM. */
int html_unescape(const uint32_t *in, size_t n, cp_buf *out);

#endif
