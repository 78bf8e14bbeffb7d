/*
 * config_limits.h — range checks for the numbers a model's config.json
 * gives, run before anything is allocated from them: a config is input
 * like any other, and `num_hidden_layers: 2147483647` must be a message
 * naming the field, not a 300 GB calloc.
 *
 * Limits are generous (far beyond any published checkpoint) but keep every
 * derived buffer size and int index computation small enough to be safe.
 */
#ifndef VLM_CONFIG_LIMITS_H
#define VLM_CONFIG_LIMITS_H

#include <stddef.h>

#include "model/core/vlm_error.h"

/* A whole-number field: its JSON name, the value read, the allowed range. */
typedef struct vlm_int_field {
    const char *name;
    long long value;
    long long lo, hi;
} vlm_int_field;

/* VLM_OK, or VLM_EFORMAT with err "WHERE.NAME = V is outside LO..HI" for the
 * first field out of range (where may be "" for top-level keys). */
int vlm_check_int_fields(const char *where, const vlm_int_field *fields,
                         size_t n, char *err);

/* A real-valued field: finite and lo < value < hi (exclusive), else
 * VLM_EFORMAT with err naming WHERE.NAME. */
int vlm_check_real_field(const char *where, const char *name, double value,
                         double lo, double hi, char *err);

#endif
