#!/bin/sh
# Runs inside a clean Debian 12 chroot (see scripts/ci/deb.sh) from the
# folder DIR holding the .debs, the fixture model, photos and (optional)
# synthetic DICOM files:
#   1. installs vlmindex alone: GDCM must not come with it;
#   2. --version, man page and completions are in place;
#   3. indexes the photos with the fixture model and searches them;
#   4. a DICOM file fails with a reason naming vlmindex-dicom, and after
#      installing vlmindex-dicom DICOM files are indexed and searchable.
set -eu
dir=$1
cd "$dir"
fail() { echo "chroot: FAILED: $*" >&2; exit 1; }
say() { echo "chroot: $*"; }
export DEBIAN_FRONTEND=noninteractive VLMINDEX_OFFLINE=1 HOME="$dir"

install_debs() {
    apt-get install -y -q --no-install-recommends "$@" > apt.log 2>&1 ||
        { tail -n 30 apt.log; fail "apt-get install $*"; }
}

install_debs ./vlmindex_*.deb
vlmindex --version
vlmsearch --version
if dpkg-query -W -f '${db:Status-Status} ${Package}\n' |
    grep '^installed .*gdcm'; then
    fail "installing vlmindex pulled in GDCM"
fi
for f in /usr/share/man/man1/vlmindex.1.gz /usr/share/man/man1/vlmsearch.1.gz \
    /usr/share/bash-completion/completions/vlmindex; do
    [ -f "$f" ] || fail "$f is missing"
done

# A hub-layout model folder: checkpoint + CLIP tokenizer files.
mkdir model
cp clip-tiny-quickgelu-f32/* tokenizer-clip/vocab.json \
    tokenizer-clip/merges.txt model/
vlmindex add -q -M "$dir/model" -C "$dir/coll" "$dir/photos"
vlmindex status -C "$dir/coll"
top=$(vlmsearch -C "$dir/coll" -n 1 --include-self "$dir/photos/cat.jpg")
say "vlmsearch photos/cat.jpg -> $top"
case $top in
*"$dir/photos/cat.jpg") ;;
*) fail "an image query did not find the image itself: $top" ;;
esac
hits=$(vlmsearch -C "$dir/coll" -n 3 "a cat sleeping on a chair" | wc -l)
[ "$hits" -eq 3 ] || fail "a text query gave $hits results, want 3"

if [ ! -f dicom/cr_sc.dcm ]; then
    say "no synthetic DICOM files: DICOM checks skipped"
    exit 0
fi
mkdir dcm-before dcm-after
mv dicom/cr_sc.dcm dcm-before/
mv dicom/rgb_sc.dcm dcm-after/
vlmindex add -q -C "$dir/coll" "$dir/dcm-before"
why=$(vlmindex status -C "$dir/coll" --failed | grep cr_sc.dcm || true)
say "without vlmindex-dicom: $why"
case $why in
*vlmindex-dicom*) ;;
*) fail "a DICOM file without vlmindex-dicom: no reason naming the package" ;;
esac
install_debs ./vlmindex-dicom_*.deb
vlmindex add -q -C "$dir/coll" "$dir/dcm-after"
vlmindex status -C "$dir/coll" --failed | grep rgb_sc.dcm &&
    fail "rgb_sc.dcm failed with vlmindex-dicom installed"
top=$(vlmsearch -C "$dir/coll" -n 1 --include-self "$dir/dcm-after/rgb_sc.dcm")
say "vlmsearch dcm-after/rgb_sc.dcm -> $top"
case $top in
*"$dir/dcm-after/rgb_sc.dcm") ;;
*) fail "a DICOM query did not find the DICOM image itself: $top" ;;
esac
say "OK"
