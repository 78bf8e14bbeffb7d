/*
 * api_filter.c — the metadata filters of a search request (after, before,
 * camera, type, min_size), checked with query/filters.h and turned into the
 * collection_filter the search runs inside, as vlmsearch's options are.
 */
#include <stdio.h>
#include <string.h>

#include "query/filters.h"
#include "server/server_internal.h"

#define MAX_CAMERA 128

/* "jpeg,png" -> the stored names; -1 with err. */
static int parse_types(const char *text, req_filter *f, char *err)
{
    char name[32];
    for (const char *p = text; *p;) {
        size_t n = strcspn(p, ",");
        if (n && n < sizeof name) {
            if (f->n_formats == REQ_FILTER_MAX_TYPES) {
                vlm_set_err(err, "type: at most %d formats",
                            REQ_FILTER_MAX_TYPES);
                return -1;
            }
            snprintf(name, sizeof name, "%.*s", (int)n, p);
            const char *stored = filter_parse_format(name, err);
            if (!stored) return -1;
            f->formats[f->n_formats++] = stored;
        } else if (n) {
            vlm_set_err(err, "type: '%.20s...' is no format", p);
            return -1;
        }
        p += n + (p[n] == ',');
    }
    return 0;
}

static int parse_text(const req_filter_text *t, req_filter *f, char *err)
{
    if (t->after && *t->after && filter_parse_date(t->after, f->after, err))
        return -1;
    if (t->before && *t->before && filter_parse_date(t->before, f->before, err))
        return -1;
    if (t->camera && strlen(t->camera) > MAX_CAMERA) {
        vlm_set_err(err, "camera: at most %d characters", MAX_CAMERA);
        return -1;
    }
    if (t->type && parse_types(t->type, f, err)) return -1;
    if (t->min_size && *t->min_size &&
        filter_parse_size(t->min_size, &f->min_w, &f->min_h, err))
        return -1;
    return 0;
}

int req_filter_parse(request *r, const req_filter_text *t, req_filter *f)
{
    char err[VLM_ERR_MAX] = "";
    memset(f, 0, sizeof *f);
    if (parse_text(t, f, err)) return reply_error(r, 400, "%s", err), -1;
    collection_filter *cf = &f->filter;
    cf->after = f->after[0] ? f->after : NULL;
    cf->before = f->before[0] ? f->before : NULL;
    cf->camera = t->camera && *t->camera ? t->camera : NULL;
    cf->formats = f->formats;
    cf->n_formats = f->n_formats;
    cf->min_width = f->min_w;
    cf->min_height = f->min_h;
    f->any = cf->after || cf->before || cf->camera || cf->n_formats ||
             cf->min_width || cf->min_height;
    return 0;
}

const collection_filter *req_filter_get(const req_filter *f)
{
    return f->any ? &f->filter : NULL;
}
