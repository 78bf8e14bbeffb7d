#!/usr/bin/python3
"""test_api.py — `vlmindex serve` over HTTP: the JSON API on real images,
its safety defaults (token, Host/Origin, size limits, ids only, DICOM
without identity), malformed and slow requests, TLS, a bounded load test,
`serve --watch`, and a non-loopback bind inside a network namespace.
Everything listens on 127.0.0.0/8 or inside a namespace of its own.
"""
import base64
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from workspace import (Server, Workspace, build_bin, finish,  # noqa: E402
                       get_json, http, wait_for)

PHI = [b"TESTPATIENT", b"SECRET", b"19010203"]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what)


def q(s):
    return urllib.parse.quote(s)


# ---- collection=all: shards searched without merging ------------------------


def top(url, query, coll, n=10, offset=0):
    st, r = get_json(url + "api/search?q=%s&n=%d&offset=%d&collection=%s" %
                     (q(query), n, offset, coll))
    check(st == 200, "search %r in collection %s answers 200 (got %d: %s)" %
          (query, coll, st, r))
    return r.get("results", [])


def fanout(ws, full_url):
    """Two shards of the photos plus a folder whose file name is not UTF-8,
    served together: collection=all must give what the whole collection
    gives (same paths, same scores), each hit tagged with its collection."""
    shards = [ws.path("shard-%d" % k) for k in (0, 1)]
    for k, coll in enumerate(shards):
        ws.vlmindex("add", "-q", "-M", ws.model, "-C", coll, "--shard",
                    "%d/2" % k, ws.photos)
    odd_dir = ws.path("odd").encode()
    os.mkdir(odd_dir)
    odd = os.path.join(odd_dir, b"caf\xe9-cat.jpg")  # Latin-1, not UTF-8
    shutil.copy(os.path.join(ws.photos, "cat.jpg"), odd)
    ws.vlmindex("add", "-q", "-M", ws.model, "-C", ws.path("odd-coll"),
                odd_dir.decode("utf-8", "surrogateescape"))
    srv = Server(ws, "-C", shards[0], "-C", shards[1], "-C",
                 ws.path("odd-coll"), "-l", "127.0.0.1:0")
    try:
        st, s = get_json(srv.url + "api/status")
        counts = [c["images"] for c in s["collections"]]
        check(counts[0] > 0 and counts[1] > 0 and counts[0] + counts[1] == 28,
              "the two shards split the 28 photos (got %s)" % counts)
        for query in ("red flowers", "a cat", "a photo of a dog"):
            want = top(full_url, query, 0)
            got = top(srv.url, query, "all")
            check(all(h.get("collection") in (0, 1, 2) for h in got),
                  "every hit of collection=all names its collection")
            shard_hits = [h for h in got if h["collection"] != 2]
            ref = want[:len(shard_hits)]
            check([os.path.basename(h["path"]) for h in shard_hits] ==
                  [os.path.basename(h["path"]) for h in ref] and
                  all(abs(a["score"] - b["score"]) < 1e-4
                      for a, b in zip(shard_hits, ref)),
                  "collection=all over the shards of %r = the whole "
                  "collection's top 10" % query)
            scores = [h["score"] for h in got]
            check(scores == sorted(scores, reverse=True),
                  "collection=all: best first")
            page2 = top(srv.url, query, "all", n=5, offset=5)
            check([(h["collection"], h["id"]) for h in page2] ==
                  [(h["collection"], h["id"]) for h in got[5:]],
                  "collection=all: page 2 continues page 1")
        with open(os.path.join(ws.photos, "cat.jpg"), "rb") as f:
            st, r = get_json(srv.url + "api/search/image?n=2&collection=all",
                             method="POST", body=f.read())
        cats = r.get("results", [])
        check(st == 200 and r["collection"] == "all" and len(cats) == 2 and
              {h["collection"] for h in cats} == {2, cats[0]["collection"]}
              and all(h["score"] > 0.99 for h in cats),
              "an uploaded image finds its copies in every collection: %s" % r)
        odd_hit = next((h for h in cats if h["collection"] == 2), None)
        check(odd_hit is not None and "path_b64" in odd_hit and
              base64.b64decode(odd_hit["path_b64"]) == odd,
              "a path that is not UTF-8 comes with its exact bytes (path_b64)")
        for h in cats:
            st, _, _ = http(srv.url + "api/images/%d/thumb?collection=%d" %
                            (h["id"], h["collection"]))
            check(st == 200, "a fan-out hit's thumbnail, by its collection")
        st, r = get_json(srv.url + "api/search?collection=all&q=" +
                         q("id:%d" % cats[0]["id"]))
        check(st == 400 and "one collection" in r["error"],
              "id:N with collection=all: 400")
        st, r = get_json(srv.url + "api/classify", method="POST",
                         body=json.dumps({"labels": ["cat", "dog"],
                                          "ids": [cats[0]["id"]],
                                          "collection": "all"}).encode(),
                         headers={"Content-Type": "application/json"})
        check(st == 400 and "one collection" in r["error"],
              "classify with collection=all: 400, not collection 0")
        st, r = get_json(srv.url + "api/search", method="POST",
                         body=json.dumps({"q": "a cat", "n": 3,
                                          "collection": "all"}).encode(),
                         headers={"Content-Type": "application/json"})
        check(st == 200 and len(r["results"]) == 3,
              "POST /api/search with \"collection\": \"all\"")
    finally:
        rc = srv.stop()
        check(rc == 0, "the fan-out server exits 0 (got %s)" % rc)


def siglip_prob(ws, clip_url):
    """A sigmoid-scored model: every result carries the model's probability,
    the same number vlmsearch prints; a softmax model's results have none."""
    check(all("prob" not in h for h in top(clip_url, "a cat", 0)),
          "a CLIP (softmax) result has no prob")
    model = os.path.join(ws.fixtures, "siglip-tiny")
    coll = ws.path("siglip-coll")
    ws.vlmindex("add", "-q", "-M", model, "-C", coll, ws.photos)
    r = subprocess.run([build_bin("vlmsearch"), "-C", coll, "-M", model,
                        "--format", "jsonl", "-n", "28", "a cat"],
                       env=ws.env, capture_output=True, text=True, timeout=120)
    check(r.returncode == 0, "vlmsearch on the SigLIP collection: " + r.stderr)
    want = {json.loads(l)["path"]: json.loads(l)["prob"]
            for l in r.stdout.splitlines()}
    srv = Server(ws, "-M", model, "-C", coll, "-l", "127.0.0.1:0")
    try:
        got = top(srv.url, "a cat", 0, n=28)
        check(len(got) == 28 and all(
            abs(h["prob"] - want[h["path"]]) < 1e-5 for h in got),
            "SigLIP results carry vlmsearch's prob (%d results)" % len(got))
    finally:
        srv.stop()


# ---- the API on real images ---------------------------------------------------


def photo_ids(url):
    st, r = get_json(url + "api/search?q=a+photo&n=100")
    check(st == 200, "a text search answers 200")
    return {os.path.basename(h["path"]): h["id"] for h in r["results"]}


def api_search(url, ws):
    ids = photo_ids(url)
    check(len(ids) == 28, "all 28 photos reachable by search (got %d)" % len(ids))
    st, r = get_json(url + "api/search?q=red+flowers&n=10")
    full = [h["id"] for h in r["results"]]
    st, p2 = get_json(url + "api/search?q=red+flowers&n=5&offset=5")
    check([h["id"] for h in p2["results"]] == full[5:], "page 2 continues page 1")
    cat = ids["cat.jpg"]
    st, r = get_json(url + "api/search?q=id:%d&n=3" % cat)
    check(st == 200 and r["results"][0]["id"] == cat and
          r["results"][0]["score"] > 0.999, "id:N finds image N first")
    other = ids["bee.jpg"]
    st, r = get_json(url + "api/search?n=100&q=id:%d" % cat)
    c = next(h["score"] for h in r["results"] if h["id"] == other)
    # (A + B) / |A + B| scores A at sqrt((1 + c) / 2); (A - B) at sqrt((1 - c) / 2).
    for op, want in (("+", ((1 + c) / 2) ** 0.5), ("-", ((1 - c) / 2) ** 0.5)):
        st, r = get_json(url + "api/search?n=100&q=" + q("id:%d %s id:%d" % (cat, op, other)))
        got = next(h["score"] for h in r["results"] if h["id"] == cat)
        check(abs(got - want) < 1e-4,
              "id:A %s id:B scores A at %.5f (got %.5f)" % (op, want, got))
    st, r = get_json(url + "api/search?q=" + q("id:%d - id:%d" % (cat, cat)))
    check(st == 400 and "zero" in r["error"], "a query that cancels out: 400")
    st, r = get_json(url + "api/search", method="POST",
                     body=json.dumps({"q": "a cat", "n": 4}).encode(),
                     headers={"Content-Type": "application/json"})
    check(st == 200 and len(r["results"]) == 4, "POST /api/search with JSON")
    with open(os.path.join(ws.photos, "cat.jpg"), "rb") as f:
        st, r = get_json(url + "api/search/image?n=3", method="POST", body=f.read())
    check(st == 200 and r["results"][0]["id"] == cat, "an uploaded image finds itself")
    st, r = get_json(url + "api/search?q=cat&in=" + q(ws.photos + "/nowhere"))
    check(st == 200 and r["results"] == [], "--in a folder with nothing: no results")
    api_filters(url)
    st, r = get_json(url + "api/search?q=" + q("cat + https://example.com/a.jpg"))
    check(st == 400 and "id:N" in r["error"], "a URL term is refused: 400")
    st, r = get_json(url + "api/classify", method="POST",
                     body=json.dumps({"labels": ["cat", "bee"],
                                      "ids": [cat, other, 999999]}).encode())
    check(st == 200 and [x["id"] for x in r["results"]] == [cat, other] and
          abs(sum(r["results"][0]["probs"]) - 1) < 1e-4, "classify a label set")
    return ids


def api_filters(url):
    """Date, type and size filters run inside the search, as vlmsearch's."""
    st, r = get_json(url + "api/search?q=a+photo&n=100&type=tiff,png")
    fmts = {h["format"] for h in r["results"]}
    check(st == 200 and r["results"] and fmts <= {"tiff", "png"},
          "type=tiff,png: only those formats (got %s)" % sorted(fmts))
    check(all("date" in h and h["date_source"] in ("exif", "mtime")
              for h in r["results"]), "results carry the date taken")
    st, r = get_json(url + "api/search?q=a+photo&n=100&before=2100")
    check(st == 200 and len(r["results"]) == 28, "before=2100: every photo")
    st, r = get_json(url + "api/search?q=a+photo&after=2100-01-01")
    check(st == 200 and r["results"] == [], "after=2100-01-01: none")
    st, r = get_json(url + "api/search?q=a+photo&min_size=100000x100000")
    check(st == 200 and r["results"] == [], "min_size larger than any: none")
    st, r = get_json(url + "api/search", method="POST",
                     body=json.dumps({"q": "a photo", "type": "jpg"}).encode(),
                     headers={"Content-Type": "application/json"})
    check(st == 200 and r["results"] and
          all(h["format"] == "jpeg" for h in r["results"]),
          "POST with \"type\": \"jpg\" keeps JPEGs")
    for bad, word in (("after=yesterday", "date"), ("type=bogus", "bogus"),
                      ("min_size=big", "big")):
        st, r = get_json(url + "api/search?q=cat&" + bad)
        check(st == 400 and word in r["error"],
              "%s: 400 naming it (got %d %s)" % (bad, st, r.get("error")))


def api_images(url, ws, coll, ids):
    cat = ids["cat.jpg"]
    st, h, body = http(url + "api/images/%d" % cat)
    with open(os.path.join(ws.photos, "cat.jpg"), "rb") as f:
        check(st == 200 and body == f.read() and h["Content-Type"] == "image/jpeg",
              "the image by id is the file")
    st, h, body = http(url + "api/images/%d/thumb" % ids["hubble_deep_field.jpg"])
    check(st == 200 and body[:2] == b"\xff\xd8", "a thumbnail is a JPEG")
    thumbs = os.path.join(coll, "thumbs", "256")
    files = [os.path.join(d, f) for d, _, fs in os.walk(thumbs) for f in fs]
    check(files and all(os.stat(f).st_mode & 0o077 == 0 for f in files),
          "thumbnails are cached on disk, private")
    st, h, body = http(url + "api/images/%d" % ids["chess-knight.tiff"])
    check(st == 200 and body[:2] == b"\xff\xd8", "a TIFF is shown as JPEG")
    st, r = get_json(url + "api/images/%d/meta" % cat)
    check(st == 200 and r["format"] == "jpeg" and r["path"].endswith("cat.jpg"),
          "metadata of an image")
    st, r = get_json(url + "api/worklist?q=cat")
    check(st == 400 and "DICOM" in r["error"], "no worklist for photos: 400")
    for path in ("api/images/999999", "api/images/999999/thumb",
                 "api/images/999999/meta", "api/search?q=id:999999"):
        st, _, _ = http(url + path)
        check(st == 404, "%s: 404 (got %d)" % (path, st))


def api_dicom(url, dicom_index):
    c = "&collection=%d" % dicom_index
    st, h, body = http(url + "api/search?q=chest&n=20" + c)
    check(st == 200, "search a DICOM collection")
    r = json.loads(body)
    check(all("path" not in x for x in r["results"]), "DICOM results carry no path")
    ids = [x["id"] for x in r["results"]]
    blobs = [body]
    for i in ids:
        for part in ("", "/meta", "/thumb", "/render?window=bone&"):
            sep = "" if part.endswith("&") else "?"
            st, h, b = http(url + "api/images/%d%s%scollection=%d" %
                            (i, part, sep, dicom_index))
            check(st == 200, "DICOM image %d%s: 200 (got %d)" % (i, part, st))
            check("dicom" not in h.get("Content-Type", ""),
                  "a DICOM file is never sent as such")
            blobs.append(b)
    st, h, lung = http(url + "api/images/%d/render?window=lung%s" % (ids[0], c))
    st2, h, bone = http(url + "api/images/%d/render?window=bone%s" % (ids[0], c))
    check(st == st2 == 200 and lung != bone, "the window changes the rendered slice")
    st, h, b = http(url + "api/images/%d/render?window=nonsense%s" % (ids[0], c))
    check(st == 400, "a bad window: 400")
    st, h, b = http(url + "api/worklist?q=chest" + c)
    w = json.loads(b)
    check(st == 200 and w["note"] == "research triage, not a diagnosis" and
          w["studies"], "the worklist with its note")
    blobs.append(b)
    st, h, b = http(url + "api/status")
    blobs.append(b)
    check(all(p not in x for x in blobs for p in PHI), "no patient identity anywhere")
    check(json.loads(b)["collections"][dicom_index]["roots"] == [],
          "a DICOM collection's roots are not listed")


# ---- safety -----------------------------------------------------------------------


def raw(port, data, host="127.0.0.1", read=True, timeout=10):
    s = socket.create_connection((host, port), timeout=timeout)
    s.sendall(data)
    out = b""
    try:
        while read:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
            if b"\r\n\r\n" in out and b"Content-Length" in out:
                head, _, rest = out.partition(b"\r\n\r\n")
                n = int(head.split(b"Content-Length:")[1].split(b"\r\n")[0])
                if len(rest) >= n:
                    break
    except (ConnectionResetError, socket.timeout, BrokenPipeError):
        pass
    s.close()
    return out


def status_of(reply):
    try:
        return int(reply.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return 0


def safety(url, port):
    st, h, _ = http(url + "api/status")
    check("Access-Control-Allow-Origin" not in h, "CORS is off by default")
    check(h.get("X-Content-Type-Options") == "nosniff", "nosniff on answers")
    st, _, b = http(url, headers={})
    check(st == 200 and b"<title>vlmindex</title>" in b, "the page is served")
    st, h, _ = http(url + "api/status", headers={"Host": "evil.example"})
    check(st == 403, "a foreign Host name: 403 (got %d)" % st)
    st, h, _ = http(url + "api/status", headers={"Origin": "http://evil.example"})
    check(st == 403, "a foreign Origin: 403 (got %d)" % st)
    st, _, _ = http(url + "api/search", method="POST", body=b'{"q": ')
    check(st == 400, "bad JSON: 400")
    st, _, _ = http(url + "api/search", method="POST", body=b'["q"]')
    check(st == 400, "JSON that is no object: 400")
    for path, size, what in (("/api/search", 70 << 10, "a JSON body over 64 KiB"),
                             ("/api/search/image", 17 << 20, "an upload over 16 MiB")):
        # The answer comes before the body is read (as to Expect: 100-continue).
        reply = raw(port, b"POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" %
                    (path.encode(), size))
        check(status_of(reply) == 413, "%s: 413 (got %r)" % (what, reply[:40]))
    chunked = (b"POST /api/search HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               b"Transfer-Encoding: chunked\r\n\r\n" +
               b"".join(b"8000\r\n" + b"y" * 0x8000 + b"\r\n" for _ in range(6)) +
               b"0\r\n\r\n")
    reply = raw(port, chunked)
    check(status_of(reply) in (0, 413), "a chunked body over the limit: 413 or closed")
    st, _, _ = http(url + "api/search?q=" + "a" * 5000)
    check(st == 400, "a query over 1000 characters: 400 (got %d)" % st)
    reply = raw(port, b"GET /api/search?q=" + b"a" * 200000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    check(status_of(reply) in (0, 400, 414, 431), "a 200 kB request line is refused")
    st, _, _ = http(url + "api/search?q=cat&n=abc")
    check(st == 400, "a bad number: 400")
    st, _, _ = http(url + "api/search?q=cat&in=" + q("/tmp/../etc"))
    check(st == 400, "a folder with ..: 400")
    for path in ("api/images/../../../etc/passwd", "api/images/1/../../x",
                 "api/images/-1", "api/images/1e3", "etc/passwd", "api/nothing"):
        st, _, _ = http(url + path)
        check(st == 404, "%s: 404 (got %d)" % (path, st))
    st, _, _ = http(url + "api/search", method="DELETE")
    check(st == 405, "DELETE: 405")
    reply = raw(port, b"GARBAGE\r\n\r\n")
    check(status_of(reply) in (0, 400), "a garbage request line is refused")
    st, _, _ = http(url + "api/status")
    check(st == 200, "the server still answers after malformed requests")


def slow_clients(url, port):
    """--timeout 2: stalled connections are dropped, others go on."""
    stalled = []
    for _ in range(10):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(b"GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # no end
        stalled.append(s)
    t0 = time.time()
    st, _, _ = http(url + "api/search?q=dog")
    check(st == 200, "a request is answered while 10 clients stall")
    closed = 0
    for s in stalled:
        try:
            closed += s.recv(1024) == b""
        except (ConnectionResetError, socket.timeout):
            closed += 1
        s.close()
    check(closed == 10 and time.time() - t0 < 9,
          "stalled connections are dropped after the timeout (%d of 10)" % closed)
    body = socket.create_connection(("127.0.0.1", port), timeout=10)
    body.sendall(b"POST /api/search HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 b"Content-Length: 1000\r\n\r\n{\"q\": ")  # the rest never comes
    try:
        dropped = body.recv(1024) is not None
    except (ConnectionResetError, socket.timeout):
        dropped = True
    body.close()
    check(dropped, "a client that stops mid-body is dropped")


def load_test(url):
    """8 clients x 40 requests: every answer 200, bounded in time."""
    words = ["cat", "dog", "red flowers", "a boat", "books", "a camera", "cake", "bee"]
    codes, lock = [], threading.Lock()

    def client(k):
        for i in range(40):
            w = words[(k + i) % len(words)] + (" %d" % (i % 5))
            st, _, _ = http(url + "api/search?n=20&q=" + q(w), timeout=30)
            with lock:
                codes.append(st)

    t0 = time.time()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    dt = time.time() - t0
    check(len(codes) == 320 and all(c == 200 for c in codes),
          "load test: 320 answers, all 200 (%d, %s)" % (len(codes), set(codes)))
    print("load test: %d requests in %.1f s (%.0f/s)" % (len(codes), dt, len(codes) / dt))
    st, r = get_json(url + "api/status")
    check(r["query_cache"]["hits"] > 0, "repeated queries hit the vector cache")


# ---- tokens, TLS, other addresses --------------------------------------------------


def write_token(ws, name, mode=0o600):
    path = ws.path(name)
    with open(path, "w") as f:
        f.write("s3cret-token-for-the-tests-0001\n")
    os.chmod(path, mode)
    return path


def token_on(ws, coll, listen):
    tf = write_token(ws, "token")
    srv = Server(ws, "-C", coll, "-l", listen, "--token-file", tf)
    try:
        st, h, _ = http(srv.url + "api/status")
        check(st == 401 and "Bearer" in h.get("WWW-Authenticate", ""),
              "no token: 401 on %s (got %d)" % (listen, st))
        st, _, _ = http(srv.url + "api/images/1/thumb",
                        headers={"Authorization": "Bearer wrong-token-0000000000"})
        check(st == 401, "a wrong token: 401")
        st, _, _ = http(srv.url + "api/status",
                        headers={"Authorization": "Bearer s3cret-token-for-the-tests-0001",
                                 "Host": "photos.example:8765"})
        check(st == 200, "the right token: 200 (any Host name)")
        st, _, _ = http(srv.url)
        check(st == 200, "the page itself needs no token (it asks for one)")
    finally:
        srv.stop()


def ipv6(ws, coll):
    try:
        s = socket.socket(socket.AF_INET6)
        s.bind(("::1", 0))
        s.close()
    except OSError:
        print("note: no IPv6 loopback here: [::1] not tested")
        return
    srv = Server(ws, "-C", coll, "-l", "[::1]:0")
    try:
        check(srv.url.startswith("http://[::1]:"), "an IPv6 URL: " + srv.url)
        st, _, _ = http(srv.url + "api/status")
        check(st == 200, "a request over IPv6 loopback")
    finally:
        srv.stop()


def refusals(ws, coll):
    loose = write_token(ws, "loose-token", 0o644)
    r = ws.vlmindex("serve", "-M", ws.model, "-C", coll, "-l", "127.0.0.1:0",
                    "--token-file", loose, check=False)
    check(r.returncode == 2 and "readable by others" in r.stderr,
          "a world-readable token file is refused")
    r = ws.vlmindex("serve", "-M", ws.model, "-C", coll, "-l", "0.0.0.0:0", check=False)
    check(r.returncode == 2 and "token" in r.stderr,
          "a non-loopback address without a token is refused")


def tls(ws, coll):
    if not shutil.which("openssl"):
        print("note: no openssl: TLS not tested")
        return
    cert, key = ws.path("cert.pem"), ws.path("key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    srv = Server(ws, "-C", coll, "-l", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key)
    try:
        check(srv.url.startswith("https://"), "TLS: the URL is https")
        ctx = ssl.create_default_context(cafile=cert)
        import urllib.request
        with urllib.request.urlopen(srv.url + "api/status", context=ctx, timeout=20) as r:
            check(r.status == 200, "TLS: a request over HTTPS")
        plain = srv.url.replace("https://", "http://")
        st = 0
        try:
            st, _, _ = http(plain + "api/status", timeout=5)
        except Exception:
            pass
        check(st != 200, "TLS: plain HTTP gets no answer")
    finally:
        srv.stop()


NETNS_SCRIPT = r"""
set -e
ip link set lo up
ip addr add 10.77.0.1/32 dev lo
exec "$@"
"""


def non_loopback(ws, coll):
    """A real non-loopback address, in a network namespace of our own."""
    probe = subprocess.run(["unshare", "--net", "--map-root-user", "true"],
                           capture_output=True)
    if probe.returncode != 0 or not shutil.which("ip"):
        print("note: no network namespace here: non-loopback bind not tested")
        return
    wrap = ["unshare", "--net", "--map-root-user", "sh", "-c", NETNS_SCRIPT, "netns"]
    tf = write_token(ws, "ns-token")
    srv = Server(ws, "-C", coll, "-l", "10.77.0.1:0", "--token-file", tf, wrap=wrap)
    try:
        pid = srv.proc.pid
        # The namespace is the server's: reach it through /proc/PID/ns/net.
        base = ["nsenter", "--net=/proc/%d/ns/net" % _server_pid(pid)]
        out = subprocess.run(base + [sys.executable, "-c", CLIENT, srv.url],
                             capture_output=True, text=True, timeout=60)
        codes = out.stdout.split()
        check(codes == ["401", "200"],
              "10.77.0.1: no token -> 401, token -> 200 (got %r %s)" % (codes, out.stderr))
    finally:
        srv.stop()


def _server_pid(wrapper_pid):
    """unshare execs sh, which execs vlmindex: the same pid."""
    return wrapper_pid


CLIENT = r"""
import sys, urllib.request, urllib.error
url = sys.argv[1] + "api/status"
for hdr in ({}, {"Authorization": "Bearer s3cret-token-for-the-tests-0001"}):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=hdr), timeout=20) as r:
            print(r.status)
    except urllib.error.HTTPError as e:
        print(e.code)
"""


def unit_file(ws):
    """The systemd unit is valid (systemd-analyze verify, when present)."""
    unit = os.path.join(os.environ.get("VLM_BUILD_DIR", "build"), "server",
                        "vlmindex-serve.service")
    if not shutil.which("systemd-analyze") or not os.path.exists(unit):
        print("note: no systemd-analyze: the unit file is not verified")
        return
    text = open(unit).read()
    bindir = os.path.dirname(build_bin("vlmindex"))
    copy = ws.path("vlmindex-serve.service")
    with open(copy, "w") as f:
        f.write("\n".join(l.replace(l.split("=", 1)[1].split("/vlmindex ")[0],
                                     bindir, 1) if l.startswith("ExecStart=") else l
                          for l in text.splitlines()))
    r = subprocess.run(["systemd-analyze", "verify", "--man=no", copy],
                       capture_output=True, text=True)
    check(r.returncode == 0 and "serve --watch" in text,
          "the systemd unit verifies: " + r.stderr)


# ---- serve --watch -------------------------------------------------------------------


def serve_watch(ws):
    folder = ws.path("watched")
    os.mkdir(folder)
    shutil.copy(os.path.join(ws.photos, "cat.jpg"), folder)
    coll = ws.path("watched-coll")
    ws.vlmindex("add", "-q", "-M", ws.model, "-C", coll, folder)
    srv = Server(ws, "-C", coll, "-l", "127.0.0.1:0", "--watch",
                 "--debounce", "200", "--settle", "300")
    try:
        def images():
            st, r = get_json(srv.url + "api/status")
            return r["collections"][0]["images"]
        check(images() == 1, "serve --watch starts with the collection as it is")
        shutil.copy(os.path.join(ws.photos, "bee.jpg"), folder)
        wait_for(lambda: images() == 2, 15, "the new file to be served")
        with open(os.path.join(folder, "bee.jpg"), "rb") as f:
            st, r = get_json(srv.url + "api/search/image?n=1", method="POST", body=f.read())
        check(r["results"] and r["results"][0]["path"].endswith("/watched/bee.jpg"),
              "a file added while serving is found")
        os.remove(os.path.join(folder, "cat.jpg"))
        wait_for(lambda: images() == 1, 15, "the deleted file to go")
        rc = srv.stop()
        check(rc == 0, "serve --watch exits 0 (got %s): %s" % (rc, srv.stderr()[-2000:]))
    finally:
        srv.stop()


def main():
    ws = Workspace()
    srv = None
    try:
        photos = ws.photo_collection()
        dicom = ws.dicom_collection()
        srv = Server(ws, "-C", photos, *(["-C", dicom] if dicom else []),
                     "-l", "127.0.0.1:0", "--timeout", "2")
        port = int(srv.url.rsplit(":", 1)[1].strip("/"))
        ids = api_search(srv.url, ws)
        fanout(ws, srv.url)
        siglip_prob(ws, srv.url)
        api_images(srv.url, ws, photos, ids)
        if dicom:
            api_dicom(srv.url, 1)
        else:
            print("note: no DICOM collection (no GDCM module): DICOM API not tested")
        safety(srv.url, port)
        slow_clients(srv.url, port)
        load_test(srv.url)
        check(srv.proc.poll() is None, "the server survived everything")
        rc = srv.stop()
        check(rc == 0, "serve exits 0 on SIGTERM (got %s): %s" % (rc, srv.stderr()[-2000:]))
        srv = None
        token_on(ws, photos, "127.0.0.2:0")
        ipv6(ws, photos)
        refusals(ws, photos)
        tls(ws, photos)
        non_loopback(ws, photos)
        unit_file(ws)
        serve_watch(ws)
    finally:
        if srv:
            srv.stop()
        ws.cleanup()
    finish(failures, "server API test")


if __name__ == "__main__":
    main()
