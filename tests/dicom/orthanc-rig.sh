#!/bin/sh
# orthanc-rig.sh — a throw-away Orthanc PACS for the DICOMweb tests.
#
#   orthanc-rig.sh start  DIR PORT   start Orthanc (HTTP on PORT, loopback use
#                                    only) with the DICOMweb and GDCM plugins,
#                                    authentication on, storage in DIR
#   orthanc-rig.sh upload DIR FILE.. POST each Part-10 file to /instances
#   orthanc-rig.sh stop   DIR        stop it by PID and wait for it to exit
#   orthanc-rig.sh check             exit 0 if Orthanc and the plugin exist
#
# The user is "vlmtest" with a random password written only to DIR/netrc
# (mode 0600), never to argv or stdout; curl reads it with --netrc-file.
# DIR is created with mode 0700.  The DIMSE (C-STORE) server is disabled, so
# the only listener is HTTP, and RemoteAccessAllowed=false rejects
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

write_config() { # DIR PORT
    plugins="\"$DICOMWEB\""
    [ -f "$GDCM" ] && plugins="$plugins, \"$GDCM\""
    cat > "$1/orthanc.json" <<JSON
{
  "Name" : "VLMTEST",
  "StorageDirectory" : "$1/storage",
  "IndexDirectory" : "$1/storage",
  "Plugins" : [ $plugins ],
  "HttpPort" : $2,
  "DicomServerEnabled" : false,
  "DicomPort" : 0,
  "RemoteAccessAllowed" : false,
  "AuthenticationEnabled" : true,
  "RegisteredUsers" : { "vlmtest" : "$3" },
  "SaveJobs" : false,
  "DeidentifyLogs" : true,
  "DicomWeb" : { "Enable" : true, "Root" : "/dicom-web/" }
}
JSON
    chmod 600 "$1/orthanc.json"
}

start() { # DIR PORT
    check
    dir=$1 port=$2
    [ -f "$dir/orthanc.pid" ] && kill -0 "$(cat "$dir/orthanc.pid")" 2>/dev/null &&
        die "already running in $dir"
    mkdir -p "$dir" && chmod 700 "$dir"
    pw=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
    write_config "$dir" "$port" "$pw"
    umask 077
    printf 'machine 127.0.0.1 login vlmtest password %s\n' "$pw" > "$dir/netrc"
    Orthanc --logfile="$dir/orthanc.log" "$dir/orthanc.json" >/dev/null 2>&1 &
    echo $! > "$dir/orthanc.pid"
    i=0
    while [ $i -lt 100 ]; do
        if curl -sf -o /dev/null --netrc-file "$dir/netrc" "http://127.0.0.1:$port/system"; then
            echo "$port" > "$dir/port"
            return 0
        fi
        kill -0 "$(cat "$dir/orthanc.pid")" 2>/dev/null || die "Orthanc exited (port $port busy?), see $dir/orthanc.log"
        sleep 0.1; i=$((i + 1))
    done
    stop "$dir"
    die "Orthanc did not answer on port $port within 10 s"
}

upload() { # DIR FILE...
    dir=$1; shift
    port=$(cat "$dir/port")
    for f in "$@"; do
        code=$(curl -s -o /dev/null -w '%{http_code}' --netrc-file "$dir/netrc" \
            -H 'Content-Type: application/dicom' --data-binary @"$f" \
            "http://127.0.0.1:$port/instances")
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
    start) [ $# -eq 3 ] || die "usage: $0 start DIR PORT"; start "$2" "$3" ;;
    upload) [ $# -ge 3 ] || die "usage: $0 upload DIR FILE..."; shift; upload "$@" ;;
    stop) [ $# -eq 2 ] || die "usage: $0 stop DIR"; stop "$2" ;;
    check) check ;;
    *) die "usage: $0 start DIR PORT | upload DIR FILE... | stop DIR | check" ;;
esac
