/*
 * dicom_decode.cpp — the only C++ in the DICOM room: GDCM has no C API.
 * Built as the loadable module libvlm_gdcm.so (see dicom_shim.h); only the
 * two entry points at the bottom are exported.
 *
 * GDCM (not DCMTK) because on Debian 12 it is the one library that decodes
 * every transfer syntax we must read, JPEG 2000 included (DCMTK 3.6.7 has no
 * J2K decoder).  GDCM gives stored values; the Modality LUT is applied here,
 * the VOI window in C (dicom_window.c).
 *
 * PHI: only the tags listed in read_header() are ever looked at; patient
 * name/ID/birth date are never read out of the GDCM data set.  GDCM's own
 * trace output is switched off so it can neither print nor leak anything.
 */
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <sstream>
#include <string>
#include <vector>

#include <gdcmImage.h>
#include <gdcmImageReader.h>
#include <gdcmTrace.h>

#include "model/dicom/dicom_shim.h"

namespace
{

/* GDCM's enum strings are DICOM-padded ("MONOCHROME1 "). */
void copy_trimmed(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    while (n > 0 && (src[n - 1] == ' ' || src[n - 1] == '\0')) n--;
    if (n >= cap) n = cap - 1;
    if (n) memcpy(dst, src, n);
    dst[n] = '\0';
}

/* Copy the value of `tag` (trimmed of padding) into buf; "" if absent. */
void tag_string(const gdcm::DataSet &ds, uint16_t g, uint16_t e, char *buf,
                size_t cap)
{
    buf[0] = '\0';
    const gdcm::Tag tag(g, e);
    if (!ds.FindDataElement(tag)) return;
    const gdcm::ByteValue *bv = ds.GetDataElement(tag).GetByteValue();
    if (!bv || !bv->GetPointer()) return;
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

/* First value of a multi-valued DS/IS ("-600\40" → -600).  0 if absent. */
int tag_first_number(const gdcm::DataSet &ds, uint16_t g, uint16_t e,
                     double *out)
{
    char buf[64];
    tag_string(ds, g, e, buf, sizeof buf);
    if (!buf[0]) return 0;
    char *end = nullptr;
    double v = strtod(buf, &end);
    if (end == buf || !std::isfinite(v)) return 0;
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
    double v = 0;
    h->instance_number = tag_first_number(ds, 0x0020, 0x0013, &v) ? (int)v : 0;
    h->frames = tag_first_number(ds, 0x0028, 0x0008, &v) && v >= 1 ? (int)v : 1;
}

void read_stored_window(const gdcm::DataSet &ds, dicom_raw *raw)
{
    double c = 0, w = 0;
    if (tag_first_number(ds, 0x0028, 0x1050, &c) &&
        tag_first_number(ds, 0x0028, 0x1051, &w) && w >= 1) {
        raw->has_stored = 1;
        raw->stored_center = c;
        raw->stored_width = w;
    }
}

/* Stored value i of the first frame: extract BitsStored bits at HighBit
 * and sign-extend, because decoders may leave overlay/garbage bits above. */
struct sample_reader {
    const unsigned char *buf;
    int bytes, bits_stored, shift, is_signed;

    long long operator()(size_t i) const
    {
        unsigned long long u = 0;
        const unsigned char *p = buf + i * (size_t)bytes;
        for (int b = bytes - 1; b >= 0; b--) u = (u << 8) | p[b]; /* LE host */
        u >>= shift;
        unsigned long long mask =
            bits_stored >= 64 ? ~0ull : ((1ull << bits_stored) - 1);
        u &= mask;
        if (is_signed && bits_stored < 64 && (u >> (bits_stored - 1)) & 1)
            return (long long)(u | ~mask);
        return (long long)u;
    }
};

int grey_values(const gdcm::Image &img, const gdcm::DataSet &ds,
                const std::vector<char> &buf, dicom_raw *raw, char *err,
                const char *label)
{
    const gdcm::PixelFormat &pf = img.GetPixelFormat();
    int alloc = pf.GetBitsAllocated();
    int stored = pf.GetBitsStored();
    if ((alloc != 8 && alloc != 16 && alloc != 32) || stored < 1 ||
        stored > alloc) {
        vlm_set_err(err,
                    "%s: unsupported pixel layout (%d bits allocated, "
                    "%d stored)",
                    label, alloc, stored);
        return VLM_EUNSUPPORTED;
    }
    int high = pf.GetHighBit();
    sample_reader rd{(const unsigned char *)buf.data(), alloc / 8, stored,
                     high - stored + 1 >= 0 ? high - stored + 1 : 0,
                     pf.GetPixelRepresentation() == 1};
    double slope = 1, icpt = 0;
    if (!tag_first_number(ds, 0x0028, 0x1053, &slope) || slope == 0) slope = 1;
    tag_first_number(ds, 0x0028, 0x1052, &icpt);

    size_t n = (size_t)raw->width * raw->height;
    raw->values = (float *)malloc(n * sizeof(float));
    if (!raw->values) {
        vlm_set_err(err, "%s: out of memory for %zu pixels", label, n);
        return VLM_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        raw->values[i] = (float)((double)rd(i) * slope + icpt);

    double lo = rd.is_signed ? -std::ldexp(1.0, stored - 1) : 0.0;
    double hi = rd.is_signed ? std::ldexp(1.0, stored - 1) - 1
                             : std::ldexp(1.0, stored) - 1;
    raw->range_lo = std::fmin(lo * slope + icpt, hi * slope + icpt);
    raw->range_hi = std::fmax(lo * slope + icpt, hi * slope + icpt);
    return VLM_OK;
}

uint8_t clamp_u8(double v)
{
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : std::lround(v));
}

/* YBR_FULL (uncompressed) to RGB, PS3.3 C.7.6.3.1.2. */
void ybr_full_to_rgb(uint8_t *px, size_t n)
{
    for (size_t i = 0; i < n; i++, px += 3) {
        double y = px[0], cb = px[1] - 128.0, cr = px[2] - 128.0;
        px[0] = clamp_u8(y + 1.402 * cr);
        px[1] = clamp_u8(y - 0.344136 * cb - 0.714136 * cr);
        px[2] = clamp_u8(y + 1.772 * cb);
    }
}

int colour_values(const gdcm::Image &img, const std::vector<char> &buf,
                  dicom_raw *raw, char *err, const char *label)
{
    if (img.GetPixelFormat().GetBitsAllocated() != 8) {
        vlm_set_err(err, "%s: only 8-bit colour images are supported", label);
        return VLM_EUNSUPPORTED;
    }
    size_t n = (size_t)raw->width * raw->height;
    raw->rgb = (uint8_t *)malloc(n * 3);
    if (!raw->rgb) {
        vlm_set_err(err, "%s: out of memory for %zu pixels", label, n);
        return VLM_ENOMEM;
    }
    const uint8_t *src = (const uint8_t *)buf.data();
    if (img.GetPlanarConfiguration() == 1) { /* RRR..GGG..BBB.. */
        for (size_t i = 0; i < n; i++)
            for (int c = 0; c < 3; c++) raw->rgb[i * 3 + c] = src[c * n + i];
    } else {
        memcpy(raw->rgb, src, n * 3);
    }
    /* GDCM hands YBR_FULL / YBR_FULL_422 (JPEG baseline) out as full-size
     * YCbCr; JPEG 2000's YBR_ICT/YBR_RCT come out of openjpeg as RGB. */
    gdcm::PhotometricInterpretation::PIType pi =
        img.GetPhotometricInterpretation();
    if (pi == gdcm::PhotometricInterpretation::YBR_FULL ||
        pi == gdcm::PhotometricInterpretation::YBR_FULL_422)
        ybr_full_to_rgb(raw->rgb, n);
    return VLM_OK;
}

int check_geometry(const gdcm::Image &img, unsigned long long max_pixels,
                   dicom_raw *raw, char *err, const char *label)
{
    raw->width = (int)img.GetColumns();
    raw->height = (int)img.GetRows();
    raw->samples = img.GetPixelFormat().GetSamplesPerPixel();
    raw->hdr.cols = raw->width;
    raw->hdr.rows = raw->height;
    if (raw->width <= 0 || raw->height <= 0) {
        vlm_set_err(err, "%s: image has no rows or columns", label);
        return VLM_EFORMAT;
    }
    unsigned long long px = (unsigned long long)raw->width * raw->height;
    if (px > (max_pixels ? max_pixels : IMG_DEFAULT_MAX_PIXELS)) {
        vlm_set_err(err, "%s: %dx%d pixels is over the pixel limit", label,
                    raw->width, raw->height);
        return VLM_ETOOBIG;
    }
    if (raw->samples != 1 && raw->samples != 3) {
        vlm_set_err(err, "%s: %d samples per pixel is not supported", label,
                    raw->samples);
        return VLM_EUNSUPPORTED;
    }
    return VLM_OK;
}

int decode(gdcm::ImageReader &reader, const char *label,
           unsigned long long max_pixels, dicom_raw *raw, char *err)
{
    gdcm::Trace::SetDebug(false);
    gdcm::Trace::SetWarning(false);
    gdcm::Trace::SetError(false);
    if (!reader.Read()) {
        vlm_set_err(err,
                    "%s: GDCM could not read the DICOM image (corrupt "
                    "file or no pixel data)",
                    label);
        return VLM_EFORMAT;
    }
    const gdcm::Image &img = reader.GetImage();
    const gdcm::DataSet &ds = reader.GetFile().GetDataSet();
    read_header(ds, &raw->hdr);
    copy_trimmed(raw->hdr.photometric, sizeof raw->hdr.photometric,
                 gdcm::PhotometricInterpretation::GetPIString(
                     img.GetPhotometricInterpretation()));
    copy_trimmed(raw->hdr.transfer_syntax, sizeof raw->hdr.transfer_syntax,
                 gdcm::TransferSyntax::GetTSString(img.GetTransferSyntax()));
    int st = check_geometry(img, max_pixels, raw, err, label);
    if (st != VLM_OK) return st;

    /* GetBuffer decodes every frame; the first one is all we keep. */
    unsigned long len = img.GetBufferLength();
    size_t frame = (size_t)raw->width * raw->height * raw->samples *
                   ((img.GetPixelFormat().GetBitsAllocated() + 7) / 8);
    if (len < frame || len > (1ul << 33)) {
        vlm_set_err(err, "%s: pixel data length %lu does not match %dx%d",
                    label, len, raw->width, raw->height);
        return VLM_EFORMAT;
    }
    std::vector<char> buf(len);
    if (!img.GetBuffer(buf.data())) {
        vlm_set_err(err, "%s: pixel data could not be decoded (%s)", label,
                    raw->hdr.transfer_syntax);
        return VLM_EFORMAT;
    }
    if (raw->samples == 3) return colour_values(img, buf, raw, err, label);
    raw->monochrome1 = img.GetPhotometricInterpretation() ==
                       gdcm::PhotometricInterpretation::MONOCHROME1;
    read_stored_window(ds, raw);
    return grey_values(img, ds, buf, raw, err, label);
}

int guarded(gdcm::ImageReader &reader, const char *label,
            unsigned long long max_pixels, dicom_raw *raw, char *err)
{
    memset(raw, 0, sizeof *raw);
    int st;
    try {
        st = decode(reader, label, max_pixels, raw, err);
    } catch (const std::bad_alloc &) {
        vlm_set_err(err, "%s: out of memory while decoding", label);
        st = VLM_ENOMEM;
    } catch (...) {
        vlm_set_err(err, "%s: GDCM failed on this file (corrupt DICOM)", label);
        st = VLM_EFORMAT;
    }
    if (st != VLM_OK) dicom_raw_free(raw);
    return st;
}

} // namespace

extern "C" unsigned vlm_gdcm_abi(void) { return DICOM_SHIM_ABI; }

extern "C" int vlm_gdcm_read(const void *bytes, size_t len, const char *label,
                             unsigned long long max_pixels, dicom_raw *out,
                             char *err)
{
    try {
        std::istringstream in(std::string((const char *)bytes, len),
                              std::ios::in | std::ios::binary);
        gdcm::ImageReader reader;
        reader.SetStream(in);
        return guarded(reader, label, max_pixels, out, err);
    } catch (...) {
        memset(out, 0, sizeof *out);
        vlm_set_err(err, "%s: out of memory while buffering", label);
        return VLM_ENOMEM;
    }
}
