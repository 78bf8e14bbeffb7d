"""workspace.py — what the server tests share: a scratch folder with the
fixture model (hub layout: checkpoint + CLIP tokenizer), collections made
by the real `vlmindex add`, and `vlmindex serve` started on loopback.

Environment (set by meson): VLM_FIXTURES, VLM_BUILD_DIR, VLMINDEX_LIBDIR;
VLM_SYN_GENERATOR (synthetic DICOM files) for the DICOM parts.
"""
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

SKIP = 77  # meson: the test was skipped
MODEL = "clip-tiny-quickgelu-f32"


def finish(failures, what):
    """The end of a test script: exit 1 naming how many checks failed."""
    if failures:
        print("%d check(s) failed" % len(failures))
        sys.exit(1)
    print(what + " passed")


def skip(why):
    print("SKIP: " + why)
    sys.exit(SKIP)


def build_bin(name):
    return os.path.join(os.environ.get("VLM_BUILD_DIR", "build"), "bin", name)


class Workspace:
    """A temporary folder with a model, photos and collections."""

    def __init__(self):
        fx = os.environ.get("VLM_FIXTURES", "")
        if not os.path.isfile(os.path.join(fx, MODEL, "model.safetensors")):
            skip("fixtures not found (VLM_FIXTURES=%r): see ../shared/fixtures" % fx)
        self.fixtures = fx
        self.root = tempfile.mkdtemp(prefix="vlm-server-test-")
        self.model = os.path.join(self.root, "model")
        os.mkdir(self.model)
        for d, names in ((MODEL, os.listdir(os.path.join(fx, MODEL))),
                         ("tokenizer-clip", ["vocab.json", "merges.txt"])):
            for n in names:
                os.symlink(os.path.join(fx, d, n), os.path.join(self.model, n))
        self.photos = os.path.join(self.root, "photos")
        shutil.copytree(os.path.join(fx, "images", "photos"), self.photos)
        self.env = dict(os.environ, VLMINDEX_OFFLINE="1", HOME=self.root)

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def vlmindex(self, *args, check=True):
        r = subprocess.run([build_bin("vlmindex")] + list(args), env=self.env,
                           capture_output=True, text=True, timeout=300)
        if check and r.returncode != 0:
            raise AssertionError("vlmindex %s failed (%d): %s" %
                                 (" ".join(args), r.returncode, r.stderr))
        return r

    def photo_collection(self, name="photos-coll"):
        coll = self.path(name)
        self.vlmindex("add", "-q", "-M", self.model, "-C", coll, self.photos)
        return coll

    def dicom_collection(self, name="dicom-coll"):
        gen = os.environ.get("VLM_SYN_GENERATOR")
        if not gen or not os.access(gen, os.X_OK):
            return None
        src = self.path("dicom")
        os.mkdir(src)
        subprocess.run([gen, src], check=True, capture_output=True, env=self.env)
        coll = self.path(name)
        r = self.vlmindex("add", "-q", "-M", self.model, "-C", coll, "--window",
                          "lung", src, check=False)
        if r.returncode != 0:  # no GDCM module in this build
            print("note: DICOM collection not built: " + r.stderr.strip())
            return None
        return coll

    def cleanup(self):
        shutil.rmtree(self.root, ignore_errors=True)


class Server:
    """`vlmindex serve ARGS` until stop(); url is what it printed."""

    def __init__(self, ws, *args, wrap=None, timeout=60):
        self.log_path = ws.path("serve-%d.log" % time.time_ns())
        self.log = open(self.log_path, "w")
        cmd = [build_bin("vlmindex"), "serve", "-M", ws.model] + list(args)
        self.proc = subprocess.Popen((wrap or []) + cmd, env=ws.env,
                                     stdout=subprocess.PIPE, stderr=self.log,
                                     text=True)
        self.url = self._read_url(timeout)

    def _read_url(self, timeout):
        end = time.time() + timeout
        while time.time() < end:
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if ready:
                line = self.proc.stdout.readline()
                if line.startswith("serving at "):
                    return line.split()[-1]
            if self.proc.poll() is not None:
                break
        self.stop()
        raise AssertionError("serve did not start: " + self.stderr())

    def stderr(self):
        with open(self.log_path) as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not self.log.closed:
            self.log.close()
        return self.proc.returncode


def http(url, method="GET", body=None, headers=None, timeout=30):
    """(status, headers, body bytes) — HTTP errors are answers too."""
    req = urllib.request.Request(url, data=body, method=method,
                                 headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def get_json(url, **kw):
    status, _, body = http(url, **kw)
    return status, json.loads(body) if body else None


def wait_for(fn, timeout, what):
    end = time.time() + timeout
    while time.time() < end:
        v = fn()
        if v:
            return v
        time.sleep(0.2)
    raise AssertionError("timed out after %.0f s waiting for %s" % (timeout, what))
