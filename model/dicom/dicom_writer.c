/*
 * dicom_writer.c — minimal Explicit VR Little Endian Part-10 encoder.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "model/dicom/dicom_writer.h"

#define MAX_DEPTH          8
#define EXPLICIT_VR_LE     "1.2.840.10008.1.2.1"
#define IMPLEMENTATION_UID "2.25.98370154371123954870925731042511416811"

struct dicom_writer {
    uint8_t *buf;
    size_t len, cap;
    int depth;                        /* 0 = top-level data set */
    uint32_t last_tag[MAX_DEPTH + 1]; /* ordering check per level */
    char err[VLM_ERR_MAX];
    int failed;
};

static void fail(dicom_writer *w, const char *msg, uint32_t tag)
{
    if (w->failed) return;
    w->failed = 1;
    vlm_set_err(w->err, "DICOM writer: %s at (%04X,%04X)", msg, tag >> 16,
                tag & 0xFFFF);
}

static void put(dicom_writer *w, const void *p, size_t n)
{
    if (w->failed) return;
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap : 1024;
        while (cap < w->len + n) cap *= 2;
        /* Not realloc: an SR carries patient attributes, and the old
         * buffer is wiped rather than left behind in freed memory. */
        uint8_t *nb = malloc(cap);
        if (!nb) {
            fail(w, "out of memory", 0);
            return;
        }
        if (w->buf) {
            memcpy(nb, w->buf, w->len);
            explicit_bzero(w->buf, w->cap);
            free(w->buf);
        }
        w->buf = nb;
        w->cap = cap;
    }
    memcpy(w->buf + w->len, p, n);
    w->len += n;
}

static void put_u16(dicom_writer *w, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    put(w, b, 2);
}

static void put_u32(dicom_writer *w, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
                    (uint8_t)(v >> 24)};
    put(w, b, 4);
}

static int long_length_vr(const char *vr)
{
    static const char *const LONG[] = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ",
                                       "SV", "UC", "UN", "UR", "UT", "UV"};
    for (size_t i = 0; i < sizeof LONG / sizeof LONG[0]; i++)
        if (!strncmp(vr, LONG[i], 2)) return 1;
    return 0;
}

static int check_order(dicom_writer *w, uint16_t group, uint16_t elem)
{
    uint32_t tag = ((uint32_t)group << 16) | elem;
    if (w->last_tag[w->depth] && tag <= w->last_tag[w->depth]) {
        fail(w, "element out of ascending order", tag);
        return 0;
    }
    w->last_tag[w->depth] = tag;
    return 1;
}

/* Tag + VR + length header for a value of `len` bytes (or undefined). */
static void element_header(dicom_writer *w, uint16_t group, uint16_t elem,
                           const char *vr, uint32_t len)
{
    put_u16(w, group);
    put_u16(w, elem);
    put(w, vr, 2);
    if (long_length_vr(vr)) {
        put_u16(w, 0);
        put_u32(w, len);
    } else if (len > 0xFFFF) {
        fail(w, "value too long for a 16-bit length",
             (uint32_t)group << 16 | elem);
    } else {
        put_u16(w, (uint16_t)len);
    }
}

static void padded_value(dicom_writer *w, uint16_t group, uint16_t elem,
                         const char *vr, const void *data, size_t len,
                         uint8_t pad)
{
    if (!check_order(w, group, elem)) return;
    if (len > 0xFFFFFFF0u) {
        fail(w, "value too long", (uint32_t)group << 16 | elem);
        return;
    }
    element_header(w, group, elem, vr, (uint32_t)(len + (len & 1)));
    put(w, data, len);
    if (len & 1) put(w, &pad, 1);
}

void dicom_writer_string(dicom_writer *w, uint16_t group, uint16_t elem,
                         const char *vr, const char *value)
{
    uint8_t pad = strncmp(vr, "UI", 2) ? ' ' : '\0';
    padded_value(w, group, elem, vr, value, strlen(value), pad);
}

void dicom_writer_us(dicom_writer *w, uint16_t group, uint16_t elem,
                     uint16_t value)
{
    uint8_t b[2] = {(uint8_t)value, (uint8_t)(value >> 8)};
    padded_value(w, group, elem, "US", b, 2, 0);
}

void dicom_writer_bytes(dicom_writer *w, uint16_t group, uint16_t elem,
                        const char *vr, const void *data, size_t len)
{
    padded_value(w, group, elem, vr, data, len, 0);
}

void dicom_writer_seq_begin(dicom_writer *w, uint16_t group, uint16_t elem)
{
    if (!check_order(w, group, elem)) return;
    element_header(w, group, elem, "SQ", 0xFFFFFFFFu);
}

void dicom_writer_item_begin(dicom_writer *w)
{
    if (w->depth >= MAX_DEPTH) {
        fail(w, "sequences nested too deep", 0);
        return;
    }
    put_u16(w, 0xFFFE);
    put_u16(w, 0xE000);
    put_u32(w, 0xFFFFFFFFu);
    w->last_tag[++w->depth] = 0;
}

void dicom_writer_item_end(dicom_writer *w)
{
    if (w->depth == 0) {
        fail(w, "item end without item", 0);
        return;
    }
    w->depth--;
    put_u16(w, 0xFFFE);
    put_u16(w, 0xE00D);
    put_u32(w, 0);
}

void dicom_writer_seq_end(dicom_writer *w)
{
    put_u16(w, 0xFFFE);
    put_u16(w, 0xE0DD);
    put_u32(w, 0);
}

/* File meta group: its length element needs the encoded size of the rest. */
static void write_meta(dicom_writer *w, const char *sop_class,
                       const char *sop_instance)
{
    static const uint8_t version[2] = {0, 1};
    uint8_t preamble[128] = {0};
    put(w, preamble, sizeof preamble);
    put(w, "DICM", 4);
    size_t len_at = w->len + 8; /* value offset of (0002,0000) UL */
    put_u16(w, 0x0002);
    put_u16(w, 0x0000);
    put(w, "UL", 2);
    put_u16(w, 4);
    put_u32(w, 0);
    w->last_tag[0] = 0x00020000;
    dicom_writer_bytes(w, 0x0002, 0x0001, "OB", version, 2);
    dicom_writer_string(w, 0x0002, 0x0002, "UI", sop_class);
    dicom_writer_string(w, 0x0002, 0x0003, "UI", sop_instance);
    dicom_writer_string(w, 0x0002, 0x0010, "UI", EXPLICIT_VR_LE);
    dicom_writer_string(w, 0x0002, 0x0012, "UI", IMPLEMENTATION_UID);
    if (w->failed) return;
    uint32_t glen = (uint32_t)(w->len - (len_at + 4));
    for (int i = 0; i < 4; i++) w->buf[len_at + i] = (uint8_t)(glen >> (8 * i));
}

dicom_writer *dicom_writer_create(const char *sop_class_uid,
                                  const char *sop_instance_uid)
{
    dicom_writer *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    write_meta(w, sop_class_uid, sop_instance_uid);
    return w;
}

void dicom_writer_destroy(dicom_writer *w)
{
    if (!w) return;
    if (w->buf) explicit_bzero(w->buf, w->cap);
    free(w->buf);
    free(w);
}

int dicom_writer_finish(dicom_writer *w, uint8_t **bytes, size_t *len,
                        char *err)
{
    *bytes = NULL;
    *len = 0;
    if (!w) {
        vlm_set_err(err, "DICOM writer: out of memory");
        return VLM_ENOMEM;
    }
    if (!w->failed && w->depth != 0) fail(w, "unclosed sequence item", 0);
    if (w->failed) {
        vlm_set_err(err, "%s", w->err);
        return VLM_EINVAL;
    }
    *bytes = w->buf;
    *len = w->len;
    w->buf = NULL;
    w->len = w->cap = 0;
    return VLM_OK;
}

int dicom_uid_generate(char out[65], char *err)
{
    uint8_t b[16];
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) {
        vlm_set_err(err, "UID: no random bytes available");
        return VLM_EIO;
    }
    b[6] = (uint8_t)((b[6] & 0x0F) | 0x40); /* UUID version 4 */
    b[8] = (uint8_t)((b[8] & 0x3F) | 0x80); /* RFC 4122 variant */
    /* 128-bit big-endian number to decimal by repeated division by 10. */
    char digits[40];
    int nd = 0, nonzero = 1;
    while (nonzero) {
        unsigned rem = 0;
        nonzero = 0;
        for (int i = 0; i < 16; i++) {
            unsigned cur = rem * 256 + b[i];
            b[i] = (uint8_t)(cur / 10);
            rem = cur % 10;
            nonzero |= b[i];
        }
        digits[nd++] = (char)('0' + rem);
    }
    memcpy(out, "2.25.", 5);
    for (int i = 0; i < nd; i++) out[5 + i] = digits[nd - 1 - i];
    out[5 + nd] = '\0';
    return VLM_OK;
}
