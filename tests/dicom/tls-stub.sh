#!/bin/sh
# tls-stub.sh — a throw-away TLS server for the certificate-verification
# tests: `openssl s_server -www` on 127.0.0.1 with a fresh self-signed
# certificate (DIR/cert.pem; CN and SAN 127.0.0.1).  It answers any GET
# with an HTML status page, which is enough to tell "TLS refused" from
# "TLS accepted".
#   tls-stub.sh start DIR PORT | stop DIR
set -eu
die() { echo "tls-stub: $*" >&2; exit 1; }
case "${1:-}" in
start)
    [ $# -eq 3 ] || die "usage: $0 start DIR PORT"
    command -v openssl >/dev/null 2>&1 || die "openssl not installed"
    dir=$2 port=$3
    mkdir -p "$dir" && chmod 700 "$dir"
    openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=127.0.0.1" \
        -addext "subjectAltName=IP:127.0.0.1" \
        -keyout "$dir/key.pem" -out "$dir/cert.pem" >/dev/null 2>&1
    openssl s_server -quiet -www -accept "127.0.0.1:$port" \
        -cert "$dir/cert.pem" -key "$dir/key.pem" >"$dir/tls.log" 2>&1 </dev/null &
    echo $! > "$dir/tls.pid"
    i=0
    while [ $i -lt 50 ]; do
        curl -s -o /dev/null --cacert "$dir/cert.pem" "https://127.0.0.1:$port/" && exit 0
        kill -0 "$(cat "$dir/tls.pid")" 2>/dev/null || die "s_server exited, see $dir/tls.log"
        sleep 0.1; i=$((i + 1))
    done
    die "s_server did not answer on $port" ;;
stop)
    [ $# -eq 2 ] || die "usage: $0 stop DIR"
    [ -f "$2/tls.pid" ] || exit 0
    kill "$(cat "$2/tls.pid")" 2>/dev/null || true
    rm -f "$2/tls.pid" ;;
*) die "usage: $0 start DIR PORT | stop DIR" ;;
esac
