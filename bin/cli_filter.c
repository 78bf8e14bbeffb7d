#include "bin/cli_filter.h"

#include <string.h>

#include "query/filters.h"

int cli_parse_date(const char *text, void *field, char *err)
{
    return filter_parse_date(text, field, err);
}

int cli_parse_type(const char *text, void *field, char *err)
{
    cli_types *t = field;
    const char *name = filter_parse_format(text, err);
    if (!name) return VLM_EINVAL;
    if (t->n == CLI_FILTER_MAX_TYPES) {
        vlm_set_err(err, "at most %d types", CLI_FILTER_MAX_TYPES);
        return VLM_EINVAL;
    }
    t->v[t->n++] = name;
    return VLM_OK;
}

int cli_parse_size(const char *text, void *field, char *err)
{
    cli_size *s = field;
    return filter_parse_size(text, &s->w, &s->h, err);
}

const collection_filter *cli_filter_get(const cli_filter *f,
                                        collection_filter *buf)
{
    memset(buf, 0, sizeof *buf);
    buf->after = f->after[0] ? f->after : NULL;
    buf->before = f->before[0] ? f->before : NULL;
    buf->camera = f->camera;
    buf->formats = f->types.v;
    buf->n_formats = f->types.n;
    buf->min_width = f->min_size.w;
    buf->min_height = f->min_size.h;
    int any = buf->after || buf->before || buf->camera || buf->n_formats ||
              buf->min_width || buf->min_height;
    return any ? buf : NULL;
}
