#include "query/result_format.h"

#include <curl/curl.h>
#include <string.h>
#include <unistd.h>

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

static void write_jsonl(result_writer *w, const result_row *r)
{
    fprintf(w->out, "{\"rank\":%d,\"score\":%.6f,", w->rank, r->score);
    json_write_path(w->out, "path", r->path);
    fprintf(w->out, ",\"id\":%lld", (long long)r->id);
    if (r->width > 0)
        fprintf(w->out, ",\"width\":%d,\"height\":%d", r->width, r->height);
    json_write_taken(w->out, r->taken, r->taken_exif, r->camera);
    if (r->offline) fputs(",\"offline\":true", w->out);
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

void result_writer_hyperlinks(result_writer *w, int on) { w->hyperlinks = on; }

/* file://HOST/path with every segment percent-encoded (RFC 8089). */
static void write_file_uri(FILE *out, const char *path)
{
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    fputs("file://", out);
    fputs(host, out);
    for (const char *p = path; *p;) {
        size_t n = strcspn(p, "/");
        char *seg = n ? curl_easy_escape(NULL, p, (int)n) : NULL;
        if (seg) fputs(seg, out);
        curl_free(seg);
        p += n;
        if (*p == '/') fputc('/', out), p++;
    }
}

/* The path as a line record: escaped, and on a terminal that shows them
 * an OSC 8 hyperlink around it. */
static void write_path(result_writer *w, const char *path, text_style style)
{
    if (!w->hyperlinks || path[0] != '/') {
        text_write(w->out, path, style);
        return;
    }
    fputs("\033]8;;", w->out);
    write_file_uri(w->out, path);
    fputs("\033\\", w->out);
    text_write(w->out, path, style);
    fputs("\033]8;;\033\\", w->out);
}

void result_writer_row(result_writer *w, const result_row *r)
{
    /* -0 records are raw bytes; line records escape like `ls -b`. */
    text_style path_style = w->null_sep ? TEXT_RAW : TEXT_ESCAPED;
    w->rank++;
    switch (w->format) {
    case RESULT_TSV:
        fprintf(w->out, "%.4f\t", r->score);
        write_path(w, r->path, path_style);
        break;
    case RESULT_PATHS: write_path(w, r->path, path_style); break;
    case RESULT_JSONL: write_jsonl(w, r); break;
    case RESULT_CSV: write_csv(w, r); break;
    }
    fputc(w->null_sep ? '\0' : '\n', w->out);
}

void json_write_taken(FILE *out, const char *taken, int taken_exif,
                      const char *camera)
{
    if (taken && strlen(taken) == 19) /* "YYYY:MM:DD HH:MM:SS" -> ISO 8601 */
        fprintf(out, ",\"date\":\"%.4s-%.2s-%.2sT%.8s\",\"date_source\":\"%s\"",
                taken, taken + 5, taken + 8, taken + 11,
                taken_exif ? "exif" : "mtime");
    else
        fputs(",\"date\":null,\"date_source\":null", out);
    fputs(",\"camera\":", out);
    if (camera && *camera)
        json_write_string(out, camera);
    else
        fputs("null", out);
}
