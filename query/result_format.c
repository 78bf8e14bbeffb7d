#include "query/result_format.h"

#include <string.h>

int result_format_parse(const char *name)
{
    static const char *const names[] = {"tsv", "paths", "jsonl", "csv"};
    for (int i = 0; i < 4; i++)
        if (!strcmp(name, names[i])) return i;
    return -1;
}

void result_writer_init(result_writer *w, FILE *out, result_format f,
                        int null_sep)
{
    memset(w, 0, sizeof *w);
    w->out = out;
    w->format = f;
    w->null_sep = null_sep;
}

void csv_write_field(FILE *out, const char *s)
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

/* JSON string escaping; bytes >= 0x80 pass through (paths are UTF-8 on
 * Linux in practice; invalid bytes are escaped as \u00XX to stay valid). */
void json_write_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default:
            if (*p < 0x20)
                fprintf(out, "\\u%04x", *p);
            else
                fputc(*p, out);
        }
    }
    fputc('"', out);
}

static void write_jsonl(result_writer *w, const result_row *r)
{
    fprintf(w->out, "{\"rank\":%d,\"score\":%.6f,\"path\":", w->rank, r->score);
    json_write_string(w->out, r->path);
    fprintf(w->out, ",\"id\":%lld", (long long)r->id);
    if (r->width > 0)
        fprintf(w->out, ",\"width\":%d,\"height\":%d", r->width, r->height);
    if (r->extra_json) fprintf(w->out, ",\"explain\":%s", r->extra_json);
    if (r->probe_json) fprintf(w->out, ",\"probe\":%s", r->probe_json);
    fputc('}', w->out);
}

static void write_csv(result_writer *w, const result_row *r)
{
    if (!w->header_done) {
        fputs("rank,score,path,id,width,height\n", w->out);
        w->header_done = 1;
    }
    fprintf(w->out, "%d,%.6f,", w->rank, r->score);
    csv_write_field(w->out, r->path);
    fprintf(w->out, ",%lld,%d,%d", (long long)r->id, r->width, r->height);
}

void result_writer_row(result_writer *w, const result_row *r)
{
    w->rank++;
    switch (w->format) {
    case RESULT_TSV: fprintf(w->out, "%.4f\t%s", r->score, r->path); break;
    case RESULT_PATHS: fputs(r->path, w->out); break;
    case RESULT_JSONL: write_jsonl(w, r); break;
    case RESULT_CSV: write_csv(w, r); break;
    }
    fputc(w->null_sep ? '\0' : '\n', w->out);
}
