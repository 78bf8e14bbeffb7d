/*
 * result_format_escape.c — untrusted text (file names, DICOM fields, model
 * output) made safe for JSON, line-based records and terminals.  The
 * schemes are documented in result_format.h and docs/output.md.
 */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <utf8proc.h>

#include "query/result_format.h"

/* The next character of s (len bytes left): its code point, or -1 for a
 * byte that does not start valid UTF-8 (then *n = 1). */
static int32_t next_char(const unsigned char *s, size_t len, size_t *n)
{
    utf8proc_int32_t cp = -1;
    utf8proc_ssize_t k = utf8proc_iterate(s, (utf8proc_ssize_t)len, &cp);
    if (k <= 0) {
        *n = 1;
        return -1;
    }
    *n = (size_t)k;
    return cp;
}

/* C0 controls, DEL and the C1 controls (a terminal may obey U+009B). */
static int is_control(int32_t cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

int text_is_utf8(const char *s)
{
    size_t len = strlen(s), n;
    for (size_t i = 0; i < len; i += n)
        if (next_char((const unsigned char *)s + i, len - i, &n) < 0) return 0;
    return 1;
}

static void write_c_escape(FILE *out, unsigned char b)
{
    static const char names[] = "\a\b\t\n\v\f\r";
    static const char letters[] = "abtnvfr";
    const char *p = b ? strchr(names, b) : NULL;
    if (p)
        fprintf(out, "\\%c", letters[p - names]);
    else
        fprintf(out, "\\%03o", b);
}

void text_write(FILE *out, const char *s, text_style style)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen(s), n;
    if (style == TEXT_RAW) {
        fwrite(s, 1, len, out);
        return;
    }
    for (size_t i = 0; i < len; i += n) {
        int32_t cp = next_char(p + i, len - i, &n);
        int keep = style == TEXT_DISPLAY && (cp == '\n' || cp == '\t');
        if (cp == '\\' && style == TEXT_ESCAPED)
            fputs("\\\\", out);
        else if ((cp < 0 || is_control(cp)) && !keep)
            for (size_t j = 0; j < n; j++) write_c_escape(out, p[i + j]);
        else
            fwrite(p + i, 1, n, out);
    }
}

char *text_escape(char *buf, size_t size, const char *s, text_style style)
{
    FILE *f = size ? fmemopen(buf, size, "w") : NULL;
    if (!f) {
        if (size) buf[0] = 0;
        return buf;
    }
    text_write(f, s, style);
    fclose(f); /* fmemopen NUL-terminates what fits */
    buf[size - 1] = 0;
    return buf;
}

/* One character of a JSON string. */
static void json_char(FILE *out, const unsigned char *p, size_t n, int32_t cp)
{
    switch (cp) {
    case '"': fputs("\\\"", out); return;
    case '\\': fputs("\\\\", out); return;
    case '\n': fputs("\\n", out); return;
    case '\r': fputs("\\r", out); return;
    case '\t': fputs("\\t", out); return;
    }
    if (cp < 0) /* surrogate escape: byte 0xXX -> U+DCXX (Python's rule) */
        fprintf(out, "\\udc%02x", p[0]);
    else if (is_control(cp))
        fprintf(out, "\\u%04x", (unsigned)cp);
    else
        fwrite(p, 1, n, out);
}

void json_write_string(FILE *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen(s), n;
    fputc('"', out);
    for (size_t i = 0; i < len; i += n) {
        int32_t cp = next_char(p + i, len - i, &n);
        json_char(out, p + i, n, cp);
    }
    fputc('"', out);
}

void json_write_path(FILE *out, const char *key, const char *path)
{
    fprintf(out, "\"%s\":", key);
    json_write_string(out, path);
    if (text_is_utf8(path)) return;
    size_t len = strlen(path);
    unsigned char *b64 = malloc(4 * ((len + 2) / 3) + 1);
    if (!b64) return;
    EVP_EncodeBlock(b64, (const unsigned char *)path, (int)len);
    fprintf(out, ",\"%s_b64\":\"%s\"", key, b64);
    free(b64);
}

/* Control characters other than the line breaks and tabs CSV quotes. */
static int csv_needs_escape(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p < 0x20 && !strchr("\t\r\n", *p)) || *p >= 0x7f) return 1;
    return 0;
}

static void csv_write_quoted(FILE *out, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"') fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

void csv_write_field(FILE *out, const char *s)
{
    /* RFC 4180 keeps bytes as they are; only a terminal gets escapes. */
    char *safe = NULL;
    size_t n = 0;
    if (csv_needs_escape(s) && isatty(fileno(out))) {
        FILE *m = open_memstream(&safe, &n);
        if (m) {
            text_write(m, s, TEXT_DISPLAY);
            fclose(m);
        }
    }
    csv_write_quoted(out, safe ? safe : s);
    free(safe);
}
