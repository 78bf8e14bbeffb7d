/*
 * json_buf.h — writing JSON responses into one growable buffer that a
 * request handler reuses (no allocation per value).  Requests are parsed
 * with json-c; this only writes.
 *
 *   json_buf b = {0};
 *   jb_obj(&b); jb_key(&b, "id"); jb_int(&b, 7); jb_end_obj(&b);
 *   ... b.data, b.len ...; jb_reset(&b) for the next one; jb_free(&b).
 *
 * Commas are placed automatically.  Out of memory sets b.oom and turns the
 * remaining calls into no-ops.
 */
#ifndef VLM_JSON_BUF_H
#define VLM_JSON_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JB_DEPTH 16

typedef struct json_buf {
    char *data;
    size_t len, cap;
    bool oom;
    int depth;
    bool first[JB_DEPTH]; /* no value written yet at this depth */
    bool after_key;
} json_buf;

void jb_reset(json_buf *b);
void jb_free(json_buf *b);

void jb_obj(json_buf *b);
void jb_end_obj(json_buf *b);
void jb_arr(json_buf *b);
void jb_end_arr(json_buf *b);
void jb_key(json_buf *b, const char *key);

void jb_str(json_buf *b, const char *s); /* escaped; invalid UTF-8 -> U+FFFD */
void jb_int(json_buf *b, int64_t v);
void jb_num(json_buf *b, double v); /* %.6g; non-finite -> null */
void jb_bool(json_buf *b, bool v);
void jb_null(json_buf *b);

/* key + value in one call */
void jb_kstr(json_buf *b, const char *key, const char *s);
void jb_kint(json_buf *b, const char *key, int64_t v);
void jb_knum(json_buf *b, const char *key, double v);
void jb_kbool(json_buf *b, const char *key, bool v);

#endif
