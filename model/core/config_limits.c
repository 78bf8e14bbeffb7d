#include "model/core/config_limits.h"

#include <math.h>
#include <stdio.h>

static void field_name(char *buf, size_t cap, const char *where,
                       const char *name)
{
    snprintf(buf, cap, "%s%s%s", where, where[0] ? "." : "", name);
}

int vlm_check_int_fields(const char *where, const vlm_int_field *fields,
                         size_t n, char *err)
{
    for (size_t i = 0; i < n; i++) {
        const vlm_int_field *f = &fields[i];
        if (f->value >= f->lo && f->value <= f->hi) continue;
        char name[160];
        field_name(name, sizeof name, where, f->name);
        vlm_set_err(err, "%s = %lld is outside %lld..%lld", name, f->value,
                    f->lo, f->hi);
        return VLM_EFORMAT;
    }
    return VLM_OK;
}

int vlm_check_real_field(const char *where, const char *name, double value,
                         double lo, double hi, char *err)
{
    if (isfinite(value) && value > lo && value < hi) return VLM_OK;
    char full[160];
    field_name(full, sizeof full, where, name);
    vlm_set_err(err, "%s = %g is not a finite number between %g and %g", full,
                value, lo, hi);
    return VLM_EFORMAT;
}
