/*
 * label_input.h — labels and prompt templates as users give them, checked
 * before anything is embedded.
 *
 * A labels file is text, one label per line; blank lines and lines starting
 * with '#' are ignored, trailing spaces and CR are dropped.  It is read with
 * bounds (LABEL_FILE_MAX_BYTES, LABEL_MAX_COUNT, LABEL_MAX_BYTES per label),
 * so `--labels /dev/zero` or a wrong file is refused with the reason instead
 * of growing without end.
 */
#ifndef VLM_LABEL_INPUT_H
#define VLM_LABEL_INPUT_H

#include "model/core/vlm_error.h"

#define LABEL_FILE_MAX_BYTES (4 << 20) /* 4 MiB */
#define LABEL_MAX_COUNT      20000
#define LABEL_MAX_BYTES      1024

/* Reads a labels file.  *labels is malloc'ed strings; free with
 * collection_free_strings.  VLM_EINVAL (with the file, line and reason) on
 * a file over the bounds, a NUL byte, or a label over LABEL_MAX_BYTES. */
int classify_read_labels(const char *path, char ***labels, int *n, char *err);

/* VLM_EINVAL with the reason when there is no label, more than
 * LABEL_MAX_COUNT, an empty label, a label given twice, or a template
 * without "{}" (where the label goes). */
int label_input_check(const char *const *labels, int n_labels,
                      const char *const *templates, int n_templates, char *err);

#endif
