/*
 * dicom_container.c — recognising DICOM by content, and giving a bare data
 * set (no 128-byte preamble and "DICM", as old archives and ACR-NEMA style
 * writers store them) the Part-10 header the rest of the path expects.
 *
 * A bare data set is recognised when its first element is a group 0x0008
 * tag and the first elements (as far as the bytes given reach) are
 * consistent with one encoding: explicit VR little or big endian (a valid
 * VR after the tag), or implicit VR little endian; tags ascending, lengths
 * even and inside the buffer.  A missing preamble in front of a file meta
 * group (group 0x0002) is recognised too.
 */
#include <stdlib.h>
#include <string.h>

#include "model/dicom/dicom_container.h"

#define IMPLICIT_LE "1.2.840.10008.1.2"
#define EXPLICIT_LE "1.2.840.10008.1.2.1"
#define EXPLICIT_BE "1.2.840.10008.1.2.2"

static int has_preamble(const uint8_t *b, size_t len)
{
    return len >= DICOM_SNIFF_BYTES && memcmp(b + 128, "DICM", 4) == 0;
}

static unsigned rd16(const uint8_t *b, int be)
{
    return be ? (unsigned)(b[0] << 8 | b[1]) : (unsigned)(b[1] << 8 | b[0]);
}

static uint32_t rd32(const uint8_t *b, int be)
{
    return be ? (uint32_t)rd16(b, 1) << 16 | rd16(b + 2, 1)
              : (uint32_t)rd16(b + 2, 0) << 16 | rd16(b, 0);
}

int dicom_known_vr(const uint8_t *v, int *is_long)
{
    static const char VRS[][3] = {
        "AE", "AS", "AT", "CS", "DA", "DS", "DT", "FD", "FL", "IS", "LO", "LT",
        "OB", "OD", "OF", "OL", "OV", "OW", "PN", "SH", "SL", "SQ", "SS", "ST",
        "SV", "TM", "UC", "UI", "UL", "UN", "UR", "US", "UT", "UV"};
    static const char LONG[] = "OB OD OF OL OV OW SQ SV UC UN UR UT UV";
    for (size_t i = 0; i < sizeof VRS / sizeof VRS[0]; i++)
        if (!memcmp(v, VRS[i], 2)) {
            *is_long = strstr(LONG, VRS[i]) != NULL;
            return 1;
        }
    return 0;
}

/* Header size of the element at b (len bytes left) and its value length:
 * 0 when the header does not fit, -1 when it is not plausible. */
static int element_header(const uint8_t *b, size_t len, int explicit_vr, int be,
                          uint32_t *length)
{
    if (len < 8) return 0;
    if (!explicit_vr) {
        *length = rd32(b + 4, be);
        return 8;
    }
    int is_long;
    if (!dicom_known_vr(b + 4, &is_long)) return -1;
    if (!is_long) {
        *length = rd16(b + 6, be);
        return 8;
    }
    if (len < 12) return 0;
    *length = rd32(b + 8, be);
    return 12;
}

/* Walks the elements that fit in the buffer: 1 if consistent. */
static int plausible(const uint8_t *b, size_t len, int explicit_vr, int be)
{
    size_t pos = 0;
    uint32_t prev = 0, length;
    for (int n = 0; n < 16 && len - pos >= 8; n++) {
        uint32_t tag =
            (uint32_t)rd16(b + pos, be) << 16 | rd16(b + pos + 2, be);
        if ((n == 0 && (tag >> 16) != 0x0008) || (tag >> 16) < 0x0008 ||
            tag < prev)
            return 0;
        int h = element_header(b + pos, len - pos, explicit_vr, be, &length);
        if (h <= 0) return h == 0;
        if (length == 0xFFFFFFFFu) return 1; /* a sequence: stop here */
        if (length & 1 || (n == 0 && length > 1024)) return 0;
        if (length > len - pos - (size_t)h) return 1; /* past what we have */
        prev = tag;
        pos += (size_t)h + length;
    }
    return 1;
}

const char *dicom_bare_syntax(const void *bytes, size_t len)
{
    const uint8_t *b = bytes;
    if (len < 8 || has_preamble(b, len)) return NULL;
    if (b[0] == 0x02 && b[1] == 0x00 && b[4] >= 'A' && b[4] <= 'Z')
        return ""; /* a meta group without the preamble */
    if (b[0] == 0x08 && b[1] == 0x00) {
        int is_long;
        if (dicom_known_vr(b + 4, &is_long))
            return plausible(b, len, 1, 0) ? EXPLICIT_LE : NULL;
        return plausible(b, len, 0, 0) ? IMPLICIT_LE : NULL;
    }
    if (b[0] == 0x00 && b[1] == 0x08 && plausible(b, len, 1, 1))
        return EXPLICIT_BE;
    return NULL;
}

int dicom_sniff(const void *bytes, size_t len)
{
    return has_preamble(bytes, len) || dicom_bare_syntax(bytes, len) != NULL;
}

static size_t put_element(uint8_t *o, uint16_t e, const char *vr, const void *v,
                          uint32_t n)
{
    size_t h = 0;
    o[h++] = 0x02, o[h++] = 0x00, o[h++] = (uint8_t)e, o[h++] = e >> 8;
    memcpy(o + h, vr, 2), h += 2;
    if (!strcmp(vr, "OB")) {
        memset(o + h, 0, 2), h += 2;
        for (int i = 0; i < 4; i++) o[h++] = (uint8_t)(n >> (8 * i));
    } else {
        o[h++] = (uint8_t)n, o[h++] = (uint8_t)(n >> 8);
    }
    memcpy(o + h, v, n);
    return h + n;
}

/* Preamble, "DICM", then (unless the data already starts with one) a
 * minimal file meta group naming the transfer syntax. */
static size_t part10_header(uint8_t *o, const char *ts)
{
    memset(o, 0, 128);
    memcpy(o + 128, "DICM", 4);
    if (!ts[0]) return 132;
    char uid[66] = {0};
    size_t n = strlen(ts);
    memcpy(uid, ts, n);
    n += n & 1; /* UI values are padded with NUL to even length */
    uint8_t body[96];
    size_t blen = put_element(body, 0x0001, "OB", "\0\1", 2);
    blen += put_element(body + blen, 0x0010, "UI", uid, (uint32_t)n);
    uint8_t gl[4] = {(uint8_t)blen, (uint8_t)(blen >> 8), 0, 0};
    size_t h = 132 + put_element(o + 132, 0x0000, "UL", gl, 4);
    memcpy(o + h, body, blen);
    return h + blen;
}

int dicom_wrap_part10(const void *bytes, size_t len, const char *ts,
                      uint8_t **out, size_t *out_len)
{
    uint8_t head[256];
    size_t h = part10_header(head, ts);
    *out = malloc(h + len);
    if (!*out) return VLM_ENOMEM;
    memcpy(*out, head, h);
    memcpy(*out + h, bytes, len);
    *out_len = h + len;
    return VLM_OK;
}
