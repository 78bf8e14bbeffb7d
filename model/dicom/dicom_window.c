/*
 * dicom_window.c — VOI window presets, per-modality defaults and the window
 * functions of DICOM PS3.3 C.11.2.1.2 (LINEAR) and C.11.2.1.3 (LINEAR_EXACT,
 * SIGMOID).
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model/dicom/dicom.h"

typedef struct preset {
    const char *name;
    dicom_window_kind kind;
    double center, width;
} preset;

/* HU presets.  Bone 400/1800 is the common "bone" window; the PACS recipe
 * gives numbers only for lung and mediastinum, which match these. */
static const preset PRESETS[] = {
    {"lung", DICOM_WINDOW_LUNG, -600, 1500},
    {"mediastinum", DICOM_WINDOW_MEDIASTINUM, 40, 400},
    {"bone", DICOM_WINDOW_BONE, 400, 1800},
};

static const char *const KIND_NAMES[] = {
    [DICOM_WINDOW_DEFAULT] = "default",
    [DICOM_WINDOW_LUNG] = "lung",
    [DICOM_WINDOW_MEDIASTINUM] = "mediastinum",
    [DICOM_WINDOW_BONE] = "bone",
    [DICOM_WINDOW_STORED] = "stored",
    [DICOM_WINDOW_EXPLICIT] = "explicit",
    [DICOM_WINDOW_FULL_RANGE] = "full",
    [DICOM_WINDOW_MINMAX] = "minmax",
    [DICOM_WINDOW_STORED_LUT] = "voi-lut",
};

static const char *const FUNCTION_NAMES[] = {
    [DICOM_VOI_LINEAR] = "linear",
    [DICOM_VOI_LINEAR_EXACT] = "linear-exact",
    [DICOM_VOI_SIGMOID] = "sigmoid",
};

const char *dicom_voi_function_name(dicom_voi_function f)
{
    if ((unsigned)f >= sizeof FUNCTION_NAMES / sizeof FUNCTION_NAMES[0])
        return "?";
    return FUNCTION_NAMES[f];
}

/* "linear", "linear-exact" (or DICOM's LINEAR_EXACT), "sigmoid". */
static int parse_function(const char *text, dicom_voi_function *f)
{
    for (size_t i = 0; i < sizeof FUNCTION_NAMES / sizeof FUNCTION_NAMES[0];
         i++) {
        const char *name = FUNCTION_NAMES[i];
        size_t n = strlen(name);
        if (strlen(text) != n) continue;
        size_t k = 0;
        while (k < n && (tolower((unsigned char)text[k]) == name[k] ||
                         (text[k] == '_' && name[k] == '-')))
            k++;
        if (k == n) {
            *f = (dicom_voi_function)i;
            return 0;
        }
    }
    return -1;
}

const char *dicom_window_kind_name(dicom_window_kind k)
{
    if ((unsigned)k >= sizeof KIND_NAMES / sizeof KIND_NAMES[0]) return "?";
    return KIND_NAMES[k];
}

static const preset *find_preset(dicom_window_kind k)
{
    for (size_t i = 0; i < sizeof PRESETS / sizeof PRESETS[0]; i++)
        if (PRESETS[i].kind == k) return &PRESETS[i];
    return NULL;
}

static int parse_explicit(const char *text, dicom_window *out, char *err)
{
    char *end;
    dicom_voi_function f = DICOM_VOI_LINEAR;
    double c = strtod(text, &end);
    if (end == text || *end != ',') goto bad;
    const char *wtext = end + 1;
    double w = strtod(wtext, &end);
    if (end == wtext || (*end != '\0' && *end != ',') || !isfinite(c) ||
        !isfinite(w))
        goto bad;
    if (*end == ',' && parse_function(end + 1, &f)) goto bad;
    if (f == DICOM_VOI_LINEAR ? w < 1 : w <= 0) {
        vlm_set_err(err, "window \"%s\": width must be %s", text,
                    f == DICOM_VOI_LINEAR ? "at least 1" : "above 0");
        return VLM_EINVAL;
    }
    *out = (dicom_window){DICOM_WINDOW_EXPLICIT, c, w, f};
    return VLM_OK;
bad:
    vlm_set_err(err,
                "window \"%s\": expected lung, mediastinum, bone, "
                "stored, full, minmax, default or CENTER,WIDTH[,linear|"
                "linear-exact|sigmoid]",
                text);
    return VLM_EINVAL;
}

int dicom_window_parse(const char *text, dicom_window *out, char *err)
{
    memset(out, 0, sizeof *out);
    if (!text) {
        vlm_set_err(err, "window: no value given");
        return VLM_EINVAL;
    }
    for (size_t k = 0; k < sizeof KIND_NAMES / sizeof KIND_NAMES[0]; k++) {
        if (k == DICOM_WINDOW_EXPLICIT || k == DICOM_WINDOW_STORED_LUT ||
            strcasecmp(text, KIND_NAMES[k]))
            continue;
        out->kind = (dicom_window_kind)k;
        const preset *p = find_preset(out->kind);
        if (p) {
            out->center = p->center;
            out->width = p->width;
        }
        return VLM_OK;
    }
    return parse_explicit(text, out, err);
}

static int is_chest(const char *body_part)
{
    static const char *const CHEST[] = {"", "CHEST", "LUNG", "THORAX"};
    for (size_t i = 0; i < sizeof CHEST / sizeof CHEST[0]; i++)
        if (!strcasecmp(body_part, CHEST[i])) return 1;
    return 0;
}

static void set_preset(dicom_window *out, dicom_window_kind k)
{
    const preset *p = find_preset(k);
    *out = (dicom_window){k, p->center, p->width, DICOM_VOI_LINEAR};
}

static void full_range(const dicom_window_context *ctx, dicom_window *out)
{
    double w = ctx->range_hi - ctx->range_lo + 1;
    *out = (dicom_window){DICOM_WINDOW_FULL_RANGE,
                          (ctx->range_lo + ctx->range_hi + 1) / 2,
                          w < 1 ? 1 : w, DICOM_VOI_LINEAR};
}

/* LINEAR_EXACT maps lo to 0 and hi to 255 whatever the scale (float data
 * may span less than one unit, where LINEAR's width - 1 would fail). */
static void min_max(const dicom_window_context *ctx, dicom_window *out)
{
    double w = ctx->data_hi - ctx->data_lo;
    *out =
        (dicom_window){DICOM_WINDOW_MINMAX, (ctx->data_lo + ctx->data_hi) / 2,
                       w > 0 ? w : 1, DICOM_VOI_LINEAR_EXACT};
}

/* Stored window or VOI LUT if there is one, else the CT soft-tissue
 * window, the full range, or min..max where the full range means nothing
 * (float samples, more than 16 bits stored). */
static void stored_or_fallback(const dicom_window_context *ctx,
                               dicom_window *out)
{
    if (ctx->has_stored) {
        *out = (dicom_window){DICOM_WINDOW_STORED, ctx->stored_center,
                              ctx->stored_width, ctx->stored_function};
    } else if (ctx->has_voi_lut) {
        *out = (dicom_window){DICOM_WINDOW_STORED_LUT, 0, 0, DICOM_VOI_LINEAR};
    } else if (!strcasecmp(ctx->modality, "CT")) {
        set_preset(out, DICOM_WINDOW_MEDIASTINUM);
    } else if (ctx->minmax_fallback) {
        min_max(ctx, out);
    } else {
        full_range(ctx, out);
    }
}

void dicom_window_resolve(const dicom_window *req,
                          const dicom_window_context *ctx, dicom_window *out)
{
    dicom_window_kind k = req ? req->kind : DICOM_WINDOW_DEFAULT;
    switch (k) {
    case DICOM_WINDOW_LUNG:
    case DICOM_WINDOW_MEDIASTINUM:
    case DICOM_WINDOW_BONE: set_preset(out, k); return;
    case DICOM_WINDOW_EXPLICIT: *out = *req; return;
    case DICOM_WINDOW_FULL_RANGE: full_range(ctx, out); return;
    case DICOM_WINDOW_MINMAX: min_max(ctx, out); return;
    case DICOM_WINDOW_STORED:
    case DICOM_WINDOW_STORED_LUT: stored_or_fallback(ctx, out); return;
    case DICOM_WINDOW_DEFAULT:
    default:
        if (!strcasecmp(ctx->modality, "CT") && is_chest(ctx->body_part))
            set_preset(out, DICOM_WINDOW_LUNG);
        else
            stored_or_fallback(ctx, out);
        return;
    }
}

void dicom_window_describe(const dicom_window *w, char *buf, size_t cap)
{
    if (w->kind == DICOM_WINDOW_STORED_LUT)
        snprintf(buf, cap, "%s", dicom_window_kind_name(w->kind));
    else if (w->function != DICOM_VOI_LINEAR)
        snprintf(buf, cap, "%s %g,%g,%s", dicom_window_kind_name(w->kind),
                 w->center, w->width, dicom_voi_function_name(w->function));
    else
        snprintf(buf, cap, "%s %g,%g", dicom_window_kind_name(w->kind),
                 w->center, w->width);
}

int dicom_window_apply_value(double x, double c, double w)
{
    /* PS3.3 C.11.2.1.2.1, output range 0..255. */
    if (x <= c - 0.5 - (w - 1) / 2) return 0;
    if (x > c - 0.5 + (w - 1) / 2) return 255;
    if (w <= 1) return 255;
    double y = ((x - (c - 0.5)) / (w - 1) + 0.5) * 255.0;
    long v = lround(y);
    return v < 0 ? 0 : v > 255 ? 255 : (int)v;
}

int dicom_window_apply(double x, const dicom_window *w)
{
    double c = w->center, wd = w->width, y;
    switch (w->function) {
    case DICOM_VOI_SIGMOID: /* C.11.2.1.3.1 */
        y = 255.0 / (1 + exp(-4 * (x - c) / wd));
        break;
    case DICOM_VOI_LINEAR_EXACT: /* C.11.2.1.3.2 */
        if (x <= c - wd / 2) return 0;
        if (x > c + wd / 2) return 255;
        y = ((x - c) / wd + 0.5) * 255.0;
        break;
    case DICOM_VOI_LINEAR:
    default: return dicom_window_apply_value(x, c, wd);
    }
    long v = lround(y);
    return v < 0 ? 0 : v > 255 ? 255 : (int)v;
}
