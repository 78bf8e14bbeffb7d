#!/bin/sh
# sr-check.sh RIGDIR [N] — checks the SRs that the Orthanc rig (orthanc-rig.sh)
# holds, as a PACS user would see them:
#   - every SR series sits in a study resource that also holds images (the
#     original study, not a phantom study beside it);
#   - exactly one study resource has that StudyInstanceUID, under one patient;
#   - dciodvfy (dicom3tools) reports 0 errors for every SR file;
#   - with N: exactly N SR series exist.
# Prints counts only, never patient data.  Exit 0 when all hold.
set -eu
die() { echo "sr-check: $*" >&2; exit 1; }
[ $# -ge 1 ] || die "usage: $0 RIGDIR [N]"
dir=$1 want=${2:-}
command -v jq >/dev/null 2>&1 || die "jq not installed"
command -v dciodvfy >/dev/null 2>&1 || die "dciodvfy not installed (apt-get install dicom3tools)"
base=$(cat "$dir/url")
rc() { if [ -f "$dir/ca.pem" ]; then curl --cacert "$dir/ca.pem" "$@"; else curl "$@"; fi; }
get() { rc -sf --netrc-file "$dir/netrc" "$base$1"; }
series=$(rc -sf --netrc-file "$dir/netrc" -X POST "$base/tools/find" \
    -d '{"Level":"Series","Query":{"Modality":"SR"}}' | jq -r '.[]')
n=0 errors=0
for s in $series; do
    n=$((n + 1))
    study=$(get "/series/$s" | jq -r .ParentStudy)
    images=$(get "/studies/$study/series" | jq '[.[] | select(.MainDicomTags.Modality != "SR")] | length')
    [ "$images" -ge 1 ] || die "SR series $n is in a study resource without images (a phantom patient/study)"
    uid=$(get "/studies/$study" | jq -r .MainDicomTags.StudyInstanceUID)
    same=$(rc -sf --netrc-file "$dir/netrc" -X POST "$base/tools/lookup" -d "$uid" |
        jq '[.[] | select(.Type == "Study")] | length')
    [ "$same" -eq 1 ] || die "SR series $n: $same study resources share its StudyInstanceUID"
    for i in $(get "/series/$s/instances" | jq -r '.[].ID'); do
        f=$dir/sr-check.dcm
        (umask 077; get "/instances/$i/file" > "$f")
        e=$(dciodvfy "$f" 2>&1 | grep -c '^Error' || true)
        rm -f "$f"
        errors=$((errors + e))
    done
done
echo "sr-check: $n SR series, each in its original study (one patient, one study), $errors dciodvfy errors"
[ "$errors" -eq 0 ] || die "dciodvfy found $errors errors"
[ -z "$want" ] || [ "$n" -eq "$want" ] || die "expected $want SR series, found $n"
