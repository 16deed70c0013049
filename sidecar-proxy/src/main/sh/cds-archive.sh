#!/bin/sh
# Builds the sidecar's class-data-sharing archive (AppCDS, JDK 13+ dynamic archive): one training run of
# `mesh proxy` with the flags file, configured by a control plane on loopback and past its first request,
# whose JVM writes the classes it loaded at exit. Sidecars started with -XX:SharedArchiveFile=ARCHIVE
# map those classes already parsed and verified instead of loading them from the jars.
#
#   cds-archive.sh ARCHIVE FLAGS_FILE JAR
#
# Run by ./mesh after it builds the jar, and by docker/proxy.Dockerfile at image build time: the archive
# holds only for the JDK and the jars it was made with. POSIX sh and busybox (curl or wget) so that it
# runs in the Alpine image too. On failure it says why and leaves no archive: sidecars then start
# without one.
set -eu
ARCHIVE="$1"; FLAGS="$2"; JAR="$3"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
WORK="$(mktemp -d)"
CP_PID=""; PROXY_PID=""
cleanup() {
  for pid in $PROXY_PID $CP_PID; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "cds-archive: $* (log: $(tail -3 "$WORK"/*.log 2>/dev/null | tr '\n' ' '))" >&2; exit 1; }
fetch() { # url [host]: true on a 2xx answer
  if command -v curl >/dev/null; then curl -fs -o /dev/null ${2:+-H "Host: $2"} "$1"
  else wget -q -O /dev/null ${2:+--header "Host: $2"} "$1"; fi
}
await() { # url what
  i=0
  until fetch "$1"; do
    i=$((i + 1)); [ "$i" -lt 120 ] || fail "$2 did not answer within 120 s"
    sleep 1
  done
}

# Ports from a range picked by this shell's pid: a clash only costs this archive.
BASE=$((20000 + $$ % 20000))
XDS=$BASE; CP_ADMIN=$((BASE + 1)); CA=$((BASE + 2)); OUT=$((BASE + 3)); IN=$((BASE + 4))
ADMIN=$((BASE + 5)); HEALTH=$((BASE + 6)); METRICS=$((BASE + 7))
mkdir "$WORK/config"
# The request goes through the sidecar to the control plane's own admin port, so no other backend is needed.
cat > "$WORK/config/cds.yaml" <<YAML
apiVersion: v1
kind: Service
metadata: {name: cds, namespace: default}
spec: {selector: {app: cds}, ports: [{name: http, port: 8080, targetPort: http, appProtocol: http}]}
---
apiVersion: meshwork.io/v1alpha1
kind: Workload
metadata: {name: cds-backend, namespace: default, labels: {app: cds}}
spec: {address: 127.0.0.1, ports: {http: $CP_ADMIN}}
---
apiVersion: meshwork.io/v1alpha1
kind: Workload
metadata: {name: cds-client, namespace: default, labels: {app: cds-client}}
spec: {address: 127.0.0.1, ports: {http: $IN}}
YAML
"$JAVA" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -jar "$JAR" control-plane --config-dir "$WORK/config" \
  --xds-port "$XDS" --admin-port "$CP_ADMIN" --ca-port "$CA" > "$WORK/control-plane.log" 2>&1 &
CP_PID=$!
await "http://127.0.0.1:$CP_ADMIN/ready" "the control plane"
"$JAVA" "@$FLAGS" -XX:ArchiveClassesAtExit="$WORK/proxy.jsa" -jar "$JAR" proxy --xds "127.0.0.1:$XDS" \
  --workload cds-client --namespace default --outbound-port "$OUT" --inbound-port "$IN" --admin-port "$ADMIN" \
  --health-port "$HEALTH" --metrics-port "$METRICS" > "$WORK/proxy.log" 2>&1 &
PROXY_PID=$!
await "http://127.0.0.1:$HEALTH/healthz/ready" "the training sidecar"
i=0
until grep -q 'listener outbound listening' "$WORK/proxy.log"; do
  i=$((i + 1)); [ "$i" -lt 30 ] || fail "the training sidecar bound no outbound listener"; sleep 1
done
fetch "http://127.0.0.1:$OUT/ready" cds || fail "no answer through the training sidecar"
# SIGTERM: the sidecar drains and exits, and its JVM writes the archive on the way out.
kill "$PROXY_PID"; wait "$PROXY_PID" || true; PROXY_PID=""
[ -s "$WORK/proxy.jsa" ] || fail "the training sidecar wrote no archive"
mv "$WORK/proxy.jsa" "$ARCHIVE"
echo "cds-archive: wrote $ARCHIVE ($(($(wc -c < "$ARCHIVE") / 1048576)) MB)" >&2
