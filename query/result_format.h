/*
 * result_format.h — printing ranked results for people and for pipes.
 *
 *   tsv    score<TAB>path            (default; what rclip prints)
 *   paths  path                      (feed to xargs, feh, ...)
 *   jsonl  {"rank":1,"score":0.31,"path":"...","id":7,"width":..,"height":..,
 *           "date":"2023-06-15T12:00:00","date_source":"exif","camera":".."}
 *   csv    rank,score,path,...       (RFC 4180 quoting)
 * With null_sep, records end in '\0' instead of '\n' (like find -print0).
 *
 * Untrusted text (file names above all) is always written safely
 * (docs/output.md):
 *   - JSON strings are valid UTF-8: control characters (C0, DEL, C1) are
 *     \u00XX, and each byte that is not part of valid UTF-8 is written as
 *     the lone surrogate \udcXX (Python's "surrogateescape":
 *     s.encode("utf-8", "surrogateescape") gives the bytes back).  A path
 *     that is not valid UTF-8 also gets "<key>_b64", its exact bytes in
 *     base64.
 *   - tsv and paths lines escape like `ls -b`: a backslash as \\, control
 *     characters as \a \b \t \n \v \f \r or \ooo (octal, per byte),
 *     bytes that are not UTF-8 as \ooo; with null_sep they are raw bytes.
 *   - csv keeps bytes (RFC 4180) except on a terminal, where control
 *     characters are escaped as in messages.
 *   - messages (TEXT_DISPLAY) escape like tsv but leave backslashes,
 *     newlines and tabs alone: nothing a file name holds reaches a terminal
 *     as an escape sequence.
 */
#ifndef VLM_RESULT_FORMAT_H
#define VLM_RESULT_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum result_format {
    RESULT_TSV,
    RESULT_PATHS,
    RESULT_JSONL,
    RESULT_CSV,
} result_format;

/* Parses "tsv" | "paths" | "jsonl" | "csv"; returns -1 if unknown. */
int result_format_parse(const char *name);

typedef struct result_row {
    int64_t id;
    float score;
    const char *path;
    int width, height;
    const char
        *extra_json;    /* optional raw JSON object text merged as "explain" */
    const char *taken;  /* "YYYY:MM:DD HH:MM:SS" or ""/NULL (jsonl "date") */
    int taken_exif;     /* jsonl "date_source": "exif" or "mtime" */
    const char *camera; /* "" or NULL: jsonl null */
    int offline;        /* its root is offline (jsonl: "offline":true) */
    const char *probe_json; /* optional: the probe that scored (probe.h),
                               written as "probe" */
} result_row;

typedef struct result_writer {
    FILE *out;
    result_format format;
    int null_sep;
    int rank; /* rows written so far */
    int header_done;
    int hyperlinks; /* OSC 8 around tsv/paths paths (a terminal) */
} result_writer;

void result_writer_init(result_writer *w, FILE *out, result_format f,
                        int null_sep);
void result_writer_row(result_writer *w, const result_row *r);

/* Helpers other printers reuse (the rules above). */
void csv_write_field(FILE *out, const char *s);
void json_write_string(FILE *out, const char *s);
/* ,"date":"YYYY-MM-DDTHH:MM:SS","date_source":"exif"|"mtime","camera":"..."
 * (null for what is unknown). */
void json_write_taken(FILE *out, const char *taken, int taken_exif,
                      const char *camera);
/* "key":"<path>" and, when path is not valid UTF-8, ,"key_b64":"<base64>". */
void json_write_path(FILE *out, const char *key, const char *path);

typedef enum text_style {
    TEXT_RAW,     /* the bytes as they are */
    TEXT_ESCAPED, /* like `ls -b` (records: tsv, paths, status --failed) */
    TEXT_DISPLAY, /* messages: ESCAPED but '\\', '\n', '\t' kept */
} text_style;

void text_write(FILE *out, const char *s, text_style style);
/* The same into buf (truncated to size, NUL-terminated); returns buf. */
char *text_escape(char *buf, size_t size, const char *s, text_style style);
/* 1 when s is valid UTF-8 (no overlongs, no surrogates). */
int text_is_utf8(const char *s);

/* ---- previews (result_format_preview.c) ---------------------------------- */

typedef enum preview_protocol {
    PREVIEW_NONE,
    PREVIEW_KITTY, /* the kitty graphics protocol (kitty, Ghostty, WezTerm) */
    PREVIEW_ITERM, /* iTerm2 inline images (iTerm2, WezTerm) */
    PREVIEW_SIXEL, /* DEC sixel (xterm -ti vt340, foot, mlterm, ...) */
} preview_protocol;

/* The image at path, scaled to `height` pixels (never enlarged, at most 4x
 * as wide), as terminal graphics in `proto`, then a newline. */
int preview_write(FILE *out, const char *path, preview_protocol proto,
                  int height, char *err);

/* Hyperlinks (OSC 8) around the paths of tsv/paths rows: on a terminal
 * that shows them, a click opens the file (file://HOST/path). */
void result_writer_hyperlinks(result_writer *w, int on);

#endif
