/*
 * dicom_window.c — VOI window presets, per-modality defaults and the linear
 * window function of DICOM PS3.3 C.11.2.1.2.
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
};

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
    double c = strtod(text, &end);
    if (end == text || *end != ',') goto bad;
    const char *wtext = end + 1;
    double w = strtod(wtext, &end);
    if (end == wtext || *end != '\0' || !isfinite(c) || !isfinite(w)) goto bad;
    if (w < 1) {
        vlm_set_err(err, "window \"%s\": width must be at least 1", text);
        return VLM_EINVAL;
    }
    *out = (dicom_window){DICOM_WINDOW_EXPLICIT, c, w};
    return VLM_OK;
bad:
    vlm_set_err(err,
                "window \"%s\": expected lung, mediastinum, bone, "
                "stored, full, default or CENTER,WIDTH",
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
        if (k == DICOM_WINDOW_EXPLICIT || strcasecmp(text, KIND_NAMES[k]))
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
    *out = (dicom_window){k, p->center, p->width};
}

/* Stored window if there is one, else the CT soft-tissue or full range. */
static void stored_or_fallback(const dicom_window_context *ctx,
                               dicom_window *out)
{
    if (ctx->has_stored) {
        *out = (dicom_window){DICOM_WINDOW_STORED, ctx->stored_center,
                              ctx->stored_width};
    } else if (!strcasecmp(ctx->modality, "CT")) {
        set_preset(out, DICOM_WINDOW_MEDIASTINUM);
    } else {
        double w = ctx->range_hi - ctx->range_lo + 1;
        *out = (dicom_window){DICOM_WINDOW_FULL_RANGE,
                              (ctx->range_lo + ctx->range_hi + 1) / 2,
                              w < 1 ? 1 : w};
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
    case DICOM_WINDOW_FULL_RANGE: {
        dicom_window_context c = *ctx;
        c.has_stored = 0;
        snprintf(c.modality, sizeof c.modality, "%s", "");
        stored_or_fallback(&c, out);
        return;
    }
    case DICOM_WINDOW_STORED: stored_or_fallback(ctx, out); return;
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
    snprintf(buf, cap, "%s %g,%g", dicom_window_kind_name(w->kind), w->center,
             w->width);
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
