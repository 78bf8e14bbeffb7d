/*
 * dicom_validate.c — bounds-checked walk over a Part-10 element structure.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/dicom/dicom_validate.h"

#define MAX_NESTING 16
#define UNDEFINED   0xFFFFFFFFu
#define TAG(g, e)   (((uint32_t)(g) << 16) | (e))
#define ITEM        TAG(0xFFFE, 0xE000)
#define ITEM_END    TAG(0xFFFE, 0xE00D)
#define SEQ_END     TAG(0xFFFE, 0xE0DD)
#define PIXEL_DATA  TAG(0x7FE0, 0x0010)

typedef struct walker {
    const uint8_t *p;
    size_t len, pos;
    int explicit_vr, big_endian;
    const char *problem; /* first structural problem, NULL if none */
    size_t problem_at;
    /* top-level image geometry, for the native pixel length check */
    unsigned rows, cols, samples, bits, frames;
    int has_pixels;
} walker;

static int bad(walker *w, const char *what)
{
    if (!w->problem) {
        w->problem = what;
        w->problem_at = w->pos;
    }
    return -1;
}

static int need(walker *w, size_t n)
{
    return w->len - w->pos >= n ? 0 : bad(w, "truncated");
}

static uint32_t rd16(const walker *w, size_t at)
{
    const uint8_t *b = w->p + at;
    return w->big_endian ? (uint32_t)(b[0] << 8 | b[1])
                         : (uint32_t)(b[1] << 8 | b[0]);
}

static uint32_t rd32(const walker *w, size_t at)
{
    return w->big_endian ? rd16(w, at) << 16 | rd16(w, at + 2)
                         : rd16(w, at + 2) << 16 | rd16(w, at);
}

static int long_vr(const uint8_t *vr)
{
    static const char LONG[][3] = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ",
                                   "SV", "UC", "UN", "UR", "UT", "UV"};
    for (size_t i = 0; i < sizeof LONG / sizeof LONG[0]; i++)
        if (!memcmp(vr, LONG[i], 2)) return 1;
    return 0;
}

typedef struct element {
    uint32_t tag, length;
    int implicit_content; /* explicit UN with undefined length */
    size_t value_at;
} element;

static int read_element(walker *w, element *el)
{
    if (need(w, 8)) return -1;
    el->tag = rd16(w, w->pos) << 16 | rd16(w, w->pos + 2);
    el->implicit_content = 0;
    if ((el->tag >> 16) == 0xFFFE || !w->explicit_vr) {
        el->length = rd32(w, w->pos + 4);
        w->pos += 8;
    } else {
        const uint8_t *vr = w->p + w->pos + 4;
        if (vr[0] < 'A' || vr[0] > 'Z' || vr[1] < 'A' || vr[1] > 'Z')
            return bad(w, "invalid VR");
        if (long_vr(vr)) {
            if (need(w, 12)) return -1;
            el->length = rd32(w, w->pos + 8);
            el->implicit_content = !memcmp(vr, "UN", 2);
            w->pos += 12;
        } else {
            el->length = rd16(w, w->pos + 6);
            w->pos += 8;
        }
    }
    el->value_at = w->pos;
    return 0;
}

static int walk_dataset(walker *w, int depth, uint32_t end_tag);

/* Items of an undefined-length sequence, or pixel fragments. */
static int walk_items(walker *w, int depth, int fragments)
{
    if (depth > MAX_NESTING) return bad(w, "sequences nested too deep");
    for (;;) {
        element el;
        if (read_element(w, &el)) return -1;
        if (el.tag == SEQ_END) return 0;
        if (el.tag != ITEM) return bad(w, "expected a sequence item");
        if (el.length == UNDEFINED && !fragments) {
            if (walk_dataset(w, depth + 1, ITEM_END)) return -1;
        } else {
            if (el.length == UNDEFINED || need(w, el.length))
                return bad(w, "item runs past the end");
            w->pos += el.length;
        }
    }
}

/* US value, or an IS string (NumberOfFrames) when is_string. */
static unsigned value_number(const walker *w, const element *el, int is_string)
{
    if (!is_string) return el->length == 2 ? rd16(w, el->value_at) : 0;
    char buf[16] = {0};
    memcpy(buf, w->p + el->value_at, el->length < 15 ? el->length : 15);
    long v = strtol(buf, NULL, 10);
    return v > 0 ? (unsigned)v : 1;
}

static void note_geometry(walker *w, const element *el)
{
    switch (el->tag) {
    case TAG(0x0028, 0x0002): w->samples = value_number(w, el, 0); break;
    case TAG(0x0028, 0x0008): w->frames = value_number(w, el, 1); break;
    case TAG(0x0028, 0x0010): w->rows = value_number(w, el, 0); break;
    case TAG(0x0028, 0x0011): w->cols = value_number(w, el, 0); break;
    case TAG(0x0028, 0x0100): w->bits = value_number(w, el, 0); break;
    default: break;
    }
}

static int check_native_pixels(walker *w, uint32_t length)
{
    w->has_pixels = 1;
    if (w->bits < 8) return 0; /* 1-bit and odd layouts: GDCM decides */
    unsigned long long want = (unsigned long long)w->rows * w->cols *
                              w->samples * ((w->bits + 7) / 8) * w->frames;
    return length >= want ? 0
                          : bad(w, "pixel data shorter than the image size");
}

static int walk_value(walker *w, int depth, const element *el)
{
    if (el->length != UNDEFINED) {
        if (need(w, el->length)) return bad(w, "value runs past the end");
        if (depth == 0) {
            if (el->tag == PIXEL_DATA && check_native_pixels(w, el->length))
                return -1;
            if (el->length <= 12) note_geometry(w, el);
        }
        w->pos += el->length;
        return 0;
    }
    if (el->tag == PIXEL_DATA && depth == 0) {
        w->has_pixels = 1;
        return walk_items(w, depth, 1);
    }
    int saved = w->explicit_vr;
    if (el->implicit_content) w->explicit_vr = 0;
    int rc = walk_items(w, depth, 0);
    w->explicit_vr = saved;
    return rc;
}

static int walk_dataset(walker *w, int depth, uint32_t end_tag)
{
    while (w->pos < w->len) {
        element el;
        if (read_element(w, &el)) return -1;
        if (el.tag == end_tag) return 0;
        if ((el.tag >> 16) == 0xFFFE) return bad(w, "unexpected delimiter");
        if (walk_value(w, depth, &el)) return -1;
    }
    return end_tag ? bad(w, "unterminated sequence item") : 0;
}

/* Meta group (always explicit LE); returns the transfer syntax kind. */
static int walk_meta(walker *w, char *ts, size_t cap)
{
    ts[0] = '\0';
    w->pos = 132;
    while (w->len - w->pos >= 8 && rd16(w, w->pos) == 0x0002) {
        element el;
        if (read_element(w, &el) || el.length == UNDEFINED ||
            need(w, el.length))
            return bad(w, "file meta group runs past the end");
        if (el.tag == TAG(0x0002, 0x0010)) {
            size_t n = el.length < cap ? el.length : cap - 1;
            memcpy(ts, w->p + el.value_at, n);
            while (n > 0 && (ts[n - 1] == '\0' || ts[n - 1] == ' ')) n--;
            ts[n] = '\0';
        }
        w->pos += el.length;
    }
    return ts[0] ? 0 : bad(w, "no transfer syntax in the file meta group");
}

int dicom_validate(const void *bytes, size_t len, const char *label, char *err)
{
    walker w = {
        .p = bytes, .len = len, .explicit_vr = 1, .samples = 1, .frames = 1};
    char ts[65];
    if (len < 132)
        bad(&w, "truncated");
    else if (walk_meta(&w, ts, sizeof ts) == 0) {
        w.explicit_vr = strcmp(ts, "1.2.840.10008.1.2") != 0;
        w.big_endian = strcmp(ts, "1.2.840.10008.1.2.2") == 0;
        if (strcmp(ts, "1.2.840.10008.1.2.1.99") == 0)
            return VLM_OK; /* deflated */
        if (walk_dataset(&w, 0, 0) == 0 && !w.has_pixels)
            bad(&w, "no pixel data");
    }
    if (!w.problem) return VLM_OK;
    vlm_set_err(err, "%s: corrupt DICOM: %s (at byte %zu)", label, w.problem,
                w.problem_at);
    return VLM_EFORMAT;
}
