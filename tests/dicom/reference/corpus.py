"""The DICOM corpora the reference test runs on: test files other projects
ship in Debian packages, plus variants other toolkits (DCMTK, pydicom's
writer) make from them at test time for what the shipped files lack
(palettes, LUT sequences, VOI functions, big endian at each depth, bare
data sets, float pixel data, enhanced multi-frame functional groups).

Only python3-pydicom is required; every other root or tool is used when
installed and named in the skip list otherwise.
"""
import copy
import glob
import importlib.util
import os
import shutil
import subprocess

import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

PYDICOM_DATA = os.path.join(os.path.dirname(pydicom.__file__), "data")

# Variant path -> the little-endian file DCMTK converted it from without
# loss (same picture).  The reference for a big-endian variant is pydicom's
# rendering of that original: pydicom 2.3 reads 8-bit samples and LUT
# entries packed into big-endian OW words in byte order, where DCMTK (the
# writer, and its own renderer) and GDCM read them as words.
TWINS = {}


def _package_dir(module, *sub):
    spec = importlib.util.find_spec(module)
    if not spec or not spec.submodule_search_locations:
        return None
    return os.path.join(list(spec.submodule_search_locations)[0], *sub)


def roots():
    """(name, folder, Debian package) of every corpus; folder None when the
    package is not installed.  $VLM_DICOM_CORPORA adds NAME=FOLDER entries
    (colon-separated), e.g. a package unpacked with dpkg -x."""
    octave = sorted(glob.glob("/usr/share/octave/packages/dicom-*/imdata"))
    extra = [tuple(e.split("=", 1)) + ("$VLM_DICOM_CORPORA",) for e in
             os.environ.get("VLM_DICOM_CORPORA", "").split(":") if "=" in e]
    return extra + [
        ("pydicom", os.path.join(PYDICOM_DATA, "test_files"),
         "python3-pydicom"),
        ("dicom3tools", "/usr/share/doc/dicom3tools/examples", "dicom3tools"),
        ("nibabel", _package_dir("nibabel"), "python3-nibabel"),
        ("heudiconv", _package_dir("heudiconv", "tests", "data"), "heudiconv"),
        ("octave-dicom", octave[-1] if octave else None, "octave-dicom"),
    ]


def looks_like_dicom(path):
    """Preamble + DICM, or a data set pydicom can read by force with an
    identifying element (SOP class or image rows) in it."""
    try:
        with open(path, "rb") as f:
            head = f.read(132)
        if len(head) == 132 and head[128:] == b"DICM":
            return True
        ds = pydicom.dcmread(path, force=True, stop_before_pixels=True)
        return "SOPClassUID" in ds or "Rows" in ds
    except Exception:
        return False


def files_under(name, folder):
    out = []
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for f in sorted(files):
            p = os.path.join(root, f)
            if os.path.isfile(p) and not os.path.islink(p) and \
                    looks_like_dicom(p):
                out.append((f"{name}/{os.path.relpath(p, folder)}", p))
    return out


# ---- variants made by other toolkits ------------------------------------

def _run(argv):
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=60)


def _dcmtk(tmp, made, skipped):
    """DCMTK rewrites: byte order, bare data sets, palettes, LUTs, VOI
    functions."""
    if not shutil.which("dcmconv"):
        skipped.append("DCMTK variants (package dcmtk not installed)")
        return
    src = os.path.join(PYDICOM_DATA, "test_files")
    t = lambda n: os.path.join(tmp, n)
    s = lambda n: os.path.join(src, n)
    jobs = [
        # bare data sets (no preamble, no meta): ACR-NEMA style archives
        ("bare_implicit_CT.dcm", ["dcmconv", "-F", "+ti", s("CT_small.dcm")]),
        ("bare_explicit_MR.dcm", ["dcmconv", "-F", "+te", s("MR_small.dcm")]),
        ("bare_bigend_MR.dcm", ["dcmconv", "-F", "+tb", s("MR_small.dcm")]),
        # big endian at 8 and 16 bits (32-bit and 1-bit ship as files)
        ("bigend_8bit_grey.dcm", ["dcmconv", "+tb", s("image_dfl.dcm")]),
        ("rgb16_native.dcm", ["dcmdrle", s("SC_rgb_rle_16bit.dcm")]),
        ("rgb32_native.dcm", ["dcmdrle", s("SC_rgb_rle_32bit.dcm")]),
        ("rgb16_bigend.dcm", ["dcmconv", "+tb", t("rgb16_native.dcm")]),
        ("rgb32_bigend.dcm", ["dcmconv", "+tb", t("rgb32_native.dcm")]),
        ("ybr422_bigend.dcm",
         ["dcmconv", "+tb", s("SC_ybr_full_422_uncompressed.dcm")]),
        # palette colour made by DCMTK's quantiser: 8- and 16-bit entries
        ("palette8_dcmquant.dcm", ["dcmquant", s("SC_rgb_small_odd.dcm")]),
        ("palette8_rgb.dcm",
         ["dcmquant", "+pc", "64", s("SC_rgb_jpeg_dcmd.dcm")]),
        ("palette16_rgb.dcm", ["dcmquant", "+pe", s("SC_rgb_jpeg_dcmd.dcm")]),
        ("palette8_bigend.dcm", ["dcmconv", "+tb", t("palette8_rgb.dcm")]),
        ("palette16_bigend.dcm", ["dcmconv", "+tb", t("palette16_rgb.dcm")]),
    ]
    for out, argv in jobs:
        try:
            _run(argv + [t(out)])
            made.append((f"dcmtk/{out}", t(out)))
            if "+tb" in argv:
                TWINS[t(out)] = argv[-1]
        except Exception:
            skipped.append(f"dcmtk/{out} ({argv[0]} failed)")
    _dcmtk_luts(tmp, s, t, made, skipped)
    _planar(s, t, made, skipped)


def _planar(s, t, made, skipped):
    """Planar configuration 1: DCMTK has no switch for it, GDCM's gdcmconv
    does (it only rearranges the bytes; pydicom still reads them)."""
    if not shutil.which("gdcmconv"):
        skipped.append("planar variants (libgdcm-tools not installed)")
        return
    for out, src in (("rgb8_planar.dcm", s("SC_rgb_small_odd.dcm")),
                     ("rgb16_planar.dcm", t("rgb16_native.dcm")),
                     ("rgb32_planar.dcm", t("rgb32_native.dcm"))):
        try:
            _run(["gdcmconv", "--raw", "--planar-configuration", "1", src,
                  t(out)])
            made.append((f"gdcmconv/{out}", t(out)))
        except Exception:
            skipped.append(f"gdcmconv/{out} (gdcmconv failed)")


def _dcmtk_luts(tmp, s, t, made, skipped):
    """Modality / VOI LUT sequences made by dcmmklut (a gamma curve; the
    VOI one with entries shuffled) and put into copies of corpus images
    with pydicom; VOI LUT Functions set by dcmodify."""
    luts = [
        ("modality_lut.dcm", "MR_small.dcm", "ModalityLUTSequence",
         ["+Tm", "-b", "16", "-e", "2048", "+Cg", "1.7"]),
        ("voi_lut.dcm", "CT_small.dcm", "VOILUTSequence",  # CT_small has
         ["+Tv", "-b", "10", "-e", "1024", "-f", "900", "+Cg", "0.6",
          "-r", "40"]),  # no window, so its VOI LUT is what "stored" is
    ]
    for out, base, keyword, options in luts:
        try:
            _run(["dcmmklut"] + options + [t("lut.dcm")])
            ds = pydicom.dcmread(s(base))
            setattr(ds, keyword, pydicom.dcmread(t("lut.dcm"))[keyword].value)
            _save(ds, t(out))
            made.append((f"dcmtk/{out}", t(out)))
        except Exception:
            skipped.append(f"dcmtk/{out} (dcmmklut failed)")
    for out, base, tags in (
            ("sigmoid.dcm", "CT_small.dcm", ["(0028,1050)=40",
                                             "(0028,1051)=400",
                                             "(0028,1056)=SIGMOID"]),
            ("linear_exact.dcm", "MR_small.dcm", ["(0028,1056)=LINEAR_EXACT"])):
        try:
            shutil.copyfile(s(base), t(out))
            _run(["dcmodify", "-nb", "-q"] +
                 [a for tag in tags for a in ("-i", tag)] + [t(out)])
            made.append((f"dcmtk/{out}", t(out)))
        except Exception:
            skipped.append(f"dcmtk/{out} (dcmodify failed)")


def _palette(name):
    return pydicom.dcmread(os.path.join(PYDICOM_DATA, "palettes", name))


def _copy_palette(ds, pal, first=0):
    for c in ("Red", "Green", "Blue"):
        d = list(pal[f"{c}PaletteColorLookupTableDescriptor"].value)
        d[1] = first
        ds[f"{c}PaletteColorLookupTableDescriptor"] = pydicom.DataElement(
            0x00281101 + "RGB".index(c[0]), "US", d)
        for kind, tag in (("", 0x00281201), ("Segmented", 0x00281221)):
            kw = f"{kind}{c}PaletteColorLookupTableData"
            if kw in pal:
                ds[kw] = pydicom.DataElement(tag + "RGB".index(c[0]), "OW",
                                             pal[kw].value)


def _save(ds, path):
    ds.save_as(path, write_like_original=False)


def _pydicom_variants(tmp, made):
    """Written with pydicom: PALETTE COLOR with the standard's segmented
    palettes, a supplemental palette, float pixel data, enhanced
    multi-frame functional groups."""
    src = os.path.join(PYDICOM_DATA, "test_files")
    grey8 = pydicom.dcmread(os.path.join(src, "image_dfl.dcm"))
    grey8.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
    for pal in ("spring.dcm", "hotiron.dcm"):
        ds = copy.deepcopy(grey8)
        ds.PhotometricInterpretation = "PALETTE COLOR"
        _copy_palette(ds, _palette(pal))
        made.append((f"pydicom-made/palette_{pal}", os.path.join(
            tmp, f"palette_{pal}")))
        _save(ds, made[-1][1])
    mr = pydicom.dcmread(os.path.join(src, "MR_small.dcm"))
    sup = copy.deepcopy(mr)
    sup.PixelPresentation = "COLOR"
    _copy_palette(sup, _palette("pet.dcm"), first=900)
    made.append(("pydicom-made/supplemental_palette.dcm",
                 os.path.join(tmp, "supplemental_palette.dcm")))
    _save(sup, made[-1][1])
    _float_variant(mr, tmp, made)
    _enhanced_variant(mr, tmp, made)


def _float_variant(mr, tmp, made):
    for bits, kw, dtype in ((32, "FloatPixelData", "<f4"),
                            (64, "DoubleFloatPixelData", "<f8")):
        ds = copy.deepcopy(mr)
        values = mr.pixel_array.astype(np.float64) * 0.25 - 40.5
        del ds.PixelData
        for k in ("BitsStored", "HighBit", "PixelRepresentation",
                  "RescaleSlope", "RescaleIntercept"):
            if k in ds:
                delattr(ds, k)
        ds.BitsAllocated = bits
        setattr(ds, kw, values.astype(dtype).tobytes())
        ds.WindowCenter, ds.WindowWidth = 110.0, 300.0
        name = f"float{bits}_pixels.dcm"
        made.append((f"pydicom-made/{name}", os.path.join(tmp, name)))
        _save(ds, made[-1][1])


def _enhanced_variant(mr, tmp, made):
    ds = copy.deepcopy(mr)
    frames = np.stack([mr.pixel_array, mr.pixel_array[::-1]])
    ds.NumberOfFrames = 2
    ds.PixelData = frames.astype("<i2").tobytes()
    for k in ("WindowCenter", "WindowWidth", "RescaleSlope",
              "RescaleIntercept"):
        if k in ds:
            delattr(ds, k)
    pvt = Dataset()
    pvt.RescaleSlope, pvt.RescaleIntercept, pvt.RescaleType = 2, -100, "US"
    shared = Dataset()
    shared.PixelValueTransformationSequence = Sequence([pvt])
    voi = Dataset()
    voi.WindowCenter, voi.WindowWidth = 1100, 1800
    voi.VOILUTFunction = "SIGMOID"
    first, second = Dataset(), Dataset()
    first.FrameVOILUTSequence = Sequence([voi])
    second.FrameVOILUTSequence = Sequence([Dataset()])
    second.FrameVOILUTSequence[0].WindowCenter = 10
    second.FrameVOILUTSequence[0].WindowWidth = 20
    ds.SharedFunctionalGroupsSequence = Sequence([shared])
    ds.PerFrameFunctionalGroupsSequence = Sequence([first, second])
    made.append(("pydicom-made/enhanced_groups.dcm",
                 os.path.join(tmp, "enhanced_groups.dcm")))
    _save(ds, made[-1][1])


def _ybr_partial(tmp, made):
    """The 4:2:2 file relabelled YBR_PARTIAL_422: its samples go through
    the partial-range equations instead (PS3.3 C.7.6.3.1.2)."""
    ds = pydicom.dcmread(os.path.join(PYDICOM_DATA, "test_files",
                                      "SC_ybr_full_422_uncompressed.dcm"))
    ds.PhotometricInterpretation = "YBR_PARTIAL_422"
    made.append(("pydicom-made/ybr_partial_422.dcm",
                 os.path.join(tmp, "ybr_partial_422.dcm")))
    _save(ds, made[-1][1])


def _big_endian_copies(tmp, made, skipped):
    """DCMTK big-endian copies of pydicom-made files (float samples in OF
    and OD, a segmented palette)."""
    if not shutil.which("dcmconv"):
        return
    for name in ("float32_pixels.dcm", "float64_pixels.dcm",
                 "palette_spring.dcm"):
        out = os.path.join(tmp, "bigend_" + name)
        try:
            _run(["dcmconv", "+tb", os.path.join(tmp, name), out])
            made.append((f"dcmtk/bigend_{name}", out))
            TWINS[out] = os.path.join(tmp, name)
        except Exception:
            skipped.append(f"dcmtk/bigend_{name} (dcmconv failed)")


def variants(tmp):
    """Makes the variants in tmp: (label, path) list and skip notes."""
    made, skipped = [], []
    _dcmtk(tmp, made, skipped)
    _pydicom_variants(tmp, made)
    _ybr_partial(tmp, made)
    _big_endian_copies(tmp, made, skipped)
    return made, skipped
