#!/usr/bin/python3
"""hostile_qido.py — a loopback DICOMweb server that misbehaves on purpose,
for the tests of a client that must always end (test_dicomweb_hostile.c).

    hostile_qido.py MODE DIR [REDIRECT_PORT]

Listens on 127.0.0.1 (a free port), writes DIR/port, and appends one line
per request to DIR/requests.log: "PATH<TAB>auth" or "PATH<TAB>-" (whether
an Authorization header came).  Runs until killed.  MODE decides how
/studies answers (series and instance listings are empty arrays):

  repeat        exactly `limit` studies, the same UIDs whatever the offset
  fresh         exactly `limit` new studies on every page, without end
  ignore_limit  limit + 5 studies on every page
  short         limit - 1 studies
  stall         never answers (holds the connection open)
  stall_body    status, headers and "[" then nothing
  drip          one byte of white space every 0.3 s, without end
  big           one study, one series, and `limit` instances of ~12 KB
                each (a legal answer of many MB), then an empty page
  huge_record   one study whose description is 100 MB
  malformed     a broken second element
  truncated     the array never closes
  html          200 with Content-Type text/html
  redirect      302 to http://127.0.0.1:REDIRECT_PORT/ (another origin)
  unavailable   503 on every request
  record        200 [] (used as the redirect target: only records)
"""
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

MODE, DIR = sys.argv[1], sys.argv[2]
REDIRECT_PORT = sys.argv[3] if len(sys.argv) > 3 else "1"


def study(uid, pad=0):
    desc = ', "00081030": {"vr": "LO", "Value": ["%s"]}' % ("x" * pad) if pad else ""
    return '{"0020000D": {"vr": "UI", "Value": ["%s"]}%s}' % (uid, desc)


def studies(first, count, pad=0):
    return "[" + ",".join(study("1.2.826.0.1.99.%d" % (first + i), pad)
                          for i in range(count)) + "]"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def record(self):
        auth = "auth" if self.headers.get("Authorization") else "-"
        with open(DIR + "/requests.log", "a") as f:
            f.write("%s\t%s\n" % (urlparse(self.path).path, auth))

    def send(self, code, body, ctype="application/dicom+json", extra=None):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def hold(self, seconds=600):
        time.sleep(seconds)

    def do_GET(self):
        self.record()
        url = urlparse(self.path)
        q = parse_qs(url.query)
        limit = int(q.get("limit", ["100"])[0])
        offset = int(q.get("offset", ["0"])[0])
        if MODE == "redirect":
            return self.send(302, "", "text/plain", {
                "Location": "http://127.0.0.1:%s%s" % (REDIRECT_PORT, self.path)})
        if MODE == "unavailable":
            return self.send(503, "busy", "text/plain")
        if MODE == "big":
            return self.big(url.path, limit, offset)
        if not url.path.endswith("/studies") or MODE == "record":
            return self.send(200, "[]")
        self.studies(limit, offset)

    def big(self, path, limit, offset):
        """One study, one series, then `limit` instances of ~12 KB."""
        if path.endswith("/studies"):
            return self.send(200, studies(0, 1) if offset == 0 else "[]")
        if path.endswith("/series"):
            return self.send(200, '[{"0020000E": {"vr": "UI", "Value": ["1.2.9"]}}]'
                             if offset == 0 else "[]")
        pad = "x" * 12000
        recs = ('{"00080018": {"vr": "UI", "Value": ["1.2.9.%d"]}, '
                '"0008103E": {"vr": "LO", "Value": ["%s"]}}' % (offset + i, pad)
                for i in range(limit))
        self.send(200, "[" + ",".join(recs) + "]" if offset == 0 else "[]")

    def studies(self, limit, offset):
        if MODE == "repeat":
            self.send(200, studies(0, limit))
        elif MODE == "fresh":
            self.send(200, studies(offset, limit))
        elif MODE == "ignore_limit":
            self.send(200, studies(0, limit + 5))
        elif MODE == "short":
            self.send(200, studies(offset, max(limit - 1, 0)))
        elif MODE == "huge_record":
            self.send(200, studies(0, 1, pad=100 << 20))
        elif MODE == "malformed":
            self.send(200, '[' + study("1.2.3") + ', {"0020000D": {"vr": nope}}]')
        elif MODE == "truncated":
            self.send(200, '[' + study("1.2.3") + ',')
        elif MODE == "html":
            self.send(200, "<html><body>login</body></html>", "text/html")
        elif MODE == "stall":
            self.hold()
        elif MODE == "stall_body":
            self.send_response(200)
            self.send_header("Content-Type", "application/dicom+json")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"[")
            self.wfile.flush()
            self.hold()
        elif MODE == "drip":
            self.send_response(200)
            self.send_header("Content-Type", "application/dicom+json")
            self.send_header("Content-Length", "100000000")
            self.end_headers()
            self.wfile.write(b"[")
            for _ in range(2000):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.3)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    address_family = socket.AF_INET

    def handle_error(self, request, client_address):
        pass  # the client hangs up on purpose in most tests


def main():
    srv = Server(("127.0.0.1", 0), Handler)
    open(DIR + "/requests.log", "w").close()
    with open(DIR + "/port.tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    import os
    os.rename(DIR + "/port.tmp", DIR + "/port")
    srv.serve_forever()


if __name__ == "__main__":
    main()
