#!/usr/bin/env bash
# Mutual TLS between two sidecars, against the same two sidecars in plaintext and against two HAProxy
# instances with TLS between them, in one run on loopback; and TLS handshakes per CPU second.
#
#   bench/mtls-bench.sh [--duration SECONDS] [--no-update]
#
# Path measured: wrk -> client proxy (plaintext in) -> server proxy (mTLS or plaintext) -> nginx backend.
# Meshwork: one control plane with a CA (mesh token create for each sidecar), a client sidecar and a server
# sidecar; the server workload has two ports to the same app, one STRICT and one DISABLE (PeerAuthentication
# portLevelMtls), so the same two processes carry both rows. HAProxy: a front instance that originates TLS
# (client certificate, verify required) to a back instance that terminates it (verify required), both with
# certificates from the same mesh CA, ECDSA P-256, TLS 1.3. Both proxies of a pair on CPU 1, wrk and the
# backend on CPU 0. Per row: req/s at 50 connections, CPU µs per request of both proxies together, p50/p99 at
# 1 and 10 connections and what they add over a direct connection. Handshakes: `openssl s_time -new`
# (full handshakes, client certificate) to the server sidecar's STRICT port and to the TLS HAProxy, on CPU 0;
# per CPU second of the proxy. Writes the "Mutual TLS" section of BENCHMARKS.md unless --no-update.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DURATION="${BENCH_DURATION:-15}"
UPDATE=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration) DURATION="$2"; shift 2 ;;
    --no-update) UPDATE=0; shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
bench_install_missing wrk haproxy nginx openssl
WORK="$(mktemp -d -t mtls-bench.XXXXXX)"
bench_start_cleanup

# --- backend -----------------------------------------------------------------------------------
BODY="hello from the meshwork mtls benchmark backend"
BACKEND_PORT="$(free_port)"
bench_backend "$BACKEND_PORT" "$BODY"
wait_http "http://127.0.0.1:$BACKEND_PORT/" "" "$BACKEND_PID"

# --- Meshwork: control plane with a CA, client and server sidecars --------------------------------
CONFIG="$WORK/config"; mkdir -p "$CONFIG"
CA="$WORK/ca"
MTLS_PORT="$(free_port)"; PLAIN_PORT="$(free_port)"
cat > "$CONFIG/bench.yaml" <<EOF
# bench-server: one app (the nginx backend) behind its sidecar on two ports, one STRICT, one DISABLE.
apiVersion: v1
kind: Service
metadata: {name: bench-mtls, namespace: default}
spec:
  selector: {app: bench-server}
  ports: [{name: http, port: 8080, targetPort: http-mtls, appProtocol: http}]
---
apiVersion: v1
kind: Service
metadata: {name: bench-plain, namespace: default}
spec:
  selector: {app: bench-server}
  ports: [{name: http, port: 8080, targetPort: http-plain, appProtocol: http}]
---
apiVersion: meshwork.io/v1alpha1
kind: Workload
metadata: {name: bench-server, namespace: default, labels: {app: bench-server, version: v1}}
spec:
  address: 127.0.0.1
  ports: {http-mtls: $MTLS_PORT, http-plain: $PLAIN_PORT}
  appPorts: {http-mtls: $BACKEND_PORT, http-plain: $BACKEND_PORT}
  serviceAccount: bench-server
---
apiVersion: meshwork.io/v1alpha1
kind: Workload
metadata: {name: bench-client, namespace: default, labels: {app: bench-client, version: v1}}
spec:
  address: 127.0.0.1
  ports: {http: $(free_port)}
  appPorts: {http: $(free_port)}
  serviceAccount: bench-client
---
apiVersion: meshwork.io/v1alpha1
kind: PeerAuthentication
metadata: {name: bench-server, namespace: default}
spec:
  selector: {matchLabels: {app: bench-server}}
  mtls: {mode: STRICT}
  portLevelMtls:
    $PLAIN_PORT: {mode: DISABLE}
EOF
XDS_PORT="$(free_port)"; CP_ADMIN_PORT="$(free_port)"; CA_PORT="$(free_port)"
(cd "$ROOT" && exec taskset -c 0 ./mesh control-plane --config-dir "$CONFIG" --xds-port "$XDS_PORT" \
    --admin-port "$CP_ADMIN_PORT" --ca-dir "$CA" --ca-port "$CA_PORT") > "$WORK/control-plane.log" 2>&1 &
CP_PID=$!; PIDS+=("$CP_PID")
wait_http "http://127.0.0.1:$CP_ADMIN_PORT/ready" "" "$CP_PID"
start_sidecar() { # workload -> sets SIDECAR_PID, SIDECAR_OUT
  local w="$1" out health
  (cd "$ROOT" && ./mesh token create --ca-dir "$CA" --workload "$w" --service-account "$w") > "$WORK/$w.jwt"
  out="$(free_port)"; health="$(free_port)"
  (cd "$ROOT" && exec taskset -c 1 ./mesh proxy --xds "127.0.0.1:$XDS_PORT" --workload "$w" --namespace default \
      --service-account "$w" --outbound-port "$out" --inbound-port "$(free_port)" --admin-port "$(free_port)" \
      --health-port "$health" --metrics-port "$(free_port)" --token-file "$WORK/$w.jwt" \
      --ca-address "127.0.0.1:$CA_PORT" --ca-root-file "$CA/root-cert.pem") > "$WORK/$w.log" 2>&1 &
  SIDECAR_PID=$!; PIDS+=("$SIDECAR_PID")
  wait_http "http://127.0.0.1:$health/healthz/ready" "" "$SIDECAR_PID"
  SIDECAR_OUT="$out"
}
start_sidecar bench-server; SERVER_PID="$SIDECAR_PID"
start_sidecar bench-client; CLIENT_PID="$SIDECAR_PID"; CLIENT_OUT="$SIDECAR_OUT"
wait_http "http://127.0.0.1:$CLIENT_OUT/" bench-mtls "$CLIENT_PID"
wait_http "http://127.0.0.1:$CLIENT_OUT/" bench-plain "$CLIENT_PID"
grep -m1 "ready" "$WORK/bench-server.log" | sed 's/.*ready (/sidecar TLS: (/' >&2 || true

# --- HAProxy pair with TLS between them, certificates from the same CA ----------------------------
leaf() { # name spiffe-sa
  openssl ecparam -name prime256v1 -genkey -noout -out "$WORK/$1.key" 2>/dev/null
  openssl req -new -key "$WORK/$1.key" -subj "/O=bench" -out "$WORK/$1.csr" 2>/dev/null
  printf 'subjectAltName=URI:spiffe://cluster.local/ns/default/sa/%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$2" > "$WORK/$1.ext"
  openssl x509 -req -in "$WORK/$1.csr" -CA "$CA/ca-cert.pem" -CAkey "$CA/ca-key.pem" -CAcreateserial -days 2 \
    -extfile "$WORK/$1.ext" -out "$WORK/$1.crt" 2>/dev/null
  cat "$WORK/$1.crt" "$CA/cert-chain.pem" "$WORK/$1.key" > "$WORK/$1.pem"
}
leaf haproxy-front bench-client; leaf haproxy-back bench-server; leaf s-time bench-client
cat "$CA/root-cert.pem" > "$WORK/root.pem"
FRONT_PORT="$(free_port)"; BACK_PORT="$(free_port)"
{ bench_haproxy_head "  ssl-default-bind-options ssl-min-ver TLSv1.3"; cat <<EOF
frontend tls_in
  bind 127.0.0.1:$BACK_PORT ssl crt $WORK/haproxy-back.pem ca-file $WORK/root.pem verify required
  default_backend app
backend app
  server b1 127.0.0.1:$BACKEND_PORT
EOF
} > "$WORK/haproxy-back.cfg"
sed -e "s|frontend tls_in|frontend plain_in|" -e "s|bind 127.0.0.1:$BACK_PORT .*|bind 127.0.0.1:$FRONT_PORT|" \
    -e "s|server b1 127.0.0.1:$BACKEND_PORT|server back 127.0.0.1:$BACK_PORT ssl crt $WORK/haproxy-front.pem ca-file $WORK/root.pem verify required|" \
    "$WORK/haproxy-back.cfg" > "$WORK/haproxy-front.cfg"
taskset -c 1 haproxy -db -f "$WORK/haproxy-back.cfg" > "$WORK/haproxy-back.log" 2>&1 &
HB_PID=$!; PIDS+=("$HB_PID")
taskset -c 1 haproxy -db -f "$WORK/haproxy-front.cfg" > "$WORK/haproxy-front.log" 2>&1 &
HF_PID=$!; PIDS+=("$HF_PID")
wait_http "http://127.0.0.1:$FRONT_PORT/" "" "$HF_PID"

# --- measurement: rows take turns slice by slice -------------------------------------------------
ROWS=(direct meshwork-plain meshwork-mtls haproxy-tls)
port_of() { case "$1" in direct) echo "$BACKEND_PORT" ;; meshwork-*) echo "$CLIENT_OUT" ;; haproxy-tls) echo "$FRONT_PORT" ;; esac; }
host_of() { case "$1" in meshwork-plain) echo bench-plain ;; meshwork-mtls) echo bench-mtls ;; *) echo "" ;; esac; }
pids_of() { case "$1" in direct) echo "" ;; meshwork-*) echo "$CLIENT_PID $SERVER_PID" ;; haproxy-tls) echo "$HF_PID $HB_PID" ;; esac; }
say "warming the sidecars up (20s of load on each path, then new connections) ..."
for h in bench-mtls bench-plain; do
  taskset -c 0 wrk -t1 -c50 -d10s -H "Host: $h" "http://127.0.0.1:$CLIENT_OUT/" >/dev/null 2>&1
  for c in 10 1; do taskset -c 0 wrk -t1 -c"$c" -d5s -H "Host: $h" "http://127.0.0.1:$CLIENT_OUT/" >/dev/null 2>&1; done
done
REPS="${BENCH_REPS:-10}"
SLICE=$(( DURATION / REPS )); if [[ "$SLICE" -lt 1 ]]; then SLICE=1; fi
declare -A S R
LOADAVG="$(cut -d' ' -f1-3 /proc/loadavg)"; START=$SECONDS
for c in 50 1 10; do
  say "  $c connection(s): ${ROWS[*]} in turn, $REPS slices of ${SLICE}s ..."
  for _ in $(seq "$REPS"); do
    for t in "${ROWS[@]}"; do
      before="$(ticks_of "$(pids_of "$t")")"
      run_wrk "$c" "$(port_of "$t")" "$(host_of "$t")" "$SLICE"
      after="$(ticks_of "$(pids_of "$t")")"
      if [[ "$c" == 50 ]]; then
        S[$t,rps]+=" $(wrk_rps)"
        S[$t,requests]=$(( ${S[$t,requests]:-0} + $(wrk_requests) ))
        S[$t,ticks]=$(( ${S[$t,ticks]:-0} + after - before ))
      else
        for p in 50 99; do S[$t,p${p}_$c]+=" $(wrk_pct "$p")"; done
      fi
    done
  done
done
for t in "${ROWS[@]}"; do
  R[$t,rps]="$(median <<<"${S[$t,rps]}")"
  R[$t,cpu]="-"
  if [[ "$t" != direct && "${S[$t,requests]:-0}" -gt 0 ]]; then
    R[$t,cpu]="$(awk -v t="${S[$t,ticks]}" -v hz="$(getconf CLK_TCK)" -v n="${S[$t,requests]}" 'BEGIN { printf "%.1f", t / hz / n * 1e6 }')"
  fi
  for k in p50_1 p99_1 p50_10 p99_10; do R[$t,$k]="$(median <<<"${S[$t,$k]}")"; done
done

# --- TLS handshakes per CPU second of the terminating proxy ----------------------------------------
handshakes() { # port pid -> "handshakes cpu-seconds"
  local before after out
  before="$(ticks_of "$2")"
  out="$(taskset -c 0 openssl s_time -connect "127.0.0.1:$1" -new -time "$SLICE_HS" -cert "$WORK/s-time.crt" \
    -key "$WORK/s-time.key" -CAfile "$WORK/root.pem" 2>&1 || true)"
  after="$(ticks_of "$2")"
  awk -v n="$(awk '/connections in [0-9.]+s/ && !d {print $1; d=1}' <<<"$out")" -v t="$((after - before))" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { printf "%d %.2f", n, t / hz }'
}
SLICE_HS="${BENCH_HANDSHAKE_SECONDS:-10}"
say "TLS handshakes (openssl s_time -new, client certificate, ${SLICE_HS}s each) ..."
read -r HS_MESH HS_MESH_CPU <<<"$(handshakes "$MTLS_PORT" "$SERVER_PID")"
read -r HS_HAP HS_HAP_CPU <<<"$(handshakes "$BACK_PORT" "$HB_PID")"
per_cpu() { awk -v n="$1" -v c="$2" 'BEGIN { if (c + 0 > 0) printf "%.0f", n / c; else print "n/a" }'; }
ELAPSED=$((SECONDS - START)); LOADAVG_END="$(cut -d' ' -f1-3 /proc/loadavg)"

# --- report -------------------------------------------------------------------------------------
REPORT="$WORK/report.md"
{
  echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) CPUs, load average $LOADAVG at start, $LOADAVG_END at the end;"
  echo "${DURATION}s per point and row in $REPS interleaved slices (medians), wrk 1 thread on CPU 0 with the backend, both"
  echo "proxies of a pair on CPU 1; ${ELAPSED}s of measuring. $(grep -m1 -o 'TLS [^,]*' "$WORK/bench-server.log" || echo "TLS engine: see the sidecar log")."
  echo "HAProxy $(haproxy -v | head -1 | awk '{print $3}') (nbthread 1, TLS 1.3, client certificates, verify required both ways)."
  echo "Latencies in µs; CPU/req = both proxies' utime+stime / requests at 50 connections."
  echo
  echo "| path | req/s @50 | CPU µs/req (both proxies) | p50 @1 | p99 @1 | p50 @10 | p99 @10 | added p50 @1 | added p99 @1 | added p99 @10 |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  for t in "${ROWS[@]}"; do
    a50=""; a991=""; a9910=""
    if [[ "$t" != direct ]]; then
      a50="$(added "${R[$t,p50_1]}" "${R[direct,p50_1]}")"; a991="$(added "${R[$t,p99_1]}" "${R[direct,p99_1]}")"
      a9910="$(added "${R[$t,p99_10]}" "${R[direct,p99_10]}")"
    fi
    echo "| $t | ${R[$t,rps]} | ${R[$t,cpu]} | ${R[$t,p50_1]} | ${R[$t,p99_1]} | ${R[$t,p50_10]} | ${R[$t,p99_10]} | $a50 | $a991 | $a9910 |"
  done
  echo
  echo "| ratio | value | aim |"
  echo "| --- | ---: | --- |"
  echo "| Meshwork mTLS / HAProxy TLS, CPU per request | $(ratio "${R[meshwork-mtls,cpu]}" "${R[haproxy-tls,cpu]}") | ≤ 1.5 |"
  echo "| Meshwork mTLS / HAProxy TLS, req/s | $(ratio "${R[meshwork-mtls,rps]}" "${R[haproxy-tls,rps]}") | |"
  echo "| Meshwork mTLS / Meshwork plaintext, CPU per request | $(ratio "${R[meshwork-mtls,cpu]}" "${R[meshwork-plain,cpu]}") | |"
  echo "| Meshwork mTLS added p99 @1 connection, µs | $(added "${R[meshwork-mtls,p99_1]}" "${R[direct,p99_1]}") | < 1000 |"
  echo
  echo "TLS handshakes (full, ECDSA P-256, client certificate verified), \`openssl s_time -new\` on CPU 0 for ${SLICE_HS}s:"
  echo
  echo "| terminating proxy | handshakes | proxy CPU s | handshakes per proxy CPU second |"
  echo "| --- | ---: | ---: | ---: |"
  echo "| Meshwork sidecar (STRICT inbound) | $HS_MESH | $HS_MESH_CPU | $(per_cpu "$HS_MESH" "$HS_MESH_CPU") |"
  echo "| HAProxy (verify required) | $HS_HAP | $HS_HAP_CPU | $(per_cpu "$HS_HAP" "$HS_HAP_CPU") |"
  echo
  echo "Reproduce: \`bench/mtls-bench.sh --duration $DURATION\`."
} > "$REPORT"
cat "$REPORT"
if [[ "$UPDATE" == 1 ]]; then bench_update_section "$ROOT/BENCHMARKS.md" "Mutual TLS between sidecars" "$REPORT"; fi
