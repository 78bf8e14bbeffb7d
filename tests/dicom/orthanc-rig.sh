#!/bin/sh
# orthanc-rig.sh — a throw-away Orthanc PACS for the DICOMweb tests.
#
#   orthanc-rig.sh start  DIR PORT [tls] [dimse]
#                                    start Orthanc (HTTP on PORT, loopback use
#                                    only) with the DICOMweb and GDCM plugins,
#                                    authentication on, storage in DIR; with
#                                    "tls", Orthanc's own HTTPS (SslEnabled)
#                                    with a CA made here (DIR/ca.pem; a second,
#                                    unrelated CA in DIR/wrong-ca.pem); with
#                                    "dimse", the DICOM port too (PORT+1, in
#                                    DIR/dimse_port; AE VLMTEST) with the
#                                    modality VLMINDEX@127.0.0.1 known, for
#                                    C-FIND and C-GET
#   orthanc-rig.sh upload DIR FILE.. POST each Part-10 file to /instances
#   orthanc-rig.sh stop   DIR        stop it by PID and wait for it to exit
#   orthanc-rig.sh check             exit 0 if Orthanc and the plugin exist
#
# The user is "vlmtest" with a random password written only to DIR/netrc
# (mode 0600), never to argv or stdout; curl reads it with --netrc-file.
# DIR/url holds the base URL (http:// or https://127.0.0.1:PORT).
# DIR is created with mode 0700.  The DIMSE (C-STORE) server is disabled, so
# the only listener is HTTP (unless "dimse"), and RemoteAccessAllowed=false rejects
# non-loopback clients (Orthanc 1.10 always binds 0.0.0.0).
set -eu

PLUGIN_DIR=/usr/share/orthanc/plugins
DICOMWEB=$PLUGIN_DIR/libOrthancDicomWeb.so
GDCM=$PLUGIN_DIR/libOrthancGdcm.so

die() { echo "orthanc-rig: $*" >&2; exit 1; }

check() {
    command -v Orthanc >/dev/null 2>&1 || die "Orthanc not installed (apt-get install orthanc)"
    [ -f "$DICOMWEB" ] || die "DICOMweb plugin missing (apt-get install orthanc-dicomweb)"
    command -v curl >/dev/null 2>&1 || die "curl not installed"
}

# A CA, a server certificate for 127.0.0.1 signed by it (with its key, as
# Orthanc wants in one PEM), and an unrelated CA for the wrong-CA tests.
make_certs() { # DIR
    command -v openssl >/dev/null 2>&1 || die "openssl not installed"
    (
        cd "$1" && umask 077
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=vlmtest CA" \
            -keyout ca.key -out ca.pem
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=vlmtest other CA" \
            -keyout wrong-ca.key -out wrong-ca.pem
        openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout server.key \
            -out server.csr
        printf 'subjectAltName=IP:127.0.0.1\n' > server.ext
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
            -days 2 -extfile server.ext -out server.pem
        cat server.pem server.key > orthanc-tls.pem
        rm -f ca.key wrong-ca.key server.key server.csr
    ) >/dev/null 2>&1 || die "could not make the test certificates"
}

# Debian 12's civetweb needs SSL_get_peer_certificate (civetweb_ssl_compat.c).
make_ssl_compat() { # DIR
    src=$(dirname "$0")/civetweb_ssl_compat.c
    command -v cc >/dev/null 2>&1 || die "cc not installed (needed for the civetweb TLS shim)"
    mkdir -p "$1/compat"
    cc -shared -fPIC -o "$1/compat/libssl.so" "$src" -Wl,--no-as-needed \
        -l:libssl.so.3 -l:libcrypto.so.3 2>"$1/compat/cc.log" ||
        die "could not build the civetweb TLS shim, see $1/compat/cc.log"
}

write_config() { # DIR PORT PASSWORD TLS DIMSE
    plugins="\"$DICOMWEB\""
    [ -f "$GDCM" ] && plugins="$plugins, \"$GDCM\""
    ssl=false dicom=false dport=0
    [ "$4" = tls ] && ssl=true
    [ "$5" = dimse ] && dicom=true dport=$(($2 + 1))
    cat > "$1/orthanc.json" <<JSON
{
  "Name" : "VLMTEST",
  "StorageDirectory" : "$1/storage",
  "IndexDirectory" : "$1/storage",
  "Plugins" : [ $plugins ],
  "HttpPort" : $2,
  "DicomServerEnabled" : $dicom,
  "DicomPort" : $dport,
  "DicomAet" : "VLMTEST",
  "DicomModalities" : { "vlmindex" : [ "VLMINDEX", "127.0.0.1", 11112 ] },
  "RemoteAccessAllowed" : false,
  "AuthenticationEnabled" : true,
  "RegisteredUsers" : { "vlmtest" : "$3" },
  "SaveJobs" : false,
  "DeidentifyLogs" : true,
  "SslEnabled" : $ssl,
  "SslCertificate" : "$1/orthanc-tls.pem",
  "DicomWeb" : { "Enable" : true, "Root" : "/dicom-web/", "Ssl" : $ssl }
}
JSON
    chmod 600 "$1/orthanc.json"
}

start() { # DIR PORT [tls]
    check
    dir=$1 port=$2 tls='' dimse=''
    for opt in ${3:-} ${4:-}; do
        case $opt in
        tls) tls=tls ;; dimse) dimse=dimse ;; *) die "unknown option $opt" ;;
        esac
    done
    [ -f "$dir/orthanc.pid" ] && kill -0 "$(cat "$dir/orthanc.pid")" 2>/dev/null &&
        die "already running in $dir"
    mkdir -p "$dir" && chmod 700 "$dir"
    pw=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
    url=http://127.0.0.1:$port libpath=${LD_LIBRARY_PATH:-}
    if [ "$tls" = tls ]; then
        make_certs "$dir"
        make_ssl_compat "$dir"
        url=https://127.0.0.1:$port libpath=$dir/compat${libpath:+:$libpath}
    fi
    write_config "$dir" "$port" "$pw" "$tls" "$dimse"
    umask 077
    printf 'machine 127.0.0.1 login vlmtest password %s\n' "$pw" > "$dir/netrc"
    LD_LIBRARY_PATH=$libpath Orthanc --logfile="$dir/orthanc.log" "$dir/orthanc.json" >/dev/null 2>&1 &
    echo $! > "$dir/orthanc.pid"
    echo "$url" > "$dir/url"
    i=0
    while [ $i -lt 100 ]; do
        if rig_curl "$dir" -sf -o /dev/null "$url/system"; then
            echo "$port" > "$dir/port"
            [ -z "$dimse" ] || echo $((port + 1)) > "$dir/dimse_port"
            return 0
        fi
        kill -0 "$(cat "$dir/orthanc.pid")" 2>/dev/null || die "Orthanc exited (port $port busy?), see $dir/orthanc.log"
        sleep 0.1; i=$((i + 1))
    done
    stop "$dir"
    die "Orthanc did not answer on port $port within 10 s"
}

# curl with the rig's credentials (and its CA when it serves HTTPS).
rig_curl() { # DIR CURL-ARGS...
    d=$1; shift
    if [ -f "$d/ca.pem" ]; then
        curl --netrc-file "$d/netrc" --cacert "$d/ca.pem" "$@"
    else
        curl --netrc-file "$d/netrc" "$@"
    fi
}

upload() { # DIR FILE...
    dir=$1; shift
    url=$(cat "$dir/url")
    for f in "$@"; do
        code=$(rig_curl "$dir" -s -o /dev/null -w '%{http_code}' \
            -H 'Content-Type: application/dicom' --data-binary @"$f" \
            "$url/instances")
        [ "$code" = 200 ] || die "upload of $f failed: HTTP $code"
    done
}

stop() { # DIR
    pidf=$1/orthanc.pid
    [ -f "$pidf" ] || return 0
    pid=$(cat "$pidf")
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        i=0
        while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    fi
    rm -f "$pidf"
}

cmd=${1:-}
case "$cmd" in
    start) [ $# -ge 3 ] && [ $# -le 5 ] || die "usage: $0 start DIR PORT [tls] [dimse]"
        start "$2" "$3" "${4:-}" "${5:-}" ;;
    upload) [ $# -ge 3 ] || die "usage: $0 upload DIR FILE..."; shift; upload "$@" ;;
    stop) [ $# -eq 2 ] || die "usage: $0 stop DIR"; stop "$2" ;;
    check) check ;;
    *) die "usage: $0 start DIR PORT [tls] [dimse] | upload DIR FILE... | stop DIR | check" ;;
esac
