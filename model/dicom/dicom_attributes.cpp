/*
 * dicom_attributes.cpp — the attributes of the display pipeline, read out of
 * a GDCM data set into dicom_raw: identifiers, pixel format, rescale and
 * Modality LUT, window and VOI LUT (from the first frame's functional groups
 * in enhanced multi-frame objects), palette colour tables.
 *
 * Values are read with explicit length checks from the raw element bytes,
 * never through gdcm::Attribute<> (which asserts when a VR or VM is not the
 * one it expects, as in RT Dose files).  PHI: only the tags named here are
 * looked at; patient name/ID/birth date never are.
 */
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>

#include <gdcmPhotometricInterpretation.h>
#include <gdcmSequenceOfItems.h>

#include "model/dicom/dicom_gdcm.h"

namespace vlm_gdcm
{

const gdcm::ByteValue *value_of(const gdcm::DataSet &ds, uint16_t g, uint16_t e)
{
    const gdcm::Tag tag(g, e);
    if (!ds.FindDataElement(tag)) return nullptr;
    const gdcm::ByteValue *bv = ds.GetDataElement(tag).GetByteValue();
    return bv && bv->GetPointer() && bv->GetLength() ? bv : nullptr;
}

void tag_string(const gdcm::DataSet &ds, uint16_t g, uint16_t e, char *buf,
                size_t cap)
{
    buf[0] = '\0';
    const gdcm::ByteValue *bv = value_of(ds, g, e);
    if (!bv) return;
    size_t n = bv->GetLength();
    const char *p = bv->GetPointer();
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\0')) n--;
    while (n > 0 && *p == ' ') {
        p++;
        n--;
    }
    if (n >= cap) n = cap - 1;
    for (size_t i = 0; i < n; i++)
        buf[i] = (p[i] >= 32 && p[i] < 127) ? p[i] : '?';
    buf[n] = '\0';
}

int tag_number(const gdcm::DataSet &ds, uint16_t g, uint16_t e, int index,
               double *out)
{
    char buf[256];
    tag_string(ds, g, e, buf, sizeof buf);
    const char *p = buf;
    for (int i = 0; i < index && p; i++) {
        p = strchr(p, '\\');
        if (p) p++;
    }
    if (!p || !*p) return 0;
    char *end = nullptr;
    double v = strtod(p, &end);
    if (end == p || !std::isfinite(v)) return 0;
    *out = v;
    return 1;
}

int tag_us(const gdcm::DataSet &ds, uint16_t g, uint16_t e, unsigned *out)
{
    const gdcm::ByteValue *bv = value_of(ds, g, e);
    if (!bv || bv->GetLength() < 2) return 0;
    uint16_t v;
    memcpy(&v, bv->GetPointer(), 2);
    *out = v;
    return 1;
}

void read_header(const gdcm::DataSet &ds, dicom_header *h)
{
    tag_string(ds, 0x0020, 0x000D, h->study_uid, sizeof h->study_uid);
    tag_string(ds, 0x0020, 0x000E, h->series_uid, sizeof h->series_uid);
    tag_string(ds, 0x0008, 0x0018, h->sop_uid, sizeof h->sop_uid);
    tag_string(ds, 0x0008, 0x0016, h->sop_class_uid, sizeof h->sop_class_uid);
    tag_string(ds, 0x0008, 0x0050, h->accession, sizeof h->accession);
    tag_string(ds, 0x0008, 0x0060, h->modality, sizeof h->modality);
    tag_string(ds, 0x0018, 0x0015, h->body_part, sizeof h->body_part);
    tag_string(ds, 0x0008, 0x0020, h->study_date, sizeof h->study_date);
    tag_string(ds, 0x0008, 0x103E, h->series_description,
               sizeof h->series_description);
    tag_string(ds, 0x0028, 0x0004, h->photometric, sizeof h->photometric);
    double v = 0;
    h->instance_number = tag_number(ds, 0x0020, 0x0013, 0, &v) ? (int)v : 0;
    h->frames =
        tag_number(ds, 0x0028, 0x0008, 0, &v) && v >= 1 && v < 1e9 ? (int)v : 1;
}

static int bad_format(char *err, const char *label, const char *what, int a,
                      int b)
{
    vlm_set_err(err, "%s: unsupported pixel format (%s %d, %d)", label, what, a,
                b);
    return VLM_EUNSUPPORTED;
}

/* Bits allocated/stored/high bit: only layouts the standard defines and
 * this pipeline reads (ACR-NEMA 12-bit packing is refused). */
static int check_bits(dicom_raw *r, char *err, const char *label)
{
    int a = r->bits_allocated;
    if (r->is_float && a != 32 && a != 64)
        return bad_format(err, label, "float bits allocated", a, 0);
    if (a == 12)
        return bad_format(err, label,
                          "12-bit packed samples (ACR-NEMA), bits allocated", a,
                          r->bits_stored);
    if (a != 1 && a != 8 && a != 16 && a != 32 && !(a == 64 && r->is_float))
        return bad_format(err, label, "bits allocated", a, r->bits_stored);
    if (r->bits_stored < 1 || r->bits_stored > a)
        r->bits_stored = a; /* missing or nonsense: use the whole sample */
    if (r->high_bit < r->bits_stored - 1 || r->high_bit >= a)
        r->high_bit = r->bits_stored - 1;
    return VLM_OK;
}

int read_pixel_format(const gdcm::DataSet &ds, dicom_raw *r, char *err,
                      const char *label)
{
    unsigned v = 0;
    r->height = tag_us(ds, 0x0028, 0x0010, &v) ? (int)v : 0;
    r->width = tag_us(ds, 0x0028, 0x0011, &v) ? (int)v : 0;
    r->samples = tag_us(ds, 0x0028, 0x0002, &v) ? (int)v : 1;
    r->planar = tag_us(ds, 0x0028, 0x0006, &v) ? (v == 1) : 0;
    r->is_float = ds.FindDataElement(gdcm::Tag(0x7FE0, 0x0008)) ||
                  ds.FindDataElement(gdcm::Tag(0x7FE0, 0x0009));
    r->bits_allocated = tag_us(ds, 0x0028, 0x0100, &v) ? (int)v : 0;
    if (!r->bits_allocated && r->is_float)
        r->bits_allocated =
            ds.FindDataElement(gdcm::Tag(0x7FE0, 0x0009)) ? 64 : 32;
    r->bits_stored = tag_us(ds, 0x0028, 0x0101, &v) ? (int)v : 0;
    r->high_bit = tag_us(ds, 0x0028, 0x0102, &v) ? (int)v : -1;
    r->is_signed = tag_us(ds, 0x0028, 0x0103, &v) ? (v == 1) : 0;
    r->hdr.rows = r->height;
    r->hdr.cols = r->width;
    if (!r->hdr.photometric[0])
        snprintf(r->hdr.photometric, sizeof r->hdr.photometric, "%s",
                 r->samples == 3 ? "RGB" : "MONOCHROME2");
    snprintf(r->photometric, sizeof r->photometric, "%s", r->hdr.photometric);
    if (r->width <= 0 || r->height <= 0) {
        vlm_set_err(err, "%s: image has no rows or columns", label);
        return VLM_EFORMAT;
    }
    if (r->samples != 1 && r->samples != 3) {
        vlm_set_err(err, "%s: %d samples per pixel is not supported", label,
                    r->samples);
        return VLM_EUNSUPPORTED;
    }
    /* GDCM's codecs assert on a name it does not know. */
    gdcm::PhotometricInterpretation::PIType pi =
        gdcm::PhotometricInterpretation::GetPIType(r->photometric);
    if (pi == gdcm::PhotometricInterpretation::UNKNOWN ||
        pi == gdcm::PhotometricInterpretation::PI_END) {
        vlm_set_err(err,
                    "%s: photometric interpretation \"%s\" is not one "
                    "the standard defines",
                    label, r->photometric);
        return VLM_EUNSUPPORTED;
    }
    return check_bits(r, err, label);
}

/* The first item of a sequence, or nullptr; `hold` keeps it alive. */
static const gdcm::DataSet *
first_item(const gdcm::DataSet &ds, uint16_t g, uint16_t e,
           gdcm::SmartPointer<gdcm::SequenceOfItems> &hold)
{
    const gdcm::Tag tag(g, e);
    if (!ds.FindDataElement(tag)) return nullptr;
    try {
        hold = ds.GetDataElement(tag).GetValueAsSQ();
    } catch (...) {
        return nullptr; /* not a parsable sequence: treat as absent */
    }
    if (!hold || hold->GetNumberOfItems() < 1) return nullptr;
    return &hold->GetItem(1).GetNestedDataSet();
}

/* LUT descriptor: entries, first value mapped (signed when the element's
 * VR is SS, or when it is unknown and the pixels are signed), bits. */
static int read_descriptor(const gdcm::DataSet &ds, uint16_t g, uint16_t e,
                           int pixels_signed, dicom_lut *lut)
{
    const gdcm::ByteValue *bv = value_of(ds, g, e);
    if (!bv || bv->GetLength() < 6) return 0;
    uint16_t w[3];
    memcpy(w, bv->GetPointer(), sizeof w);
    const gdcm::VR vr = ds.GetDataElement(gdcm::Tag(g, e)).GetVR();
    int is_signed = vr == gdcm::VR::SS || (vr != gdcm::VR::US && pixels_signed);
    lut->entries = w[0] ? w[0] : 65536;
    lut->first = is_signed ? (int)(int16_t)w[1] : (int)w[1];
    lut->bits = w[2];
    return 1;
}

/* LUT data as 16-bit words.  Tables of 8-bit entries written one entry per
 * byte (entries == length; segmented 8-bit tables) are widened, in the
 * order of the words GDCM put into host order: for OW in big endian the
 * entries are packed into the words, not into the byte stream. */
static int read_lut_data(const gdcm::DataSet &ds, uint16_t g, uint16_t e,
                         dicom_lut *lut)
{
    const gdcm::ByteValue *bv = value_of(ds, g, e);
    if (!bv) return 0;
    size_t n = bv->GetLength();
    const uint8_t *p = (const uint8_t *)bv->GetPointer();
    int bytewise = lut->bits <= 8 && (lut->segmented || n == lut->entries);
    lut->count = bytewise ? n : n / 2;
    lut->data = (uint16_t *)malloc((lut->count ? lut->count : 1) * 2);
    if (!lut->data) throw std::bad_alloc();
    for (size_t i = 0; i < lut->count; i++) {
        if (bytewise)
            lut->data[i] = p[i];
        else
            memcpy(&lut->data[i], p + 2 * i, 2);
    }
    return 1;
}

static void read_lut_item(const gdcm::DataSet &item, int pixels_signed,
                          dicom_lut *lut)
{
    if (read_descriptor(item, 0x0028, 0x3002, pixels_signed, lut) &&
        read_lut_data(item, 0x0028, 0x3006, lut))
        return;
    free(lut->data);
    *lut = dicom_lut{};
}

static void read_window(const gdcm::DataSet &ds, dicom_raw *r)
{
    double c = 0, w = 0;
    if (!tag_number(ds, 0x0028, 0x1050, 0, &c) ||
        !tag_number(ds, 0x0028, 0x1051, 0, &w) || w <= 0)
        return;
    char fn[32];
    tag_string(ds, 0x0028, 0x1056, fn, sizeof fn);
    r->voi_function = !strcmp(fn, "SIGMOID")        ? DICOM_VOI_SIGMOID
                      : !strcmp(fn, "LINEAR_EXACT") ? DICOM_VOI_LINEAR_EXACT
                                                    : DICOM_VOI_LINEAR;
    if (r->voi_function == DICOM_VOI_LINEAR && w < 1) return;
    r->has_window = 1;
    r->window_center = c;
    r->window_width = w;
}

static void read_rescale(const gdcm::DataSet &ds, dicom_raw *r)
{
    double s = 1, i = 0;
    if (tag_number(ds, 0x0028, 0x1053, 0, &s) && s != 0) r->slope = s;
    if (tag_number(ds, 0x0028, 0x1052, 0, &i)) r->intercept = i;
}

/* Pixel Value Transformation and Frame VOI LUT macros of one functional
 * group item (shared, then the first frame's, which wins). */
static void read_group(const gdcm::DataSet &group, dicom_raw *r)
{
    gdcm::SmartPointer<gdcm::SequenceOfItems> hold;
    const gdcm::DataSet *it = first_item(group, 0x0028, 0x9145, hold);
    if (it) read_rescale(*it, r);
    it = first_item(group, 0x0028, 0x9132, hold);
    if (it) read_window(*it, r);
}

static void read_palette(const gdcm::DataSet &ds, dicom_raw *r)
{
    for (int c = 0; c < 3; c++) {
        dicom_lut *lut = &r->palette[c];
        if (!read_descriptor(ds, 0x0028, (uint16_t)(0x1101 + c), r->is_signed,
                             lut))
            continue;
        lut->segmented = !value_of(ds, 0x0028, (uint16_t)(0x1201 + c));
        if (!read_lut_data(ds, 0x0028,
                           (uint16_t)((lut->segmented ? 0x1221 : 0x1201) + c),
                           lut))
            *lut = dicom_lut{};
    }
    char pres[32];
    tag_string(ds, 0x0008, 0x9205, pres, sizeof pres); /* Pixel Presentation */
    r->supplemental = r->samples == 1 && r->palette[0].data &&
                      strncmp(r->photometric, "MONOCHROME", 10) == 0 &&
                      (!strcmp(pres, "COLOR") || !strcmp(pres, "MIXED"));
}

void read_display_attributes(const gdcm::DataSet &ds, dicom_raw *r)
{
    r->slope = 1;
    read_rescale(ds, r);
    read_window(ds, r);
    gdcm::SmartPointer<gdcm::SequenceOfItems> hold;
    const gdcm::DataSet *it = first_item(ds, 0x0028, 0x3000, hold);
    if (it) read_lut_item(*it, r->is_signed, &r->modality_lut);
    /* VOI LUT input is the Modality LUT output: signed only if rescaled
     * values can be negative, which the descriptor's VR says when known. */
    it = first_item(ds, 0x0028, 0x3010, hold);
    if (it)
        read_lut_item(*it, r->is_signed && !r->modality_lut.data, &r->voi_lut);
    it = first_item(ds, 0x5200, 0x9229, hold); /* shared groups */
    if (it) read_group(*it, r);
    it = first_item(ds, 0x5200, 0x9230, hold); /* per-frame groups */
    if (it) read_group(*it, r);
    read_palette(ds, r);
}

} // namespace vlm_gdcm
