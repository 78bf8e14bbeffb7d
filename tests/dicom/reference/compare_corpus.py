#!/usr/bin/python3
"""Reference test: every corpus file rendered by `vlmindex render` (one
subprocess per file, so a decoder crash costs that file only) and by
pydicom through the standard's formulas (pydicom_reference.py), with the
same window forced on both sides, compared pixel by pixel.

  grey files   a window spanning the frame's modality values, forced as
               CENTER,WIDTH on both sides; and, when the file stores one,
               its own window / VOI LUT ("stored") read by each side
  colour files no window

Tolerance: a pixel agrees when no channel differs by more than 1; at least
99.9 % of pixels must agree for uncompressed and lossless data.  Lossy
codecs (JPEG baseline/extended, JPEG-LS near-lossless, JPEG 2000 lossy)
decode through different IDCT/wavelet implementations (Pillow's
libjpeg-turbo and openjpeg against GDCM's own): there the bound is
LOSSY_TOLERANCE grey levels on LOSSY_SHARE of the pixels.

Every file ends up in one class: agree, refused by both (with both
reasons), ours only (pydicom has no decoder for it, ours rendered), not an
image, or a FAILURE (disagreement, a crash or hang of ours, or our refusal
of a file pydicom renders).  Exit 0 when there is no failure, 1 otherwise,
77 (skip) when pydicom or numpy is missing.

Then `vlmindex add` runs over a folder of all the files and must exit 0,
index every file we rendered and list every other with a reason; no
patient name/ID/birth date of any corpus file may appear in any output
or in the collection.
"""
import argparse
import concurrent.futures
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict

try:
    import numpy as np
    import pydicom  # noqa: F401
    from PIL import Image
except ImportError as e:
    print(f"SKIP: reference test needs python3-pydicom, python3-numpy and "
          f"python3-pil ({e})")
    sys.exit(77)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import corpus  # noqa: E402
import pydicom_reference as ref  # noqa: E402

LOSSLESS_SHARE = 0.999
LOSSY_TOLERANCE = 4
LOSSY_SHARE = 0.99
TIMEOUT_S = 60

# Files where a difference is the file's fault, not ours; each says why.
KNOWN = {}

# Where pydicom has no decoder for a transfer syntax (Debian ships neither
# pylibjpeg nor the GDCM/CharLS handlers), DCMTK writes an uncompressed copy
# for pydicom to read: still a decoder independent of GDCM.
DECOMPRESSORS = {
    "1.2.840.10008.1.2.4.50": "dcmdjpeg", "1.2.840.10008.1.2.4.51": "dcmdjpeg",
    "1.2.840.10008.1.2.4.57": "dcmdjpeg", "1.2.840.10008.1.2.4.70": "dcmdjpeg",
    "1.2.840.10008.1.2.4.80": "dcmdjpls", "1.2.840.10008.1.2.4.81": "dcmdjpls",
    "1.2.840.10008.1.2.5": "dcmdrle",
}


_decompressed = itertools.count()


def reference_source(path, tmp):
    """(file pydicom should read, note): the little-endian original of a
    big-endian variant, the file itself, or a copy DCMTK decompressed when
    pydicom cannot decode the original."""
    if path in corpus.TWINS:
        return corpus.TWINS[path], "on the little-endian original"
    try:
        ref.first_frame(ref.read(path))
        return path, None
    except ref.NoReference:
        pass
    try:
        tool = DECOMPRESSORS.get(ref.transfer_syntax(ref.read(path)))
    except ref.NoReference:
        return path, None
    if not tool or not shutil.which(tool):
        return path, None
    out = os.path.join(tmp, f"dcmtk-{next(_decompressed)}.dcm")
    p = subprocess.run([tool, path, out], capture_output=True, timeout=60)
    return (out, f"decompressed by {tool}") if p.returncode == 0 else \
        (path, None)


def agreement(a, b, tol):
    if a.shape != b.shape:
        return 0.0, None
    diff = np.abs(a.astype(np.int16) - b.astype(np.int16)).max(axis=2)
    return float(np.mean(diff <= tol)), int(diff.max())


class Ours:
    def __init__(self, exe, tmp):
        self.exe, self.tmp, self.ids = exe, tmp, itertools.count()

    def render(self, path, window):
        out = os.path.join(self.tmp, f"ours{next(self.ids)}.png")
        argv = [self.exe, "render", path, "-o", out, "--verbose"]
        if window:
            argv += ["--window", window]
        try:
            p = subprocess.run(argv, capture_output=True, text=True,
                               errors="replace", timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return None, f"CRASH: no answer in {TIMEOUT_S} s", ""
        text = p.stdout + p.stderr
        if p.returncode < 0:
            return None, f"CRASH: killed by signal {-p.returncode}", text
        if "Sanitizer" in p.stderr or "runtime error:" in p.stderr:
            return None, "CRASH: sanitizer report", text
        if p.returncode != 0:
            msg = p.stderr.strip().splitlines()
            why = msg[-1] if msg else f"exit {p.returncode}"
            why = why.replace(path, "FILE").replace("error: FILE: ", "")
            return None, why, text
        img = np.asarray(Image.open(out).convert("RGB"))
        os.unlink(out)
        return img, None, text


def window_arg(w):
    if w == "stored":
        return "stored"
    c, wd, fn = w
    return f"{c!r},{wd!r},{fn.lower().replace('_', '-')}"


def forced_window(path):
    lo, hi = ref.modality_range(path)
    if hi - lo >= 255:
        return ((lo + hi + 1) / 2, hi - lo + 1, "LINEAR")
    return ((lo + hi) / 2, max(hi - lo, 1e-6), "LINEAR_EXACT")


def describe(path):
    """(photometric, transfer syntax, bits, stored-window?, lossy?)"""
    try:
        ds = ref.read(path)
        ref.apply_functional_groups(ds)
        pi = str(ds.get("PhotometricInterpretation", "-")).strip() or "-"
        ts = str(ds.file_meta.TransferSyntaxUID)
        ts_name = pydicom.uid.UID(ts).name if ts else "-"
        bits = ds.get("BitsAllocated", "-")
        stored = ds.get("BitsStored", bits)
        if pi == "PALETTE COLOR" and "RedPaletteColorLookupTableDescriptor" \
                in ds:
            stored = f"{stored}, " \
                f"{ds.RedPaletteColorLookupTableDescriptor[2]}-bit LUT"
        has_voi = ("WindowCenter" in ds and "WindowWidth" in ds) or \
            bool(ds.get("VOILUTSequence"))
        return (pi, ts_name, f"{bits}/{stored}", has_voi, ref.is_lossy(ds),
                ref.is_image(ds))
    except Exception:
        return ("?", "?", "?", False, False, False)


def compare_one(ours, label, path):
    """List of result dicts (one per window compared)."""
    pi, ts, bits, has_voi, lossy, image = describe(path)
    src, via = reference_source(path, ours.tmp)
    base = dict(label=label, pi=pi, ts=ts, bits=bits, lossy=lossy, via=via)
    grey = pi.startswith("MONOCHROME")
    windows = [None]
    if grey:
        try:
            windows = [forced_window(src)] + (["stored"] if has_voi else [])
        except ref.NoReference:
            windows = ["stored"] if has_voi else [None]
    results = []
    for w in windows:
        r = dict(base, window=window_arg(w) if w else "-")
        r["ours"], r["why_ours"], r["text"] = ours.render(
            path, window_arg(w) if w else None)
        try:
            r["ref"] = ref.render(src, w if w else "stored")
            r["why_ref"] = None
        except ref.NoReference as e:
            r["ref"], r["why_ref"] = None, str(e)
        classify(r, image)
        results.append(r)
    return results


def classify(r, image):
    ours, theirs = r["ours"], r["ref"]
    if r["why_ours"] and r["why_ours"].startswith("CRASH"):
        r["class"] = "FAILURE"
    elif ours is not None and theirs is not None:
        tol, need = (LOSSY_TOLERANCE, LOSSY_SHARE) if r["lossy"] else \
            (1, LOSSLESS_SHARE)
        r["share"], r["maxdiff"] = agreement(ours, theirs, tol)
        r["class"] = "agree" if r["share"] >= need else "FAILURE"
    elif ours is None and theirs is None:
        r["class"] = "not an image" if not image else "refused by both"
    elif ours is None:
        r["class"] = "FAILURE"
    else:
        r["class"] = "ours only"
    if r["class"] == "FAILURE" and r["label"] in KNOWN:
        r["class"] = "known: " + KNOWN[r["label"]]


def line(r):
    s = f"{r['class']:<16} {r['label']}  [{r['pi']}, {r['ts']}, {r['bits']}"
    s += f", window {r['window']}]"
    if "share" in r:
        s += f"  {100 * r['share']:.3f}% agree, max diff {r['maxdiff']}"
    if r["via"]:
        s += f" (reference {r['via']})"
    if r["why_ours"]:
        s += f"\n{'':17}ours: {r['why_ours']}"
    if r["why_ref"] and r["class"] not in ("agree", "not an image"):
        s += f"\n{'':17}pydicom: {r['why_ref']}"
    return s


def table(results):
    rows = defaultdict(lambda: dict(files=set(), compared=0, agree=0,
                                    worst=1.0, refused=set(), other=set()))
    for r in results:
        row = rows[(r["pi"], r["ts"], r["bits"])]
        row["files"].add(r["label"])
        if "share" in r:
            row["compared"] += 1
            row["agree"] += r["class"] == "agree"
            row["worst"] = min(row["worst"], r["share"])
        elif r["why_ours"]:
            row["refused"].add(r["why_ours"])
        else:
            row["other"].add(r["class"])
    out = ["| photometric | transfer syntax | bits alloc/stored | files "
           "| comparisons agreeing | worst agreement | our refusals / other |",
           "|---|---|---|---|---|---|---|"]
    for key in sorted(rows, key=lambda k: tuple(map(str, k))):
        row = rows[key]
        worst = f"{100 * row['worst']:.2f} %" if row["compared"] else "-"
        notes = "; ".join(sorted(row["refused"] | row["other"])) or "-"
        out.append(f"| {key[0]} | {key[1]} | {key[2]} | {len(row['files'])} "
                   f"| {row['agree']}/{row['compared']} | {worst} | {notes} |")
    return "\n".join(out)


def phi_values(paths):
    """Patient name/ID/birth date values worth searching for: at least 4
    characters with a letter in them (plain numbers match UIDs)."""
    vals = set()
    for p in paths:
        try:
            ds = pydicom.dcmread(p, force=True, stop_before_pixels=True)
        except Exception:
            continue
        for k in ("PatientName", "PatientID", "PatientBirthDate"):
            v = str(ds.get(k, "") or "").strip()
            if len(v) >= 4 and any(ch.isalpha() for ch in v):
                vals.add(v)
    return vals


def leaks(blob, vals):
    return sum(1 for v in vals if v.encode() in blob)


def photo_files(fixtures):
    """(label, path, should index) for a few good photos and every bad
    image fixture: the mixed folder of issue 9."""
    out = []
    images = os.path.join(fixtures or "", "images")
    for name in ("astronaut.png", "cat.jpg", "chess-knight.tiff"):
        p = os.path.join(images, "photos", name)
        if os.path.isfile(p):
            out.append((f"photos/{name}", p, True))
    bad = os.path.join(images, "bad")
    for name in sorted(os.listdir(bad)) if os.path.isdir(bad) else []:
        out.append((f"bad/{name}", os.path.join(bad, name), False))
    return out


def run_add(exe, files, rendered, model, tmp, vals, photos):
    """vlmindex add over a folder of every file; returns failure lines."""
    folder, coll = os.path.join(tmp, "add-in"), os.path.join(tmp, "coll")
    os.makedirs(folder)
    rendered = rendered | {label for label, _, ok in photos if ok}
    files = files + [(label, path) for label, path, _ in photos]
    for i, (label, path) in enumerate(files):
        shutil.copyfile(path, os.path.join(folder, f"{i:03d}_" +
                                           label.replace("/", "_")))
    add = subprocess.run([exe, "add", folder, "--collection", coll,
                          "--model", model, "--offline", "--threads", "2"],
                         capture_output=True, timeout=600)
    failed = subprocess.run([exe, "status", "--failed", "--collection", coll],
                            capture_output=True, timeout=60)
    problems = []
    if add.returncode != 0:
        problems.append(f"vlmindex add exited {add.returncode}")
    listed = failed.stdout.decode(errors="replace").splitlines()
    for i, (label, path) in enumerate(files):
        name = f"{i:03d}_" + label.replace("/", "_")
        row = [x for x in listed if x.split("\t")[0].endswith("/" + name)]
        if label in rendered and row:
            problems.append(f"add refused {label} which renders: {row[0]}")
        if label not in rendered and not row:
            problems.append(f"add neither indexed nor listed {label}")
        if row and not row[0].split("\t", 1)[-1].strip():
            problems.append(f"add lists {label} without a reason")
    blob = add.stdout + add.stderr + failed.stdout
    for f in os.listdir(coll):
        with open(os.path.join(coll, f), "rb") as fh:
            blob += fh.read()
    if leaks(blob, vals):
        problems.append(f"patient data of {leaks(blob, vals)} value(s) found "
                        "in add output or in the collection")
    print(f"\nvlmindex add: exit {add.returncode}; "
          f"{add.stdout.decode().strip()}; {len(listed)} files listed by "
          "status --failed")
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vlmindex", required=True)
    ap.add_argument("--fixtures", default=os.environ.get("VLM_FIXTURES"),
                    help="shared fixtures (a tiny CLIP model for the `add` "
                    "check); default $VLM_FIXTURES")
    ap.add_argument("--table", action="store_true",
                    help="print the per-format table (markdown)")
    ap.add_argument("--keep", help="write reference/ours PNGs here")
    args = ap.parse_args()
    t0 = time.time()
    tmp = tempfile.mkdtemp(prefix="vlm-dicom-ref-")
    try:
        return run(args, tmp, t0)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def gather(tmp):
    files, notes, seen = [], [], set()
    for name, folder, package in corpus.roots():
        if name in seen:
            continue
        seen.add(name)
        if folder and os.path.isdir(folder):
            files += corpus.files_under(name, folder)
        else:
            notes.append(f"corpus {name} skipped (package {package} "
                         "not installed)")
    vdir = os.path.join(tmp, "variants")
    os.makedirs(vdir)
    made, skipped = corpus.variants(vdir)
    return files + made, notes + [f"variant skipped: {s}" for s in skipped]


def cli_checks(exe, fixtures, tmp):
    """`vlmindex render` on bad arguments and on photos (PNG: exactly what
    Pillow decodes)."""
    problems = []
    out = os.path.join(tmp, "cli.png")
    p = subprocess.run([exe, "render", "/nonexistent/x.dcm", "-o", out],
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 2 or "/nonexistent/x.dcm" not in p.stderr:
        problems.append(f"render of a missing file: exit {p.returncode}, "
                        f"{p.stderr.strip()!r}")
    p = subprocess.run([exe, "render", "x.dcm", "-o", out, "--window",
                        "bogus"], capture_output=True, text=True, timeout=60)
    if p.returncode != 2 or "bogus" not in p.stderr:
        problems.append(f"render --window bogus: exit {p.returncode}")
    photos = os.path.join(fixtures or "", "images", "photos")
    for name in ("astronaut.png", "coffee.png", "camera.png"):
        src = os.path.join(photos, name)
        if not os.path.isfile(src):
            continue
        p = subprocess.run([exe, "render", src, "-o", out],
                           capture_output=True, timeout=60)
        want = np.asarray(Image.open(src).convert("RGB"))
        got = np.asarray(Image.open(out).convert("RGB")) \
            if p.returncode == 0 else None
        if got is None or got.shape != want.shape or (got != want).any():
            problems.append(f"render of photo {name} differs from Pillow")
    print(f"render CLI checks: {len(problems)} problem(s)")
    return problems


def tiny_model(fixtures, tmp):
    """A hub-layout model folder (checkpoint + CLIP tokenizer files) made
    of symlinks into the shared fixtures, or None."""
    src = os.path.join(fixtures or "", "clip-tiny-quickgelu-f32")
    tok = os.path.join(fixtures or "", "tokenizer-clip")
    if not fixtures or not os.path.isfile(os.path.join(src,
                                                       "model.safetensors")):
        return None
    model = os.path.join(tmp, "model")
    os.makedirs(model)
    for f in os.listdir(src):
        os.symlink(os.path.join(src, f), os.path.join(model, f))
    for f in ("vocab.json", "merges.txt"):
        os.symlink(os.path.join(tok, f), os.path.join(model, f))
    return model


def run(args, tmp, t0):
    files, notes = gather(tmp)
    for n in notes:
        print(n)
    ours = Ours(args.vlmindex, tmp)
    results, rendered = [], set()
    vals = phi_values([p for _, p in files])
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        per_file = list(pool.map(lambda f: compare_one(ours, *f), files))
    for (label, path), file_results in zip(files, per_file):
        for r in file_results:
            results.append(r)
            if r["ours"] is not None:
                rendered.add(label)
            if leaks(r["text"].encode(), vals):
                r["class"] = "FAILURE"
                r["why_ours"] = "patient data in render output"
            print(line(r))
            if args.keep and r["ours"] is not None:
                keep(args.keep, r)
    failures = [r for r in results if r["class"] == "FAILURE"]
    counts = defaultdict(int)
    for r in results:
        counts[r["class"].split(":")[0]] += 1
    print(f"\n{len(files)} files, {len(results)} renderings: " +
          ", ".join(f"{v} {k}" for k, v in sorted(counts.items())))
    if args.table:
        print("\n" + table(results))
    problems = [f"{r['label']} ({r['window']})" for r in failures]
    problems += cli_checks(args.vlmindex, args.fixtures, tmp)
    model = tiny_model(args.fixtures, tmp)
    if model:
        problems += run_add(args.vlmindex, files, rendered, model, tmp, vals,
                            photo_files(args.fixtures))
    else:
        print(f"vlmindex add check skipped: no tiny CLIP model under "
              f"--fixtures ({args.fixtures})")
    print(f"\n{time.time() - t0:.1f} s")
    for p in problems:
        print(f"FAIL: {p}")
    return 1 if problems else 0


def keep(folder, r):
    os.makedirs(folder, exist_ok=True)
    stem = r["label"].replace("/", "_") + "_" + r["window"].replace(",", "_")
    Image.fromarray(r["ours"]).save(os.path.join(folder, stem + "_ours.png"))
    if r["ref"] is not None:
        Image.fromarray(r["ref"]).save(os.path.join(folder, stem + "_ref.png"))


if __name__ == "__main__":
    sys.exit(main())
