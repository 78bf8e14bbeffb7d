#!/bin/sh
# make-variants.sh GENERATOR OUTDIR — writes the synthetic DICOM set
# (make_synthetic) and the compressed variants of CT instances with
# Debian's DCMTK/GDCM command-line tools.  Fails (exit 1) if a tool is
# missing or fails, naming it; the tests then report that.
set -eu
gen=$1 out=$2
mkdir -p "$out"
"$gen" "$out"
need() { command -v "$1" >/dev/null 2>&1 || { echo "missing tool: $1 (apt-get install dcmtk libgdcm-tools)" >&2; exit 1; }; }
for t in dcmcjpeg dcmcjpls dcmcrle dcmconv gdcmconv; do need "$t"; done
# ct_2 = unsigned 12-bit, ct_1 = signed 16-bit.
for n in 1 2; do
  src="$out/ct_$n.dcm"
  dcmcjpeg +e1 "$src" "$out/ct_${n}_jpegll.dcm"        # JPEG lossless SV1
  dcmcjpls "$src" "$out/ct_${n}_jpegls.dcm"            # JPEG-LS lossless
  dcmcrle "$src" "$out/ct_${n}_rle.dcm"                # RLE lossless
  gdcmconv --j2k -i "$src" -o "$out/ct_${n}_j2k.dcm"   # JPEG 2000 lossless
  dcmconv +td "$src" "$out/ct_${n}_deflate.dcm"         # deflated data set
  dcmconv -F +ti "$src" "$out/ct_${n}_bare.dcm"         # no preamble, no meta
done
# Colour JPEG baseline: stored as YBR_FULL_422, must come back as RGB.
dcmcjpeg +eb "$out/rgb_sc.dcm" "$out/rgb_jpeg.dcm"
gdcmconv --j2k -i "$out/rgb_sc.dcm" -o "$out/rgb_j2k.dcm"
