#!/bin/sh
# bench/server/run.sh — `vlmindex serve` text queries over HTTP at N vectors,
# measured with wrk (Debian), in the same run as one-shot `vlmsearch`.
#
#   bench/server/run.sh [BUILD_DIR]            (default: build)
# Environment:
#   N=1000000     vectors (synthetic, ViT-B/32 size: 512 dims)
#   DUR=15        seconds per wrk run
#   CONC=8        concurrent clients
#   PACE_MS=110   per-client pause in the paced runs (8 clients: ~60 q/s)
#   DATA=/tmp/vlm-serve-bench   model + collection, kept between runs
#                 (delete it to rebuild; 1M vectors take minutes to build)
#   SERVE_ARGS="" extra `vlmindex serve` options (e.g. --bf16, --readers 1)
#   RUNS=11       vlmsearch runs (median)
#   COLL=DIR MODEL=DIR  an existing collection and its model instead of
#                 DATA's (e.g. bench/schema's 10M one, bound to the model)
# The model is ViT-B/32 with random weights (bench/clip/bench_ckpt.c) and the
# fixture CLIP tokenizer; the collection holds random unit vectors.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-build}" && pwd)
N=${N:-1000000}
DUR=${DUR:-15}
CONC=${CONC:-8}
PACE_MS=${PACE_MS:-110}
RUNS=${RUNS:-11}
DATA=${DATA:-/tmp/vlm-serve-bench}
fixtures=${VLM_FIXTURES:-$src/../shared/fixtures}
command -v wrk >/dev/null || { echo "run.sh: wrk is missing (apt-get install wrk)" >&2; exit 1; }
[ -x "$build/bench/indexer/bench_indexer" ] ||
    { echo "run.sh: $build/bench/indexer/bench_indexer not built" >&2; exit 1; }

if [ -n "${COLL:-}" ]; then
    coll=$COLL model=${MODEL:?give MODEL=DIR with COLL}
else
    echo "== data: $N vectors in $DATA (built once)"
    "$build/bench/indexer/bench_indexer" collection "$fixtures" "$DATA" "$N"
    model=$DATA/vit-b32
    coll=$DATA/coll-$N
fi
export VLMINDEX_OFFLINE=1

echo "== vlmsearch, one process per query (median of $RUNS)"
rss_log=$(mktemp)
one_shot() {
    for i in $(seq 0 "$RUNS"); do
        t0=$(date +%s%N)
        /usr/bin/time -a -o "$rss_log" -f %M "$build/bin/vlmsearch" -C "$coll" \
            -M "$model" -n 10 "a photo of a red car number $i" >/dev/null
        t1=$(date +%s%N)
        [ "$i" -eq 0 ] || echo $(( (t1 - t0) / 1000 ))  # run 0 warms the cache
    done | sort -n | awk '{a[NR]=$1} END {printf "%.1f %.1f %.1f\n", a[int((NR+1)/2)]/1000, a[1]/1000, a[NR]/1000}'
}
vs=$(one_shot)
vs_rss=$(sort -n "$rss_log" | tail -1)
rm -f "$rss_log"

log=$(mktemp /tmp/vlm-serve-bench-XXXXXX.log)
"$build/bin/vlmindex" serve -C "$coll" -M "$model" -l 127.0.0.1:0 -q \
    ${SERVE_ARGS:-} > "$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log"' EXIT INT TERM
for _ in $(seq 1 600); do
    grep -q "serving at" "$log" && break
    kill -0 $pid 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.2
done
url=$(sed -n 's/^serving at //p' "$log")
echo "== serve at $url (pid $pid)"
for i in 1 2 3 4 5; do curl -s -o /dev/null "${url}api/search?q=warm+up+$i"; done

run() { # label mode pace connections
    t=$(( $4 < 2 ? $4 : 2 ))
    run_id=$((run_id + 1))
    r=$(MODE=$2 PACE_MS=$3 RUN_ID=$run_id wrk -t"$t" -c"$4" -d"${DUR}s" --timeout 10s \
        -s "$here/queries.lua" "$url" | grep '^RESULT' || echo "RESULT failed=1")
    echo "$1 $r"
}
run_id=0
results=$(mktemp)
{
    run "1 client, unique queries" unique 0 1
    run "1 client, repeated queries (cache)" repeat 0 1
    run "$CONC clients paced, unique queries" unique "$PACE_MS" "$CONC"
    run "$CONC clients paced, repeated queries (cache)" repeat "$PACE_MS" "$CONC"
    run "$CONC clients flat out, unique queries" unique 0 "$CONC"
    run "$CONC clients flat out, repeated queries (cache)" repeat 0 "$CONC"
} | tee "$results"
stats=$(curl -s "${url}api/status")
# Peak and current resident memory of serve; file-backed pages (the
# memory-mapped index lists, the model) are page cache the kernel can drop.
mem=$(awk '/^(VmHWM|VmRSS|RssAnon|RssFile):/ {printf "%s %.0f MB, ", $1, $2/1024}' /proc/$pid/status)
load=$(cut -d' ' -f1-3 /proc/loadavg)

echo
echo "## vlmindex serve at ${COLL:-$N vectors} ($(nproc) cores, load average $load)"
echo
echo "| what | queries/s | p50 ms | p90 ms | p99 ms | errors |"
echo "|---|---|---|---|---|---|"
set -- $vs
echo "| vlmsearch, one process per query (median of $RUNS; min $2, max $3; peak RSS $((vs_rss / 1024)) MB) | $(awk "BEGIN{printf \"%.1f\", 1000/$1}") | $1 | | | |"
while IFS= read -r line; do
    label=${line%% RESULT*}
    kv=${line#*RESULT }
    get() { echo "$kv" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
    echo "| serve: $label | $(get rps) | $(get p50_ms) | $(get p90_ms) | $(get p99_ms) | $(( $(get non2xx) + $(get errors) )) |"
done < "$results"
echo
echo "query cache: $(echo "$stats" | sed -n 's/.*"query_cache":\({[^}]*}\).*/\1/p')"
echo "model calls: $(echo "$stats" | sed -n 's/.*"model_calls":\({[^}]*}\).*/\1/p')"
echo "index: $(echo "$stats" | sed -n 's/.*"index":\({[^}]*}\).*/\1/p')"
echo "serve memory after the runs: ${mem%, }"
rm -f "$results"
