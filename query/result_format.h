/*
 * result_format.h — printing ranked results for people and for pipes.
 *
 *   tsv    score<TAB>path            (default; what rclip prints)
 *   paths  path                      (feed to xargs, feh, ...)
 *   jsonl  {"rank":1,"score":0.31,"path":"...","id":7,...}
 *   csv    rank,score,path,...       (RFC 4180 quoting)
 * With null_sep, records end in '\0' instead of '\n' (like find -print0).
 */
#ifndef VLM_RESULT_FORMAT_H
#define VLM_RESULT_FORMAT_H

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
        *extra_json; /* optional raw JSON object text merged as "explain" */
    const char *probe_json; /* optional: the probe that scored (probe.h),
                               written as "probe" */
} result_row;

typedef struct result_writer {
    FILE *out;
    result_format format;
    int null_sep;
    int rank; /* rows written so far */
    int header_done;
} result_writer;

void result_writer_init(result_writer *w, FILE *out, result_format f,
                        int null_sep);
void result_writer_row(result_writer *w, const result_row *r);

/* Helpers other printers reuse. */
void csv_write_field(FILE *out, const char *s);
void json_write_string(FILE *out, const char *s);

#endif
