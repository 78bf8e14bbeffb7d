"""Reference rendering of DICOM files with pydicom, through the standard's
display pipeline (PS3.4 N.2; PS3.3 C.7.6.3, C.11.1, C.11.2), to 8-bit RGB.

This is the independent side of the comparison in compare_corpus.py: pixel
decoding is pydicom's (numpy, Pillow for JPEG / JPEG 2000, its RLE
decoder), the Modality LUT, VOI LUT, windowing and palette lookups are
pydicom's own functions (apply_modality_lut, apply_voi_lut,
apply_windowing, apply_color_lut, convert_color_space).  What pydicom does
not cover is written here from the standard, and says so:
  * to 8 bits: a window's output range is mapped linearly to 0..255, a LUT
    entry of n bits (VOI, palette) is scaled by 255 / (2^n - 1), colour
    samples of BitsStored bits likewise; rounding is half up;
  * MONOCHROME1 is inverted after the VOI (255 - g);
  * enhanced multi-frame: the first frame's Pixel Value Transformation and
    Frame VOI LUT (per-frame group over shared group, C.7.6.16) are copied
    onto the data set before pydicom's functions run;
  * supplemental palette: stored values in the palette's range get the
    palette colour, the rest the grey pipeline;
  * YBR_PARTIAL_422/420: the inverse of the standard's RGB -> YBR_PARTIAL
    equations (pydicom has no conversion for them).

PHI: nothing here prints or stores any element value.
"""
import warnings

import numpy as np
import pydicom
from pydicom.pixel_data_handlers import util as pdu
from pydicom.uid import (ExplicitVRBigEndian, ExplicitVRLittleEndian,
                         ImplicitVRLittleEndian)

warnings.filterwarnings("ignore")

LOSSY_SYNTAXES = {
    "1.2.840.10008.1.2.4.50": "JPEG baseline",
    "1.2.840.10008.1.2.4.51": "JPEG extended",
    "1.2.840.10008.1.2.4.81": "JPEG-LS near-lossless",
    "1.2.840.10008.1.2.4.91": "JPEG 2000",
}


class NoReference(Exception):
    """pydicom (or this helper) cannot render the file; str() says why."""


def read(path):
    """The data set, with a transfer syntax filled in for bare data sets."""
    try:
        ds = pydicom.dcmread(path, force=True)
    except Exception as e:  # pydicom's own reason, e.g. truncated file
        raise NoReference(f"pydicom cannot read it: {type(e).__name__}")
    meta = ds.file_meta if hasattr(ds, "file_meta") else None
    if meta is None:
        ds.file_meta = meta = pydicom.dataset.FileMetaDataset()
    if "TransferSyntaxUID" not in meta:
        meta.TransferSyntaxUID = (
            ImplicitVRLittleEndian if ds.is_implicit_VR else
            ExplicitVRLittleEndian if ds.is_little_endian else
            ExplicitVRBigEndian)
    return ds


def is_image(ds):
    return any(k in ds for k in ("PixelData", "FloatPixelData",
                                 "DoubleFloatPixelData"))


def transfer_syntax(ds):
    return str(ds.file_meta.TransferSyntaxUID)


def is_lossy(ds):
    return (transfer_syntax(ds) in LOSSY_SYNTAXES
            or str(ds.get("LossyImageCompression", "00")) == "01")


def first_frame(ds):
    try:
        arr = ds.pixel_array
    except Exception as e:
        raise NoReference(f"pydicom cannot decode the pixel data: "
                          f"{type(e).__name__}: {str(e)[:90]}")
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    samples = int(ds.get("SamplesPerPixel", 1))
    if frames > 1 and arr.ndim == (4 if samples > 1 else 3):
        arr = arr[0]
    return arr


def _first_item(ds, keyword):
    seq = ds.get(keyword)
    return seq[0] if seq else None


def apply_functional_groups(ds):
    """First frame's rescale and window onto the top level (C.7.6.16)."""
    for group in ("SharedFunctionalGroupsSequence",
                  "PerFrameFunctionalGroupsSequence"):
        item = _first_item(ds, group)
        if item is None:
            continue
        pvt = _first_item(item, "PixelValueTransformationSequence")
        if pvt is not None:
            for k in ("RescaleSlope", "RescaleIntercept"):
                if k in pvt:
                    setattr(ds, k, pvt[k].value)
        voi = _first_item(item, "FrameVOILUTSequence")
        if voi is not None:
            for k in ("WindowCenter", "WindowWidth", "VOILUTFunction"):
                if k in voi:
                    setattr(ds, k, voi[k].value)


def to_u8(x):
    return np.clip(np.floor(np.asarray(x, dtype=np.float64) + 0.5),
                   0, 255).astype(np.uint8)


def _window_range(ds):
    """y_min, y_max that pydicom's apply_windowing maps into."""
    probe = np.array([-1e300, 1e300])
    y = pdu.apply_windowing(probe, ds)
    return float(y[0]), float(y[1])


def windowed(ds, modality, window):
    """Grey level 0..255 of modality values under `window`: a tuple
    (center, width, function) forced onto the data set, or "stored"."""
    if window != "stored":
        c, w, fn = window
        for k in ("VOILUTSequence",):
            if k in ds:
                del ds[k]
        ds.WindowCenter, ds.WindowWidth = c, w
        ds.VOILUTFunction = fn
    has_window = "WindowCenter" in ds and "WindowWidth" in ds
    if has_window:
        y_lo, y_hi = _window_range(ds)
        y = pdu.apply_windowing(modality.astype(np.float64), ds)
        return to_u8((y - y_lo) * 255.0 / (y_hi - y_lo))
    if ds.get("VOILUTSequence"):
        bits = int(ds.VOILUTSequence[0].LUTDescriptor[2])
        y = pdu.apply_voi(modality, ds)
        return to_u8(y * 255.0 / (2 ** bits - 1))
    raise NoReference("no stored window or VOI LUT to compare")


def _palette_u8(ds, stored):
    rgb = pdu.apply_color_lut(stored, ds)
    bits = int(ds.RedPaletteColorLookupTableDescriptor[2])
    return to_u8(rgb[..., :3] * 255.0 / (2 ** bits - 1))


def grey(ds, stored, window):
    apply_functional_groups(ds)
    if "BitsStored" not in ds:  # float pixel data: pydicom's windowing
        ds.BitsStored = ds.BitsAllocated  # wants a y range; any will do
        ds.PixelRepresentation = 1
    modality = pdu.apply_modality_lut(stored, ds)
    g = windowed(ds, modality, window)
    if str(ds.PhotometricInterpretation).strip() == "MONOCHROME1":
        g = 255 - g
    rgb = np.repeat(g[..., None], 3, axis=2)
    if str(ds.get("PixelPresentation", "")) in ("COLOR", "MIXED") and \
            "RedPaletteColorLookupTableDescriptor" in ds:
        desc = ds.RedPaletteColorLookupTableDescriptor
        first, n = int(desc[1]), int(desc[0]) or 65536
        inside = (stored >= first) & (stored <= first + n - 1)
        pal = _palette_u8(_without_presentation(ds), stored)
        rgb[inside] = pal[inside]
    return rgb


def _without_presentation(ds):
    copy = pydicom.Dataset(ds)
    del copy.PixelPresentation  # pydicom refuses supplemental palettes
    return copy


def _ybr_partial_to_rgb(arr):
    y = arr[..., 0] - 16.0
    cb = arr[..., 1] - 128.0
    cr = arr[..., 2] - 128.0
    return np.stack([1.1644 * y + 1.5960 * cr,
                     1.1644 * y - 0.3918 * cb - 0.8130 * cr,
                     1.1644 * y + 2.0172 * cb], axis=-1)


def colour(ds, arr):
    pi = str(ds.PhotometricInterpretation).strip()
    if pi == "PALETTE COLOR":
        return _palette_u8(ds, arr)
    bits = int(ds.get("BitsStored", ds.BitsAllocated))
    scaled = arr.astype(np.float64) * 255.0 / (2 ** bits - 1)
    if pi in ("YBR_FULL", "YBR_FULL_422"):
        if bits != 8:
            raise NoReference(f"pydicom converts only 8-bit {pi}")
        return pdu.convert_color_space(arr, pi, "RGB").astype(np.uint8)
    if pi.startswith("YBR_PARTIAL"):
        return to_u8(_ybr_partial_to_rgb(scaled))
    if pi in ("RGB", "YBR_ICT", "YBR_RCT"):
        return to_u8(scaled)
    raise NoReference(f"photometric interpretation {pi} has no reference")


def render(path, window):
    """8-bit RGB (rows, cols, 3) of the first frame.  `window` is a
    (center, width, function) tuple or "stored"; it is ignored for
    colour images.  Raises NoReference with the reason."""
    try:
        return _render(path, window)
    except NoReference:
        raise
    except Exception as e:  # pydicom's own failure on this file
        raise NoReference(f"pydicom failed: {type(e).__name__}: "
                          f"{str(e)[:90]}")


def _render(path, window):
    ds = read(path)
    if not is_image(ds):
        raise NoReference("no pixel data (not an image)")
    stored = first_frame(ds)
    pi = str(ds.get("PhotometricInterpretation", "")).strip()
    if pi.startswith("MONOCHROME"):
        return grey(ds, stored, window)
    return colour(ds, stored)


def modality_range(path):
    """Lowest and highest modality value of the first frame (grey only)."""
    ds = read(path)
    apply_functional_groups(ds)
    m = pdu.apply_modality_lut(first_frame(ds), ds)
    return float(np.min(m)), float(np.max(m))
