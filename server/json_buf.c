#include "server/json_buf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put(json_buf *b, const char *s, size_t n)
{
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1) cap *= 2;
        char *grown = realloc(b->data, cap);
        if (!grown) {
            b->oom = true;
            return;
        }
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = 0;
}

static void putc_(json_buf *b, char c) { put(b, &c, 1); }

void jb_reset(json_buf *b)
{
    b->len = 0;
    b->oom = false;
    b->depth = 0;
    b->first[0] = true;
    b->after_key = false;
    if (b->data) b->data[0] = 0;
}

void jb_free(json_buf *b)
{
    free(b->data);
    *b = (json_buf){0};
}

/* The comma before a value (not after a key). */
static void sep(json_buf *b)
{
    if (b->after_key) {
        b->after_key = false;
        return;
    }
    if (b->depth > 0 && !b->first[b->depth]) putc_(b, ',');
    b->first[b->depth] = false;
}

static void open_(json_buf *b, char c)
{
    sep(b);
    putc_(b, c);
    if (b->depth + 1 < JB_DEPTH) b->first[++b->depth] = true;
}

static void close_(json_buf *b, char c)
{
    putc_(b, c);
    if (b->depth > 0) b->depth--;
}

void jb_obj(json_buf *b) { open_(b, '{'); }
void jb_end_obj(json_buf *b) { close_(b, '}'); }
void jb_arr(json_buf *b) { open_(b, '['); }
void jb_end_arr(json_buf *b) { close_(b, ']'); }

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if invalid. */
static int utf8_len(const unsigned char *s)
{
    if (s[0] < 0x80) return 1;
    int n = s[0] >= 0xF0 && s[0] <= 0xF4   ? 4
            : s[0] >= 0xE0                 ? 3
            : s[0] >= 0xC2 && s[0] <= 0xDF ? 2
                                           : 0;
    for (int i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    if (n == 3 && s[0] == 0xE0 && s[1] < 0xA0) return 0;  /* overlong */
    if (n == 3 && s[0] == 0xED && s[1] >= 0xA0) return 0; /* surrogate */
    if (n == 4 && s[0] == 0xF0 && s[1] < 0x90) return 0;
    if (n == 4 && s[0] == 0xF4 && s[1] >= 0x90) return 0;
    return n;
}

static void put_escaped(json_buf *b, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    putc_(b, '"');
    while (*s) {
        int n = utf8_len(s);
        char esc[8];
        if (!n) {
            put(b, "\xEF\xBF\xBD", 3);
            s++;
        } else if (*s == '"' || *s == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*s++;
            put(b, esc, 2);
        } else if (*s < 0x20 || *s == 0x7F) {
            snprintf(esc, sizeof esc, "\\u%04x", *s++);
            put(b, esc, 6);
        } else {
            put(b, (const char *)s, (size_t)n);
            s += n;
        }
    }
    putc_(b, '"');
}

void jb_key(json_buf *b, const char *key)
{
    sep(b);
    put_escaped(b, key);
    putc_(b, ':');
    b->after_key = true;
}

void jb_str(json_buf *b, const char *s)
{
    sep(b);
    if (s)
        put_escaped(b, s);
    else
        put(b, "null", 4);
}

void jb_int(json_buf *b, int64_t v)
{
    char t[32];
    sep(b);
    put(b, t, (size_t)snprintf(t, sizeof t, "%lld", (long long)v));
}

void jb_num(json_buf *b, double v)
{
    char t[40];
    sep(b);
    if (!isfinite(v))
        put(b, "null", 4);
    else
        put(b, t, (size_t)snprintf(t, sizeof t, "%.6g", v));
}

void jb_bool(json_buf *b, bool v)
{
    sep(b);
    put(b, v ? "true" : "false", v ? 4 : 5);
}

void jb_null(json_buf *b)
{
    sep(b);
    put(b, "null", 4);
}

void jb_kstr(json_buf *b, const char *k, const char *s)
{
    jb_key(b, k);
    jb_str(b, s);
}

void jb_kint(json_buf *b, const char *k, int64_t v)
{
    jb_key(b, k);
    jb_int(b, v);
}

void jb_knum(json_buf *b, const char *k, double v)
{
    jb_key(b, k);
    jb_num(b, v);
}

void jb_kbool(json_buf *b, const char *k, bool v)
{
    jb_key(b, k);
    jb_bool(b, v);
}
