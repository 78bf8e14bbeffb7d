#include "query/label_input.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One line (without its end) into a new label; rc VLM_OK or VLM_EINVAL. */
static int take_line(const char *path, int lineno, char *line, size_t len,
                     char ***labels, int *n, char *err)
{
    if (memchr(line, 0, len)) {
        vlm_set_err(err, "%s:%d: a NUL byte: not a text file of labels", path,
                    lineno);
        return VLM_EINVAL;
    }
    while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
        line[--len] = 0;
    if (!len || line[0] == '#') return VLM_OK;
    if (len > LABEL_MAX_BYTES || *n >= LABEL_MAX_COUNT) {
        vlm_set_err(err, "%s:%d: %s", path, lineno,
                    len > LABEL_MAX_BYTES
                        ? "label longer than 1024 bytes"
                        : "more than 20000 labels (the limit)");
        return VLM_EINVAL;
    }
    char **nl = realloc(*labels, (size_t)(*n + 1) * sizeof *nl);
    if (!nl) return VLM_ENOMEM;
    *labels = nl;
    if (!(nl[*n] = strdup(line))) return VLM_ENOMEM;
    (*n)++;
    return VLM_OK;
}

/* Reads at most LABEL_FILE_MAX_BYTES + 1 bytes: one more says "too big". */
static char *read_bounded(FILE *f, size_t *len)
{
    char *buf = malloc(LABEL_FILE_MAX_BYTES + 2);
    if (!buf) return NULL;
    *len = fread(buf, 1, LABEL_FILE_MAX_BYTES + 1, f);
    buf[*len] = 0;
    return buf;
}

int classify_read_labels(const char *path, char ***labels, int *n, char *err)
{
    *labels = NULL;
    *n = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        vlm_set_err(err, "%s: cannot read labels: %s", path, strerror(errno));
        return VLM_EIO;
    }
    size_t len = 0;
    char *buf = read_bounded(f, &len);
    int rc = !buf ? VLM_ENOMEM : ferror(f) ? VLM_EIO : VLM_OK;
    fclose(f);
    if (rc == VLM_EIO) vlm_set_err(err, "%s: cannot read labels", path);
    if (!rc && len > LABEL_FILE_MAX_BYTES) {
        vlm_set_err(err, "%s: labels file larger than 4 MiB (the limit)", path);
        rc = VLM_EINVAL;
    }
    char *line = buf;
    for (int lineno = 1; !rc && line && line < buf + len; lineno++) {
        char *end = memchr(line, '\n', (size_t)(buf + len - line));
        size_t l = end ? (size_t)(end - line) : (size_t)(buf + len - line);
        line[l] = 0;
        rc = take_line(path, lineno, line, l, labels, n, err);
        line = end ? end + 1 : NULL;
    }
    free(buf);
    if (rc) {
        for (int i = 0; i < *n; i++) free((*labels)[i]);
        free(*labels);
        *labels = NULL;
        *n = 0;
    }
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The first label given twice, or NULL. */
static const char *find_duplicate(const char *const *labels, int n, int *oom)
{
    const char **sorted = malloc((size_t)n * sizeof *sorted);
    const char *dup = NULL;
    *oom = !sorted;
    if (!sorted) return NULL;
    memcpy(sorted, labels, (size_t)n * sizeof *sorted);
    qsort(sorted, (size_t)n, sizeof *sorted, cmp_str);
    for (int i = 1; i < n && !dup; i++)
        if (!strcmp(sorted[i - 1], sorted[i])) dup = sorted[i];
    free(sorted);
    return dup;
}

int label_input_check(const char *const *labels, int n_labels,
                      const char *const *templates, int n_templates, char *err)
{
    if (n_labels < 1 || n_labels > LABEL_MAX_COUNT) {
        vlm_set_err(err, n_labels < 1 ? "give at least one label (--label "
                                        "TEXT or --labels FILE)"
                                      : "more than 20000 labels (the limit)");
        return VLM_EINVAL;
    }
    for (int i = 0; i < n_labels; i++)
        if (!labels[i][0]) {
            vlm_set_err(err, "label %d is empty", i + 1);
            return VLM_EINVAL;
        }
    for (int i = 0; i < n_templates; i++)
        if (!strstr(templates[i], "{}")) {
            vlm_set_err(err, "template '%s' has no {} (where the label goes)",
                        templates[i]);
            return VLM_EINVAL;
        }
    int oom;
    const char *dup = find_duplicate(labels, n_labels, &oom);
    if (oom) return VLM_ENOMEM;
    if (dup) {
        vlm_set_err(err, "label '%s' is given more than once", dup);
        return VLM_EINVAL;
    }
    return VLM_OK;
}
