#!/usr/bin/python3
"""test_watch.py — `vlmindex watch` keeps a collection in step with its
folders: files added, moved, deleted; folders moved in and deleted; a file
still being written waits until it settles; a burst of 1,000 files becomes
a few passes; each root's excludes apply; an offline root (unmounted, or
moved away) keeps its rows;
--poll rescans.

The collection is read with `vlmsearch --format jsonl` (ids and paths).
Each change must show within WAIT seconds; the times are printed.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from workspace import Workspace, build_bin, finish, wait_for  # noqa: E402

WAIT = 10  # seconds: "within a few seconds", with room for a loaded CI box
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what)


def rows(ws, coll):
    """{path: id} of every embedded image."""
    r = subprocess.run([build_bin("vlmsearch"), "-C", coll, "-n", "5000",
                        "--format", "jsonl", "anything"],
                       env=ws.env, capture_output=True, text=True, timeout=60)
    if r.returncode not in (0, 1):
        raise AssertionError("vlmsearch failed: " + r.stderr)
    return {j["path"]: j["id"] for j in map(json.loads, r.stdout.splitlines())}


def ppm(path, k, size=24):
    """A small image whose pixels depend on k (distinct bytes each)."""
    px = bytes(((x * 7 + y * 13 + k * 31 + c * 89) ^ (k >> (c * 3))) & 0xFF
               for y in range(size) for x in range(size) for c in range(3))
    with open(path, "wb") as f:
        f.write(b"P6\n%d %d\n255\n" % (size, size) + px)


class Watcher:
    def __init__(self, ws, coll, *args, wrap=None):
        self.log_path = ws.path("watch-%d.log" % time.time_ns())
        self.log = open(self.log_path, "w")
        cmd = [build_bin("vlmindex"), "watch", "-M", ws.model, "-C", coll,
               "--debounce", "200", "--settle", "1000"] + list(args)
        self.proc = subprocess.Popen((wrap or []) + cmd, env=ws.env,
                                     stdout=subprocess.DEVNULL, stderr=self.log)
        wait_for(lambda: "watching" in self.text() or self.proc.poll() is not None,
                 60, "the watch to start")
        if self.proc.poll() is not None:
            raise AssertionError("watch exited: " + self.text())

    def text(self):
        with open(self.log_path) as f:
            return f.read()

    def passes(self):
        return self.text().count("pass over")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


def timed(what, fn):
    t0 = time.time()
    wait_for(fn, WAIT, what)
    print("%-44s %.1f s" % (what + ":", time.time() - t0))


def changes(ws, coll, root, w):
    photos = ws.photos
    cp = lambda name, dest: shutil.copy(os.path.join(photos, name), dest)  # noqa
    cp("bee.jpg", root)
    timed("an added file", lambda: os.path.join(root, "bee.jpg") in rows(ws, coll))
    os.mkdir(os.path.join(root, "sub"))
    before = rows(ws, coll)[os.path.join(root, "bee.jpg")]
    os.rename(os.path.join(root, "bee.jpg"), os.path.join(root, "sub", "bee.jpg"))
    timed("a moved file", lambda: os.path.join(root, "sub", "bee.jpg") in rows(ws, coll))
    r = rows(ws, coll)
    check(r[os.path.join(root, "sub", "bee.jpg")] == before and
          os.path.join(root, "bee.jpg") not in r, "a move keeps the row (same id)")
    os.remove(os.path.join(root, "sub", "bee.jpg"))
    timed("a deleted file", lambda: os.path.join(root, "sub", "bee.jpg") not in rows(ws, coll))

    outside = ws.path("outside")
    os.mkdir(outside)
    for n in ("cake.jpg", "books.jpg"):
        cp(n, outside)
    os.rename(outside, os.path.join(root, "moved-in"))
    timed("a folder moved in", lambda: os.path.join(root, "moved-in", "books.jpg")
          in rows(ws, coll))
    cp("coffee.png", os.path.join(root, "moved-in"))  # watched at once
    timed("a file in that new folder", lambda: os.path.join(root, "moved-in", "coffee.png")
          in rows(ws, coll))
    shutil.rmtree(os.path.join(root, "moved-in"))
    timed("a deleted folder", lambda: not any("/moved-in/" in p for p in rows(ws, coll)))


def excluded(ws, coll, root):
    """Each root's excludes apply to watch passes: a default (node_modules)
    and a stored glob (`exclude add raw`, before the watch started)."""
    # New folders: each pass walks them alone (not the whole root).
    for d in ("node_modules", "raw", "ok"):
        os.mkdir(os.path.join(root, d))
    for d in ("node_modules", "raw"):
        shutil.copy(os.path.join(ws.photos, "duck.jp2"), os.path.join(root, d))
    sentinel = os.path.join(root, "ok", "books.jpg")
    shutil.copy(os.path.join(ws.photos, "books.jpg"), sentinel)
    timed("a file next to excluded folders", lambda: sentinel in rows(ws, coll))
    r = rows(ws, coll)
    check(not any("/node_modules/" in p or "/raw/" in p for p in r),
          "files in excluded folders are not indexed: %s" % sorted(r))


def being_written(ws, coll, root):
    data = open(os.path.join(ws.photos, "hubble_deep_field.jpg"), "rb").read()
    path = os.path.join(root, "slow.jpg")
    with open(path, "wb") as f:
        f.write(data[: len(data) // 3])
        f.flush()
        for part in (2, 3):  # keeps writing, 0.4 s apart: never settled
            time.sleep(0.4)
            f.write(data[(part - 1) * len(data) // 3: part * len(data) // 3])
            f.flush()
        check(path not in rows(ws, coll), "a file being written is not indexed yet")
    timed("a file once it settled", lambda: path in rows(ws, coll))
    r = subprocess.run([build_bin("vlmindex"), "status", "-C", coll, "--failed"],
                       env=ws.env, capture_output=True, text=True)
    check("slow.jpg" not in r.stdout, "the settled file did not fail: " + r.stdout)


def burst(ws, coll, root, w):
    # Under qemu (the arm64 CI stage) every decode and encode is emulated:
    # a smaller burst keeps the stage short; the native run does 1,000.
    n = 200 if os.environ.get("QEMU_LD_PREFIX") else 1000
    base = len(rows(ws, coll))
    passes = w.passes()
    dcim = os.path.join(root, "DCIM", "100CAMERA")
    os.makedirs(dcim)
    t0 = time.time()
    for k in range(n):
        ppm(os.path.join(dcim, "IMG_%04d.ppm" % k), k)
    print("burst: %d files written in %.1f s" % (n, time.time() - t0))
    wait_for(lambda: len(rows(ws, coll)) == base + n, 300, "%d new rows" % n)
    n = w.passes() - passes
    print("burst: indexed %.1f s after the first file, in %d passes"
          % (time.time() - t0, n))
    check(n <= 30, "a burst is debounced into few passes (%d)" % n)
    check(w.proc.poll() is None, "the watch survived the burst")


def offline_root(ws, coll, w, mounted_root):
    """An empty mount point (a disk unmounted) must not drop its rows."""
    before = {p for p in rows(ws, coll) if p.startswith(mounted_root + "/")}
    pid = w.proc.pid
    mnt = ["nsenter", "--mount=/proc/%d/ns/mnt" % pid]
    if subprocess.run(mnt + ["mount", "-t", "tmpfs", "tmpfs", mounted_root],
                      capture_output=True).returncode != 0:
        print("note: cannot mount in the watch's namespace: offline root not tested")
        return
    wait_for(lambda: "root offline" in w.text(), 20, "the root to be seen offline")
    time.sleep(1.5)
    after = {p for p in rows(ws, coll) if p.startswith(mounted_root + "/")}
    check(before and after == before, "an offline root keeps its rows")
    subprocess.run(mnt + ["umount", mounted_root], check=True)
    wait_for(lambda: "back online" in w.text(), 20, "the root to come back")
    time.sleep(1.5)
    check({p for p in rows(ws, coll) if p.startswith(mounted_root + "/")} == before,
          "its rows are still there once it is back")


def missing_root(ws, coll, w, root):
    """A root moved away (the collection's root probe, session_roots.h,
    says offline: missing) keeps its rows, and has them once it is back.
    Needs no mount namespace."""
    before = {p for p in rows(ws, coll) if p.startswith(root + "/")}
    n_off, n_on = w.text().count("root offline"), w.text().count("back online")
    os.rename(root, root + ".away")
    wait_for(lambda: w.text().count("root offline") > n_off, 20,
             "the moved-away root to be seen offline")
    time.sleep(1.5)
    after = {p for p in rows(ws, coll) if p.startswith(root + "/")}
    check(before and after == before, "a missing root keeps its rows")
    os.rename(root + ".away", root)
    wait_for(lambda: w.text().count("back online") > n_on, 20,
             "the missing root to come back")
    time.sleep(1.5)
    check({p for p in rows(ws, coll) if p.startswith(root + "/")} == before,
          "its rows are still there once it is back")


def polling(ws):
    root = ws.path("polled")
    os.mkdir(root)
    shutil.copy(os.path.join(ws.photos, "cat.jpg"), root)
    coll = ws.path("polled-coll")
    ws.vlmindex("add", "-q", "-M", ws.model, "-C", coll, root)
    w = Watcher(ws, coll, "--poll", "--rescan", "1")
    try:
        check("polling" in w.text(), "--poll says the roots are polled")
        shutil.copy(os.path.join(ws.photos, "bee.jpg"), root)
        timed("a file under a polled root", lambda: os.path.join(root, "bee.jpg")
              in rows(ws, coll))
    finally:
        w.stop()


def main():
    ws = Workspace()
    w = None
    try:
        root = ws.path("pictures")
        other = ws.path("usb-disk")
        os.mkdir(root)
        os.mkdir(other)
        shutil.copy(os.path.join(ws.photos, "cat.jpg"), root)
        for n in ("duck.jp2", "tree.webp"):
            shutil.copy(os.path.join(ws.photos, n), other)
        coll = ws.path("coll")
        ws.vlmindex("add", "-q", "-M", ws.model, "-C", coll, root, other)
        ws.vlmindex("exclude", "add", "raw", "--root", root, "-C", coll)
        ns = subprocess.run(["unshare", "--mount", "true"], capture_output=True)
        wrap = ["unshare", "--mount"] if ns.returncode == 0 else None
        w = Watcher(ws, coll, wrap=wrap)
        changes(ws, coll, root, w)
        excluded(ws, coll, root)
        being_written(ws, coll, root)
        burst(ws, coll, root, w)
        if wrap:
            offline_root(ws, coll, w, other)
        else:
            print("note: no mount namespace here: unmounted root not tested")
        missing_root(ws, coll, w, other)
        check(w.stop() == 0, "the watch ends cleanly on Ctrl-C:\n" + w.text())
        w = None
        polling(ws)
    finally:
        if w:
            w.stop()
        ws.cleanup()
    finish(failures, "watch test")


if __name__ == "__main__":
    main()
