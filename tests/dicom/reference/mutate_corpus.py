#!/usr/bin/python3
"""Mutation run (by hand, not in CI): damages pydicom's test files at
random (bytes changed, runs zeroed, files cut, random lengths) and renders
each damaged copy with `vlmindex render` in its own process.  Every copy
must end with exit 0 or 2; a signal or a hang is printed with the damaged
file kept in --keep.

  mutate_corpus.py --vlmindex build/bin/vlmindex --seed 1 --count 1500
"""
import argparse
import collections
import os
import random
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import corpus  # noqa: E402


def damage(b, rnd):
    kind = rnd.choice(["bytes", "cut", "zero", "length"])
    if kind == "bytes":
        for _ in range(rnd.randint(1, 8)):
            b[rnd.randrange(len(b))] = rnd.randrange(256)
    elif kind == "cut":
        del b[rnd.randrange(len(b)):]
    elif kind == "zero":
        i = rnd.randrange(len(b))
        b[i:i + 16] = bytes(len(b[i:i + 16]))
    else:
        i = rnd.randrange(132, max(133, len(b) - 4))
        b[i:i + 4] = rnd.randbytes(4)
    return kind


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vlmindex", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--keep", default=tempfile.gettempdir())
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    src = os.path.join(corpus.PYDICOM_DATA, "test_files")
    files = sorted(os.path.join(src, f) for f in os.listdir(src)
                   if f.endswith(".dcm"))
    tmp = tempfile.mkdtemp(prefix="vlm-mutate-")
    seen = collections.Counter()
    for k in range(args.count):
        path = rnd.choice(files)
        b = bytearray(open(path, "rb").read())
        kind = damage(b, rnd)
        case = os.path.join(tmp, "case.dcm")
        open(case, "wb").write(b)
        try:
            p = subprocess.run([args.vlmindex, "render", case, "-o",
                                os.path.join(tmp, "out.png")],
                               capture_output=True, timeout=20)
            outcome = f"exit {p.returncode}" if p.returncode >= 0 else \
                f"signal {-p.returncode}"
        except subprocess.TimeoutExpired:
            outcome = "hang"
        seen[outcome] += 1
        if outcome.startswith(("signal", "hang")):
            kept = os.path.join(args.keep, f"mutant-{args.seed}-{k}.dcm")
            open(kept, "wb").write(b)
            print(f"{outcome}: {os.path.basename(path)} ({kind}) -> {kept}")
    print(dict(seen))
    return 1 if any(k.startswith(("signal", "hang")) for k in seen) else 0


if __name__ == "__main__":
    sys.exit(main())
