/*
 * dicom_validate.c — bound check of a Part-10 element structure before GDCM
 * sees it.  Refuses only what would make a reader go past the end of the
 * buffer (a length running past it, a truncated header), a file meta group
 * without a transfer syntax, and a data set without pixel data.  Whatever
 * else looks odd (a bad VR, a stray delimiter, a non-item inside a
 * sequence) ends the walk without a verdict: GDCM copes with much of it,
 * and the decoder's isolation exists for the rest.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/dicom/dicom_container.h"
#include "model/dicom/dicom_validate.h"

#define MAX_NESTING 64
#define UNDEFINED   0xFFFFFFFFu
#define TAG(g, e)   (((uint32_t)(g) << 16) | (e))
#define ITEM        TAG(0xFFFE, 0xE000)
#define ITEM_END    TAG(0xFFFE, 0xE00D)
#define SEQ_END     TAG(0xFFFE, 0xE0DD)

typedef enum walk_status {
    WALK_OK = 0,
    WALK_OUT_OF_BOUNDS, /* refuse: `problem` says what */
    WALK_GAVE_UP,       /* structure not understood: stop, no verdict */
} walk_status;

typedef struct walker {
    const uint8_t *p;
    size_t len, pos;
    int explicit_vr, big_endian;
    const char *problem;
    size_t problem_at;
    uint32_t pixel_tag; /* top-level pixel data element seen, or 0 */
} walker;

static walk_status out_of_bounds(walker *w, const char *what)
{
    if (!w->problem) {
        w->problem = what;
        w->problem_at = w->pos;
    }
    return WALK_OUT_OF_BOUNDS;
}

static int fits(const walker *w, size_t n) { return w->len - w->pos >= n; }

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

typedef struct element {
    uint32_t tag, length;
    int implicit_content; /* explicit UN with undefined length */
} element;

static walk_status read_element(walker *w, element *el)
{
    if (!fits(w, 8)) return out_of_bounds(w, "truncated");
    el->tag = rd16(w, w->pos) << 16 | rd16(w, w->pos + 2);
    el->implicit_content = 0;
    const uint8_t *vr = w->p + w->pos + 4;
    int is_long = 0;
    if ((el->tag >> 16) == 0xFFFE || !w->explicit_vr) {
        el->length = rd32(w, w->pos + 4);
        w->pos += 8;
    } else if (!dicom_known_vr(vr, &is_long)) {
        return WALK_GAVE_UP;
    } else if (is_long) {
        if (!fits(w, 12)) return out_of_bounds(w, "truncated");
        el->length = rd32(w, w->pos + 8);
        el->implicit_content = !memcmp(vr, "UN", 2);
        w->pos += 12;
    } else {
        el->length = rd16(w, w->pos + 6);
        w->pos += 8;
    }
    return WALK_OK;
}

static walk_status walk_dataset(walker *w, int depth, uint32_t end_tag);

/* An undefined-length item.  One whose first element has no valid VR in
 * an explicit data set is read as implicit VR, as GDCM does for sequences
 * written that way (private sequences, CP-246). */
static walk_status walk_item(walker *w, int depth)
{
    int saved = w->explicit_vr, is_long;
    if (w->explicit_vr && fits(w, 8) &&
        !dicom_known_vr(w->p + w->pos + 4, &is_long))
        w->explicit_vr = 0;
    walk_status st = walk_dataset(w, depth, ITEM_END);
    w->explicit_vr = saved;
    return st;
}

/* Items of an undefined-length sequence, or pixel fragments. */
static walk_status walk_items(walker *w, int depth, int fragments)
{
    if (depth > MAX_NESTING) return WALK_GAVE_UP;
    for (;;) {
        element el;
        walk_status st = read_element(w, &el);
        if (st) return st;
        if (el.tag == SEQ_END) return WALK_OK;
        if (el.tag != ITEM) return WALK_GAVE_UP;
        if (el.length == UNDEFINED && !fragments) {
            if ((st = walk_item(w, depth + 1))) return st;
        } else if (el.length == UNDEFINED) {
            return WALK_GAVE_UP;
        } else {
            if (!fits(w, el.length))
                return out_of_bounds(w, "item runs past the end");
            w->pos += el.length;
        }
    }
}

static int is_pixel_data(uint32_t tag)
{
    return tag == TAG(0x7FE0, 0x0010) || tag == TAG(0x7FE0, 0x0008) ||
           tag == TAG(0x7FE0, 0x0009);
}

static walk_status walk_value(walker *w, int depth, const element *el)
{
    if (depth == 0 && is_pixel_data(el->tag)) w->pixel_tag = el->tag;
    if (el->length != UNDEFINED) {
        if (!fits(w, el->length))
            return out_of_bounds(w, "value runs past the end");
        w->pos += el->length;
        return WALK_OK;
    }
    if (depth == 0 && el->tag == TAG(0x7FE0, 0x0010))
        return walk_items(w, depth, 1);
    int saved = w->explicit_vr;
    if (el->implicit_content) w->explicit_vr = 0;
    walk_status st = walk_items(w, depth, 0);
    w->explicit_vr = saved;
    return st;
}

static walk_status walk_dataset(walker *w, int depth, uint32_t end_tag)
{
    while (w->pos < w->len) {
        element el;
        walk_status st = read_element(w, &el);
        /* GDCM re-reads a data set after a bad VR in other encodings, and
         * those assert on the delimiter that ends an enclosing sequence. */
        if (st == WALK_GAVE_UP && depth > 0)
            return out_of_bounds(w, "invalid VR inside a sequence");
        if (st) return st;
        if (el.tag == end_tag) return WALK_OK;
        /* After the pixel data only higher tags may follow (PS3.5 7.1): a
         * lower one means the pixel data's lengths do not add up, and what
         * follows is misread pixel bytes. */
        if (depth == 0 && w->pixel_tag && el.tag < w->pixel_tag) {
            w->pos -= 8;
            return out_of_bounds(w, "pixel data lengths do not add up");
        }
        /* A stray delimiter or item at this level: skip what it says. */
        if ((el.tag >> 16) == 0xFFFE && el.length == UNDEFINED)
            return WALK_GAVE_UP;
        if ((st = walk_value(w, depth, &el))) return st;
    }
    return end_tag ? out_of_bounds(w, "unterminated sequence item") : WALK_OK;
}

/* Meta group (always explicit LE); fills the transfer syntax UID. */
static walk_status walk_meta(walker *w, char *ts, size_t cap)
{
    ts[0] = '\0';
    w->pos = 132;
    while (w->len - w->pos >= 8 && rd16(w, w->pos) == 0x0002) {
        element el;
        walk_status st = read_element(w, &el);
        if (st == WALK_GAVE_UP) /* GDCM asserts on these in the meta group */
            return out_of_bounds(w, "invalid VR in the file meta group");
        if (st || el.length == UNDEFINED || !fits(w, el.length))
            return out_of_bounds(w, "file meta group runs past the end");
        if (el.tag == TAG(0x0002, 0x0010)) {
            size_t n = el.length < cap ? el.length : cap - 1;
            memcpy(ts, w->p + w->pos, n);
            while (n > 0 && (ts[n - 1] == '\0' || ts[n - 1] == ' ')) n--;
            ts[n] = '\0';
        }
        w->pos += el.length;
    }
    if (ts[0]) return WALK_OK;
    return out_of_bounds(w, "no transfer syntax in the file meta group");
}

static int report(const walker *w, const char *label, char *err)
{
    if (!w->problem) return VLM_OK;
    vlm_set_err(err, "%s: corrupt DICOM: %s (at byte %zu)", label, w->problem,
                w->problem_at);
    return VLM_EFORMAT;
}

int dicom_meta_group(const void *bytes, size_t len, char *ts, size_t cap,
                     size_t *data_set_at, const char *label, char *err)
{
    walker w = {.p = bytes, .len = len, .explicit_vr = 1};
    ts[0] = '\0';
    if (len < 132)
        out_of_bounds(&w, "truncated");
    else
        walk_meta(&w, ts, cap);
    *data_set_at = w.pos;
    return report(&w, label, err);
}

static int validate(const void *bytes, size_t len, int strict,
                    const char *label, char *err)
{
    walker w = {.p = bytes, .len = len, .explicit_vr = 1};
    char ts[65];
    if (len < 132) {
        out_of_bounds(&w, "truncated");
    } else if (walk_meta(&w, ts, sizeof ts) == WALK_OK) {
        if (strcmp(ts, "1.2.840.10008.1.2.1.99") == 0)
            return VLM_OK; /* deflated: inflate first (dicom_inflate) */
        w.explicit_vr = strcmp(ts, "1.2.840.10008.1.2") != 0;
        w.big_endian = strcmp(ts, "1.2.840.10008.1.2.2") == 0;
        walk_status st = walk_dataset(&w, 0, 0);
        if (st == WALK_GAVE_UP && strict)
            out_of_bounds(&w, "structure not understood (no preamble, so "
                              "no guessing)");
        if (st == WALK_OK && !w.pixel_tag) {
            vlm_set_err(err, "%s: no pixel data (not an image)", label);
            return VLM_EUNSUPPORTED;
        }
    }
    return report(&w, label, err);
}

int dicom_validate(const void *bytes, size_t len, const char *label, char *err)
{
    return validate(bytes, len, 0, label, err);
}

int dicom_validate_strict(const void *bytes, size_t len, const char *label,
                          char *err)
{
    return validate(bytes, len, 1, label, err);
}
