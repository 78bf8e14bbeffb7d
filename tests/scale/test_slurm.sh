#!/bin/bash
# A real single-node Slurm (Debian's slurm-wlm + munge, daemons in the
# foreground, no systemd, everything in a temporary folder) runs
# scripts/slurm/submit.sh over a copy of the fixture photos: an array of 4
# shard tasks and the dependent merge.  The merged collection must equal a
# single-machine `vlmindex add` of the same folder: the same rows, the same
# embeddings, the same top-10 for several queries.
#
# Skips (exit 77) when it cannot run: not root (slurmd runs jobs as their
# user), or the slurm/munge programs are missing, or the daemons do not
# come up.  The daemons are always stopped, also on failure.
set -euo pipefail

skip() { echo "SKIP: $*"; exit 77; }

[ "$(id -u)" = 0 ] || skip "the Slurm test starts slurmd, which needs root (CI runs as root)"
for p in slurmctld slurmd munged sbatch scontrol squeue; do
    command -v "$p" >/dev/null || skip "$p not found: apt-get install slurm-wlm munge"
done
: "${VLM_BUILD_DIR:?}" "${VLM_SOURCE_DIR:?}" "${VLM_FIXTURES:?}"
model_src=$VLM_FIXTURES/clip-tiny-quickgelu-f32
[ -f "$model_src/model.safetensors" ] || skip "fixture $model_src is absent"

tmp=$(mktemp -d /tmp/vlm-slurm.XXXXXX)
pids=()
cleanup() {
    local rc=$?
    # Only our own controller's jobs (never a system cluster's).
    if [ "${SLURM_CONF:-}" = "$tmp/slurm.conf" ]; then
        scancel --quiet --user=root 2>/dev/null || true
    fi
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    done
    if [ $rc -ne 0 ] && [ $rc -ne 77 ]; then
        for f in "$tmp"/*.log "$tmp"/shards/*.log; do
            [ -f "$f" ] && { echo "== $f"; tail -n 30 "$f"; }
        done
    fi
    rm -rf "$tmp"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

t0=$(date +%s)
mkdir -p "$tmp/state" "$tmp/spool" "$tmp/model"
ln -s "$model_src"/* "$VLM_FIXTURES/tokenizer-clip/vocab.json" \
    "$VLM_FIXTURES/tokenizer-clip/merges.txt" "$tmp/model/"
cp -r "$VLM_FIXTURES/images/photos" "$tmp/photos"

# munge: a fresh key, its own socket.
dd if=/dev/urandom of="$tmp/munge.key" bs=1024 count=1 status=none
chmod 400 "$tmp/munge.key"
sock=$tmp/munge.sock
munged -F -f --key-file="$tmp/munge.key" --socket="$sock" \
    --pid-file="$tmp/munged.pid" --log-file="$tmp/munged.log" \
    --seed-file="$tmp/munged.seed" &
pids+=($!)
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || skip "munged did not start: $(tail -n 3 "$tmp/munged.log" 2>/dev/null)"

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
host=$(hostname -s)
cpus=$(nproc)
cat >"$tmp/slurm.conf" <<EOF
ClusterName=vlmtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
AuthType=auth/munge
AuthInfo=socket=$sock
CryptoType=crypto/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
MinJobAge=600
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$tmp/slurm.conf

slurmctld -D -i -f "$SLURM_CONF" >"$tmp/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" >"$tmp/slurmd.out" 2>&1 &
pids+=($!)
up=""
for _ in $(seq 150); do
    if sinfo -h -o %t 2>/dev/null | grep -qE '^(idle|mix|alloc)'; then up=1; break; fi
    sleep 0.2
done
[ -n "$up" ] || skip "slurmctld/slurmd did not come up: $(tail -n 5 "$tmp/slurmctld.log" "$tmp/slurmd.log" 2>/dev/null)"
echo "slurm up after $(($(date +%s) - t0)) s"

# The array (4 shards) and the merge that depends on it.
export VLMINDEX=$VLM_BUILD_DIR/bin/vlmindex VLMINDEX_OFFLINE=1
read -r array merge < <("$VLM_SOURCE_DIR/scripts/slurm/submit.sh" -n 4 \
    -s "$tmp/shards" "$tmp/photos" "$tmp/merged" -- -M "$tmp/model")
echo "array job $array, merge job $merge"

# The single-machine reference while the cluster works.
"$VLMINDEX" add -q -C "$tmp/single" -M "$tmp/model" "$tmp/photos"

state=""
for _ in $(seq 600); do
    state=$(scontrol show job "$merge" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
    case $state in COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY) break ;; esac
    sleep 0.5
done
[ "$state" = COMPLETED ] || { echo "merge job $merge ended as '$state'"; exit 1; }
for k in 0 1 2 3; do
    s=$(scontrol show job "${array}_$k" | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
    [ "$s" = COMPLETED ] || { echo "array task $k: $s"; exit 1; }
    "$VLMINDEX" status -C "$tmp/shards/shard-$k-of-4" | grep -q "shard:      $k/4"
done
cat "$tmp/shards/merge.log"
grep -q "merged 4 collection(s)" "$tmp/shards/merge.log"

# Same rows and embeddings; same top-10.
"$VLM_BUILD_DIR/tests/scale/collection_same" "$tmp/merged" "$tmp/single" 1e-5
for q in "a black cat" "a bee on a flower" "boats on a lake" "chess pieces" \
    "a red car" "an astronaut"; do
    # Equal scores (duplicate files) in path order on both sides.
    a=$("$VLM_BUILD_DIR/bin/vlmsearch" -n 10 -C "$tmp/merged" "$q" | sort -t $'\t' -k1,1gr -k2)
    b=$("$VLM_BUILD_DIR/bin/vlmsearch" -n 10 -C "$tmp/single" "$q" | sort -t $'\t' -k1,1gr -k2)
    [ "$(printf '%s\n' "$a" | wc -l)" = 10 ] || { echo "'$q': not 10 hits"; exit 1; }
    [ "$a" = "$b" ] || { echo "top-10 of '$q' differs:"; diff <(echo "$a") <(echo "$b"); exit 1; }
done
echo "PASS: merged collection of 4 Slurm shards equals one add ($(($(date +%s) - t0)) s)"
