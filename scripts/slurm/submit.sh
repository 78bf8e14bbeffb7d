#!/bin/bash
# Index an archive on a Slurm cluster: an array of N shard tasks, then one
# merge job that runs when every task succeeded.
#
#   scripts/slurm/submit.sh [-n N] [-s SHARDS_DIR] [-- SBATCH OPTIONS...] \
#       ARCHIVE OUT [-- VLMINDEX ADD OPTIONS...]
#
#   -n N           shards (array tasks), default 16
#   -s SHARDS_DIR  where the shard collections go (shared file system),
#                  default OUT.shards
#   -b "OPTS"      extra sbatch options for both jobs (partition, time...)
#
# Prints the two job ids ("array MERGE").  Everything after a second "--"
# goes to `vlmindex add` (e.g. -M MODEL --offline --window lung).
# $VLMINDEX names the vlmindex binary the jobs run.  See docs/cluster.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
n=16 shards="" sbatch_opts=""
while getopts "n:s:b:" opt; do
    case $opt in
    n) n=$OPTARG ;;
    s) shards=$OPTARG ;;
    b) sbatch_opts=$OPTARG ;;
    *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))
if [ $# -lt 2 ] || ! [[ $n =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: $0 [-n N] [-s SHARDS_DIR] [-b SBATCH_OPTS] ARCHIVE OUT [-- ADD OPTIONS]" >&2
    exit 2
fi
archive=$(realpath "$1") out=$(realpath -m "$2")
shift 2
[ "${1:-}" = "--" ] && shift
shards=$(realpath -m "${shards:-$out.shards}")
mkdir -p "$shards"
# shellcheck disable=SC2086 # sbatch_opts is a list of options
array=$(sbatch --parsable $sbatch_opts --array="0-$((n - 1))" \
    --output="$shards/shard-%a-of-$n.log" \
    "$here/vlmindex-shard.sbatch" "$archive" "$shards" "$@")
array=${array%%;*}
# shellcheck disable=SC2086
merge=$(sbatch --parsable $sbatch_opts --dependency="afterok:$array" \
    --kill-on-invalid-dep=yes --output="$shards/merge.log" \
    "$here/vlmindex-merge.sbatch" "$out" "$shards" "$n")
echo "$array ${merge%%;*}"
