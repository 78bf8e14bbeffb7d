/*
 * dicom_decode.cpp — GDCM has no C API: this is the C++ side of the DICOM
 * room, built as the loadable module libvlm_gdcm.so (see dicom_shim.h);
 * only the two entry points at the bottom are exported.
 *
 * GDCM (not DCMTK) because on Debian 12 it is the one library that decodes
 * every transfer syntax we must read, JPEG 2000 included (DCMTK 3.6.7 has no
 * J2K decoder).  Only GDCM's parser (gdcm::Reader) and its codecs are used:
 * gdcm::ImageReader is avoided because its image set-up asserts on valid
 * files (RT Dose without NumberOfFrames, palettes, icons), and Debian's
 * GDCM is built with assertions on.  The first frame is cut out before
 * decoding where the encapsulation allows, so a large multi-frame object is
 * not decompressed whole.
 *
 * PHI: only the tags in dicom_attributes.cpp are looked at.  GDCM's trace
 * output is switched off so it can neither print nor leak anything.
 */
#include <cstdlib>
#include <cstring>
#include <istream>
#include <new>
#include <vector>

#include <turbojpeg.h>

#include <gdcmImage.h>
#include <gdcmReader.h>
#include <gdcmSequenceOfFragments.h>
#include <gdcmTrace.h>

#include "model/dicom/dicom_gdcm.h"

namespace
{

using namespace vlm_gdcm;

/* Read-only, seekable stream over the caller's bytes: no copy. */
class memory_buffer : public std::streambuf
{
  public:
    memory_buffer(const void *p, size_t n)
    {
        char *b = const_cast<char *>(static_cast<const char *>(p));
        setg(b, b, b + n);
    }

  protected:
    pos_type seekoff(off_type off, std::ios_base::seekdir dir,
                     std::ios_base::openmode which) override
    {
        if (!(which & std::ios_base::in)) return pos_type(off_type(-1));
        off_type size = egptr() - eback();
        off_type base = dir == std::ios_base::beg   ? 0
                        : dir == std::ios_base::cur ? gptr() - eback()
                                                    : size;
        if (off < -base || off > size - base) return pos_type(off_type(-1));
        setg(eback(), eback() + base + off, egptr());
        return pos_type(base + off);
    }
    pos_type seekpos(pos_type pos, std::ios_base::openmode which) override
    {
        return seekoff(off_type(pos), std::ios_base::beg, which);
    }
};

/* Bytes of one frame as the standard lays native data out. */
size_t native_frame_bytes(const dicom_raw *r)
{
    size_t px = (size_t)r->width * r->height;
    if (r->bits_allocated == 1) return (px * r->samples + 7) / 8;
    size_t per = (size_t)r->bits_allocated / 8;
    if (r->subsampled) return px * 2 * per;
    return px * r->samples * per;
}

size_t vr_unit(const gdcm::VR &vr)
{
    return vr == gdcm::VR::OW                         ? 2
           : vr == gdcm::VR::OF || vr == gdcm::VR::OL ? 4
           : vr == gdcm::VR::OD || vr == gdcm::VR::OV ? 8
                                                      : 1;
}

/* Big endian: GDCM swapped each OW/OL/OF/OD unit into host order on
 * reading.  Samples no wider than the unit (8-bit samples packed into OW
 * words, 16-bit in OW) are then in little-endian order already, as DCMTK
 * reads them too; wider ones (32-bit samples in OW) get their file bytes
 * back and are read big-endian.  Returns 1 if the frame is big-endian. */
int undo_unit_swap(uint8_t *p, size_t n, const gdcm::VR &vr, int sample_bytes)
{
    size_t unit = vr_unit(vr);
    if ((size_t)sample_bytes <= unit) return 0;
    for (size_t i = 0; unit > 1 && i + unit <= n; i += unit)
        for (size_t a = i, b = i + unit - 1; a < b; a++, b--) {
            uint8_t t = p[a];
            p[a] = p[b];
            p[b] = t;
        }
    return 1;
}

int copy_frame(dicom_raw *r, const uint8_t *src, size_t len, char *err,
               const char *label)
{
    r->frame = (uint8_t *)malloc(len ? len : 1);
    if (!r->frame) {
        vlm_set_err(err, "%s: out of memory for the pixel data", label);
        return VLM_ENOMEM;
    }
    memcpy(r->frame, src, len);
    r->frame_len = len;
    return VLM_OK;
}

/* Native (uncompressed, deflated) pixel data: the first frame's bytes. */
int native_frame(const gdcm::DataSet &ds, dicom_raw *r, char *err,
                 const char *label)
{
    uint16_t elem =
        r->is_float ? (r->bits_allocated == 64 ? 0x0009 : 0x0008) : 0x0010;
    const gdcm::DataElement &de = ds.GetDataElement(gdcm::Tag(0x7FE0, elem));
    const gdcm::ByteValue *bv = de.GetByteValue();
    r->subsampled = !strcmp(r->photometric, "YBR_FULL_422") ||
                    !strcmp(r->photometric, "YBR_PARTIAL_422");
    size_t need = native_frame_bytes(r);
    if (!bv || bv->GetLength() < need) {
        vlm_set_err(err,
                    "%s: pixel data holds %lu bytes, the first %dx%d frame "
                    "needs %zu",
                    label, bv ? (unsigned long)bv->GetLength() : 0ul, r->width,
                    r->height, need);
        return VLM_EFORMAT;
    }
    int st = copy_frame(r, (const uint8_t *)bv->GetPointer(), need, err, label);
    if (st == VLM_OK && r->big_endian)
        r->big_endian =
            r->bits_allocated > 8 &&
            undo_unit_swap(r->frame, need, de.GetVR(), r->bits_allocated / 8);
    return st;
}

/* Fragments of the first frame: all of them for one frame, one each when
 * there are as many fragments as frames, else per the Basic Offset Table;
 * 0 when the split is unknown (then every frame is decoded). */
size_t first_frame_fragments(const gdcm::SequenceOfFragments &sf, int frames)
{
    size_t n = sf.GetNumberOfFragments();
    if (frames <= 1) return n;
    if (n == (size_t)frames) return 1;
    const gdcm::ByteValue *bot = sf.GetTable().GetByteValue();
    if (!bot || bot->GetLength() < 8) return 0;
    uint32_t second;
    memcpy(&second, bot->GetPointer() + 4, 4);
    size_t offset = 0, k = 0;
    while (k < n && offset < second) offset += 8 + sf.GetFragment(k++).GetVL();
    return offset == second ? k : 0;
}

void describe_image(gdcm::Image &img, const dicom_raw *r, int frames,
                    const gdcm::TransferSyntax &ts)
{
    img.SetNumberOfDimensions(frames > 1 ? 3 : 2);
    img.SetDimension(0, (unsigned)r->width);
    img.SetDimension(1, (unsigned)r->height);
    if (frames > 1) img.SetDimension(2, (unsigned)frames);
    img.SetPixelFormat(gdcm::PixelFormat(
        (unsigned short)r->samples, (unsigned short)r->bits_allocated,
        (unsigned short)r->bits_stored, (unsigned short)r->high_bit,
        (unsigned short)r->is_signed));
    img.SetPhotometricInterpretation(
        gdcm::PhotometricInterpretation::GetPIType(r->photometric));
    img.SetPlanarConfiguration((unsigned)r->planar);
    img.SetTransferSyntax(ts);
}

/* What the codec handed back may differ from the header (J2K signedness,
 * 12-bit JPEG in 16-bit words, colour space, planar configuration). */
void take_decoded_format(const gdcm::Image &img, dicom_raw *r)
{
    const gdcm::PixelFormat &pf = img.GetPixelFormat();
    r->bits_allocated = pf.GetBitsAllocated();
    r->bits_stored = pf.GetBitsStored();
    r->high_bit = pf.GetHighBit();
    r->is_signed = pf.GetPixelRepresentation() == 1;
    r->planar = (int)img.GetPlanarConfiguration();
    const char *pi = gdcm::PhotometricInterpretation::GetPIString(
        img.GetPhotometricInterpretation());
    if (pi) snprintf(r->photometric, sizeof r->photometric, "%s", pi);
    size_t n = strlen(r->photometric);
    while (n && r->photometric[n - 1] == ' ') r->photometric[--n] = '\0';
}

/* The fragments of the first frame as a new pixel data element. */
gdcm::DataElement first_frame_element(const gdcm::SequenceOfFragments &sf,
                                      size_t k)
{
    gdcm::SmartPointer<gdcm::SequenceOfFragments> part =
        new gdcm::SequenceOfFragments;
    for (size_t i = 0; i < (k ? k : sf.GetNumberOfFragments()); i++)
        part->AddFragment(sf.GetFragment(i));
    gdcm::DataElement pixels(gdcm::Tag(0x7FE0, 0x0010));
    pixels.SetValue(*part);
    pixels.SetVLToUndefined(); /* asserts unless the VR is still unset */
    pixels.SetVR(gdcm::VR::OB);
    return pixels;
}

int decode_failed(const dicom_raw *r, char *err, const char *label)
{
    vlm_set_err(err, "%s: pixel data could not be decoded (%s)", label,
                r->hdr.transfer_syntax);
    return VLM_EFORMAT;
}

/* RLE (PS3.5 Annex G): one segment per byte of each sample, most
 * significant byte first.  GDCM 3.0 interleaves the segments of samples
 * wider than 8 bits wrongly for colour, so its PackBits decoder is asked
 * for the segments only (as an 8-bit image, one row band per segment) and
 * they are laid out here as little-endian interleaved samples. */
/* The RLE header (PS3.5 G.5): 16 little-endian words, the number of
 * segments then their offsets, ascending and inside the fragment.  GDCM
 * reads offsets past the 15 it has room for and seeks wherever they say,
 * so the header is checked before GDCM sees it. */
bool rle_header_ok(const gdcm::Fragment &frag, size_t planes)
{
    const gdcm::ByteValue *bv = frag.GetByteValue();
    if (!bv || bv->GetLength() < 64 || planes > 15) return false;
    uint32_t h[16];
    memcpy(h, bv->GetPointer(), sizeof h);
    if (h[0] != planes || h[1] != 64) return false;
    for (size_t i = 2; i <= planes; i++)
        if (h[i] <= h[i - 1]) return false;
    return h[planes] < bv->GetLength();
}

int rle_frame(const gdcm::DataElement &pixels, const gdcm::TransferSyntax &ts,
              dicom_raw *r, char *err, const char *label)
{
    size_t bytes = (size_t)r->bits_allocated / 8, planes = r->samples * bytes;
    size_t px = (size_t)r->width * r->height;
    if (r->bits_allocated % 8 || planes * r->height > 0xFFFFu)
        return decode_failed(r, err, label);
    if (!rle_header_ok(pixels.GetSequenceOfFragments()->GetFragment(0),
                       planes)) {
        vlm_set_err(err,
                    "%s: corrupt RLE header (needs %zu segments inside the "
                    "fragment)",
                    label, planes);
        return VLM_EFORMAT;
    }
    gdcm::Image img;
    img.SetNumberOfDimensions(2);
    img.SetDimension(0, (unsigned)r->width);
    img.SetDimension(1, (unsigned)(r->height * planes));
    img.SetPixelFormat(gdcm::PixelFormat(1, 8, 8, 7, 0));
    img.SetPhotometricInterpretation(
        gdcm::PhotometricInterpretation::MONOCHROME2);
    img.SetTransferSyntax(ts);
    img.SetDataElement(pixels);
    std::vector<char> seg(img.GetBufferLength());
    if (seg.size() != px * planes || !img.GetBuffer(seg.data()))
        return decode_failed(r, err, label);
    std::vector<uint8_t> out(seg.size());
    for (size_t c = 0; c < (size_t)r->samples; c++)
        for (size_t b = 0; b < bytes; b++) {
            const char *plane = seg.data() + (c * bytes + b) * px;
            for (size_t i = 0; i < px; i++)
                out[(i * r->samples + c) * bytes + bytes - 1 - b] =
                    (uint8_t)plane[i];
        }
    r->planar = 0;
    return copy_frame(r, out.data(), out.size(), err, label);
}

/* JPEG baseline: libjpeg-turbo reads the frame's header first, because
 * GDCM's JPEG codec asserts when the stream's size or colour space does
 * not match the data set (a damaged header).  Other JPEG processes
 * (12-bit, lossless) are left to GDCM: libjpeg-turbo does not read them. */
int jpeg_header_matches(const gdcm::DataElement &pixels, const dicom_raw *r,
                        char *err, const char *label)
{
    std::vector<unsigned char> jpeg;
    const gdcm::SequenceOfFragments *sf = pixels.GetSequenceOfFragments();
    for (size_t i = 0; i < sf->GetNumberOfFragments(); i++) {
        const gdcm::ByteValue *bv = sf->GetFragment(i).GetByteValue();
        if (bv && bv->GetPointer())
            jpeg.insert(jpeg.end(), bv->GetPointer(),
                        bv->GetPointer() + bv->GetLength());
    }
    tjhandle tj = tjInitDecompress();
    int w = 0, h = 0, sub = 0, cs = -1;
    int ok = tj && !jpeg.empty() &&
             tjDecompressHeader3(tj, jpeg.data(), (unsigned long)jpeg.size(),
                                 &w, &h, &sub, &cs) == 0;
    if (tj) tjDestroy(tj);
    int grey = cs == TJCS_GRAY;
    if (ok && w == r->width && h == r->height &&
        (grey ? r->samples == 1
              : (cs == TJCS_RGB || cs == TJCS_YCbCr) && r->samples == 3))
        return VLM_OK;
    vlm_set_err(err,
                "%s: corrupt JPEG stream (its header does not describe a "
                "%dx%d image with %d samples)",
                label, r->width, r->height, r->samples);
    return VLM_EFORMAT;
}

uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

/* JPEG 2000: the SIZ marker segment, which ISO 15444-1 A.5.1 puts right
 * after SOC, must describe the data set's image (size, components, no
 * subsampling, precision within BitsAllocated): GDCM's JPEG 2000 codec
 * writes past its buffer when they disagree.  A stream that does not
 * start with SOC (a JP2 wrapper) is left to GDCM. */
int j2k_header_matches(const gdcm::DataElement &pixels, const dicom_raw *r,
                       char *err, const char *label)
{
    const gdcm::ByteValue *bv =
        pixels.GetSequenceOfFragments()->GetFragment(0).GetByteValue();
    const unsigned char *p =
        bv ? (const unsigned char *)bv->GetPointer() : nullptr;
    size_t n = bv ? (size_t)bv->GetLength() : 0;
    if (n < 4 || p[0] != 0xFF || p[1] != 0x4F) return VLM_OK;
    int ok = n >= 42 && p[2] == 0xFF && p[3] == 0x51;
    unsigned comps = ok ? (unsigned)(p[40] << 8 | p[41]) : 0;
    ok = ok && n >= 42 + 3 * (size_t)comps && comps == (unsigned)r->samples &&
         be32(p + 8) - be32(p + 16) == (uint32_t)r->width &&
         be32(p + 12) - be32(p + 20) == (uint32_t)r->height;
    for (unsigned c = 0; ok && c < comps; c++) {
        const unsigned char *s = p + 42 + 3 * c;
        ok = s[1] == 1 && s[2] == 1 && (s[0] & 0x7F) + 1 <= r->bits_allocated;
    }
    if (ok) return VLM_OK;
    vlm_set_err(err,
                "%s: JPEG 2000 stream does not describe a %dx%d image with "
                "%d unsubsampled components of at most %d bits",
                label, r->width, r->height, r->samples, r->bits_allocated);
    return VLM_EFORMAT;
}

int encapsulated_frame(const gdcm::DataSet &ds, const gdcm::TransferSyntax &ts,
                       dicom_raw *r, char *err, const char *label)
{
    const gdcm::DataElement &de = ds.GetDataElement(gdcm::Tag(0x7FE0, 0x0010));
    const gdcm::SequenceOfFragments *sf = de.GetSequenceOfFragments();
    if (!sf || sf->GetNumberOfFragments() == 0) {
        vlm_set_err(err, "%s: compressed pixel data has no fragments", label);
        return VLM_EFORMAT;
    }
    size_t k = first_frame_fragments(*sf, r->hdr.frames);
    int frames = k ? 1 : r->hdr.frames;
    if (ts == gdcm::TransferSyntax::RLELossless && k == 1)
        return rle_frame(first_frame_element(*sf, k), ts, r, err, label);
    gdcm::DataElement pixels = first_frame_element(*sf, k);
    int st = VLM_OK;
    if (ts == gdcm::TransferSyntax::JPEGBaselineProcess1 && k)
        st = jpeg_header_matches(pixels, r, err, label);
    else if (ts == gdcm::TransferSyntax::JPEG2000Lossless ||
             ts == gdcm::TransferSyntax::JPEG2000 ||
             ts == gdcm::TransferSyntax::JPEG2000Part2Lossless ||
             ts == gdcm::TransferSyntax::JPEG2000Part2)
        st = j2k_header_matches(pixels, r, err, label);
    if (st != VLM_OK) return st;
    gdcm::Image img;
    describe_image(img, r, frames, ts);
    img.SetDataElement(pixels);
    std::vector<char> buf(img.GetBufferLength());
    if (buf.empty() || !img.GetBuffer(buf.data()))
        return decode_failed(r, err, label);
    take_decoded_format(img, r);
    return copy_frame(r, (const uint8_t *)buf.data(), buf.size() / frames, err,
                      label);
}

int check_size(const dicom_raw *r, unsigned long long max_pixels, char *err,
               const char *label)
{
    unsigned long long px = (unsigned long long)r->width * r->height;
    if (px > (max_pixels ? max_pixels : IMG_DEFAULT_MAX_PIXELS)) {
        vlm_set_err(err, "%s: %dx%d pixels is over the pixel limit", label,
                    r->width, r->height);
        return VLM_ETOOBIG;
    }
    return VLM_OK;
}

int decode(std::istream &in, const char *label, unsigned long long max_pixels,
           dicom_raw *raw, char *err)
{
    gdcm::Trace::SetDebug(false);
    gdcm::Trace::SetWarning(false);
    gdcm::Trace::SetError(false);
    gdcm::Reader reader;
    reader.SetStream(in);
    if (!reader.Read()) {
        vlm_set_err(err, "%s: GDCM could not parse this DICOM file", label);
        return VLM_EFORMAT;
    }
    const gdcm::DataSet &ds = reader.GetFile().GetDataSet();
    const gdcm::TransferSyntax &ts =
        reader.GetFile().GetHeader().GetDataSetTransferSyntax();
    const char *ts_uid = gdcm::TransferSyntax::GetTSString(ts);
    snprintf(raw->hdr.transfer_syntax, sizeof raw->hdr.transfer_syntax, "%s",
             ts_uid ? ts_uid : "");
    read_header(ds, &raw->hdr);
    raw->big_endian = ts.GetSwapCode() == gdcm::SwapCode::BigEndian;
    int st = read_pixel_format(ds, raw, err, label);
    if (st == VLM_OK) st = check_size(raw, max_pixels, err, label);
    if (st != VLM_OK) return st;
    if (!raw->is_float && !ds.FindDataElement(gdcm::Tag(0x7FE0, 0x0010))) {
        vlm_set_err(err, "%s: no pixel data (not an image)", label);
        return VLM_EUNSUPPORTED;
    }
    read_display_attributes(ds, raw);
    if (ts.IsEncapsulated() && !raw->is_float)
        return encapsulated_frame(ds, ts, raw, err, label);
    return native_frame(ds, raw, err, label);
}

int guarded(const void *bytes, size_t len, const char *label,
            unsigned long long max_pixels, dicom_raw *raw, char *err)
{
    memset(raw, 0, sizeof *raw);
    int st;
    try {
        memory_buffer mb(bytes, len);
        std::istream in(&mb);
        st = decode(in, label, max_pixels, raw, err);
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
    return guarded(bytes, len, label, max_pixels, out, err);
}
