#!/usr/bin/env bash
# The gateway with TLS termination against HAProxy terminating the same TLS: same certificate, same
# backend, same clients, in one run on loopback (issue 16: aim ≤ 1.5× HAProxy's CPU per request).
#
#   bench/gateway-tls-bench.sh [--duration SECONDS] [--quick] [--no-update]
#
# Path measured: client -> proxy (TLS 1.3 terminated, ECDSA P-256 certificate made for the run, no client
# certificate) -> nginx backend over plaintext HTTP/1.1 with upstream keep-alive. Meshwork: `./mesh gateway`
# (as the README starts it) for a Gateway with one HTTPS listener whose certificate is a Secret in the
# folder, served to it over SDS by `./mesh control-plane`, and an HTTPRoute to the backend's Service.
# HAProxy: one thread, `bind ... ssl crt` with the same key and certificate, ALPN h2,http/1.1.
# Both proxies on CPU 1; clients and backend on CPU 0. Rows, the two proxies taking turns slice by slice:
#   h1-keepalive  wrk -t1 -c50 over https (HTTP/1.1 keep-alive)
#   h2            h2load -c10 -m10 over https (ALPN h2)
#   h1-handshake  wrk -t1 -c10 over https with Connection: close (a full TLS handshake per request)
# Per row and proxy: req/s (median of the slices), CPU µs per request (proxy utime+stime over all the row's
# requests), p50/p99 in µs at that load (wrk --latency; h2load --log-file), and the ratio to HAProxy.
# Warm-up: HTTP/1.1 on each proxy, then rounds of every row on the gateway (its JIT: see the warm-up below).
# --quick: shorter slices and warm-up, BENCHMARKS.md not touched (about 3 minutes). Otherwise it writes the
# "Gateway: TLS termination against HAProxy" section of BENCHMARKS.md unless --no-update (about 5 minutes).
# MESH_PROXY_JVM_OPTS replaces the gateway JVM's flags (./mesh passes it the sidecar's flags file).
# Everything it starts is stopped by PID on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DURATION="${BENCH_DURATION:-20}"
UPDATE=1
QUICK=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration) DURATION="$2"; shift 2 ;;
    --no-update) UPDATE=0; shift ;;
    --quick) QUICK=1; UPDATE=0; DURATION="${BENCH_DURATION:-8}"; shift ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
WARMUP="${BENCH_GATEWAY_WARMUP:-$([[ "$QUICK" == 1 ]] && echo 15 || echo 30)}"   # seconds of h1 load first (JIT)
REPS="${BENCH_REPS:-$([[ "$QUICK" == 1 ]] && echo 4 || echo 5)}"
WARM_ROUNDS="${BENCH_WARM_ROUNDS:-$([[ "$QUICK" == 1 ]] && echo 3 || echo 4)}"   # rounds of every row after that

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
bench_install_missing wrk h2load haproxy nginx openssl taskset
[[ "$(nproc)" -ge 2 ]] || { say "error: needs 2 CPUs (proxies on CPU 1, clients on CPU 0), found $(nproc)"; exit 1; }
WORK="$(mktemp -d -t gateway-tls-bench.XXXXXX)"
bench_start_cleanup

# --- backend and the one certificate both proxies serve ----------------------------------------------
BODY="hello from the meshwork gateway benchmark backend"
BACKEND_PORT="$(free_port)"
bench_backend "$BACKEND_PORT" "$BODY"
wait_http "http://127.0.0.1:$BACKEND_PORT/" "" "$BACKEND_PID"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -keyout "$WORK/tls.key" \
  -out "$WORK/tls.crt" -subj /CN=bench.example.com -addext "subjectAltName=DNS:bench.example.com,IP:127.0.0.1" 2>/dev/null
cat "$WORK/tls.crt" "$WORK/tls.key" > "$WORK/haproxy.pem"

# --- HAProxy: one thread, TLS terminated with the same certificate ------------------------------------
HAPROXY_PORT="$(free_port)"
# The gateway (BoringSSL) picks TLS_AES_128_GCM_SHA256 first; HAProxy picks by its own list: the same one first.
{ bench_haproxy_head "  ssl-default-bind-options ssl-min-ver TLSv1.2
  ssl-default-bind-ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"; cat <<EOF
frontend tls_in
  bind 127.0.0.1:$HAPROXY_PORT ssl crt $WORK/haproxy.pem alpn h2,http/1.1
  default_backend app
backend app
  server b1 127.0.0.1:$BACKEND_PORT
EOF
} > "$WORK/haproxy.cfg"
taskset -c 1 haproxy -db -f "$WORK/haproxy.cfg" > "$WORK/haproxy.log" 2>&1 &
HAPROXY_PID=$!; PIDS+=("$HAPROXY_PID")

# --- Meshwork: control plane on a folder with the Gateway, and `mesh gateway` -------------------------
CONFIG="$WORK/config"; mkdir -p "$CONFIG"
GATEWAY_PORT="$(free_port)"
indent() { sed 's/^/    /' "$1"; }
cat > "$CONFIG/bench.yaml" <<EOF
apiVersion: v1
kind: Service
metadata: {name: bench, namespace: default}
spec:
  selector: {app: bench}
  ports: [{name: http, port: 8080, targetPort: http, appProtocol: http}]
---
apiVersion: meshwork.io/v1alpha1
kind: Workload
metadata: {name: bench-backend, namespace: default, labels: {app: bench, version: v1}}
spec:
  address: 127.0.0.1
  ports: {http: $BACKEND_PORT}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: meshwork}
spec: {controllerName: meshwork.io/gateway-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: web, namespace: default}
spec:
  gatewayClassName: meshwork
  listeners:
  - name: https
    port: $GATEWAY_PORT
    protocol: HTTPS
    tls: {mode: Terminate, certificateRefs: [{kind: Secret, name: bench-tls}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: bench, namespace: default}
spec:
  parentRefs: [{name: web}]
  rules: [{backendRefs: [{name: bench, port: 8080}]}]
---
apiVersion: v1
kind: Secret
metadata: {name: bench-tls, namespace: default}
type: kubernetes.io/tls
stringData:
  tls.crt: |
$(indent "$WORK/tls.crt")
  tls.key: |
$(indent "$WORK/tls.key")
EOF
XDS_PORT="$(free_port)"; CP_ADMIN_PORT="$(free_port)"; CA_PORT="$(free_port)"
GW_ADMIN_PORT="$(free_port)"; GW_HEALTH_PORT="$(free_port)"; GW_METRICS_PORT="$(free_port)"
(cd "$ROOT" && exec taskset -c 0 ./mesh control-plane --config-dir "$CONFIG" --xds-port "$XDS_PORT" \
    --admin-port "$CP_ADMIN_PORT" --ca-port "$CA_PORT") > "$WORK/control-plane.log" 2>&1 &
PIDS+=("$!")
(cd "$ROOT" && exec taskset -c 1 ./mesh gateway --xds "127.0.0.1:$XDS_PORT" --name web --namespace default \
    --admin-port "$GW_ADMIN_PORT" --health-port "$GW_HEALTH_PORT" --metrics-port "$GW_METRICS_PORT") \
    > "$WORK/gateway.log" 2>&1 &
GATEWAY_PID=$!; PIDS+=("$GATEWAY_PID")
wait_http "http://127.0.0.1:$GW_HEALTH_PORT/healthz/ready" "" "$GATEWAY_PID"
for _ in $(seq 100); do
  if curl -fsSk -o /dev/null "https://127.0.0.1:$GATEWAY_PORT/" 2>/dev/null; then break; fi
  sleep 0.1
done
curl -fsSk -o /dev/null "https://127.0.0.1:$GATEWAY_PORT/" || { say "error: the gateway does not answer over TLS; $(tail -3 "$WORK/gateway.log")"; exit 1; }
curl -fsSk -o /dev/null "https://127.0.0.1:$HAPROXY_PORT/" || { say "error: HAProxy does not answer over TLS"; exit 1; }
GATEWAY_LINE="$(grep -m1 -o 'ready ([^)]*)' "$WORK/gateway.log" || true)"
GATEWAY_TLS="$(grep -m1 -o 'TLS termination with .*' "$WORK/gateway.log" || echo "TLS engine: not in the gateway's log")"
GATEWAY_JVM="$(tr '\0' ' ' < "/proc/$GATEWAY_PID/cmdline" | grep -o -- '-XX:TieredStopAtLevel=[0-9]\|@[^ ]*proxy-jvm.options' | head -1 || true)"
GATEWAY_JVM="${GATEWAY_JVM/@$ROOT\//@}"
say "gateway: $GATEWAY_TLS; JVM flags: ${GATEWAY_JVM:-default}"

# --- measurement ----------------------------------------------------------------------------------
TARGETS=(haproxy gateway)
ROWS=(h1-keepalive h2 h1-handshake)
port_of() { case "$1" in haproxy) echo "$HAPROXY_PORT" ;; gateway) echo "$GATEWAY_PORT" ;; esac; }
pid_of() { case "$1" in haproxy) echo "$HAPROXY_PID" ;; gateway) echo "$GATEWAY_PID" ;; esac; }
OUT=""
run_row() { # row port seconds -> OUT; prints "requests p50 p99" (µs)
  local url="https://127.0.0.1:$2/"
  case "$1" in
    h1-keepalive|h1-handshake)
      local c=50 close=()
      if [[ "$1" == h1-handshake ]]; then c=10; close=(-H "Connection: close"); fi
      OUT="$(taskset -c 0 wrk -t1 -c"$c" -d"$3s" --latency "${close[@]}" "$url" 2>&1)"
      if grep -q "Non-2xx\|Socket errors" <<<"$OUT"; then
        say "warning: $1 through port $2: $(grep -E 'Non-2xx|Socket errors' <<<"$OUT" | tr '\n' ' ')"
      fi
      WRK_OUT="$OUT"
      echo "$(wrk_requests) $(wrk_pct 50) $(wrk_pct 99) -" ;;
    h2)
      rm -f "$WORK/h2.log"
      OUT="$(taskset -c 0 h2load -c10 -m10 -D "$3" --log-file="$WORK/h2.log" "$url" 2>&1)"
      if ! grep -q "^status codes: [1-9][0-9]* 2xx, 0 3xx, 0 4xx, 0 5xx" <<<"$OUT" || ! grep -q " 0 failed, 0 errored" <<<"$OUT"; then
        say "warning: h2 through port $2: $(grep -E '^(requests|status codes):' <<<"$OUT" | tr '\n' ' ')"
      fi
      if ! grep -q "Application protocol: h2" <<<"$OUT"; then say "warning: port $2 did not negotiate h2"; fi
      local n p50 p99
      n="$(awk '/^requests:/ {print $8}' <<<"$OUT")"
      read -r p50 p99 < <(cut -f3 "$WORK/h2.log" | sort -n | awk '{ v[NR] = $1 }
        END { if (NR) { a = int(NR * 0.5); b = int(NR * 0.99); if (a < 1) a = 1; if (b < 1) b = 1; printf "%d %d\n", v[a], v[b] } }') || true
      CIPHER="$(awk '/^Cipher:/ {print $2}' <<<"$OUT")"
      echo "${n:-0} ${p50:-} ${p99:-} ${CIPHER:-}" ;;
  esac
}

SLICE=$(( DURATION / REPS )); if [[ "$SLICE" -lt 1 ]]; then SLICE=1; fi
# The gateway's JIT: after HTTP/1.1 alone, the first HTTP/2 and handshake slices make C2 throw away code it
# specialised for HTTP/1.1's classes (speculate_class_check deoptimizations) and compile it again, on the
# gateway's CPU, for a minute or more on a loaded machine: so the warm-up ends with rounds of every row, as measured.
say "warming up: ${WARMUP}s of HTTP/1.1 over TLS on each proxy, then $WARM_ROUNDS rounds of every row on the gateway ..."
for t in "${TARGETS[@]}"; do
  taskset -c 0 wrk -t1 -c50 -d"${WARMUP}s" "https://127.0.0.1:$(port_of "$t")/" >/dev/null 2>&1
done
for _ in $(seq "$WARM_ROUNDS"); do
  for row in "${ROWS[@]}"; do run_row "$row" "$GATEWAY_PORT" "$SLICE" >/dev/null; done
done
declare -A S R CIPHERS
LOADAVG="$(cut -d' ' -f1-3 /proc/loadavg)"; START=$SECONDS
for row in "${ROWS[@]}"; do
  say "  $row: ${TARGETS[*]} in turn, $REPS slices of ${SLICE}s ..."
  for _ in $(seq "$REPS"); do
    for t in "${TARGETS[@]}"; do
      before="$(cpu_ticks "$(pid_of "$t")")"
      n=0; p50=""; p99=""; cipher="-"
      read -r n p50 p99 cipher < <(run_row "$row" "$(port_of "$t")" "$SLICE") || true
      if [[ "$cipher" != "-" && -n "$cipher" ]]; then CIPHERS[$t]="$cipher"; fi
      after="$(cpu_ticks "$(pid_of "$t")")"
      S[$row,$t,rps]+=" $(awk -v n="$n" -v s="$SLICE" 'BEGIN { printf "%.0f", n / s }')"
      S[$row,$t,requests]=$(( ${S[$row,$t,requests]:-0} + ${n:-0} ))
      S[$row,$t,ticks]=$(( ${S[$row,$t,ticks]:-0} + after - before ))
      S[$row,$t,p50]+=" ${p50:-}"; S[$row,$t,p99]+=" ${p99:-}"
    done
  done
done
for row in "${ROWS[@]}"; do
  for t in "${TARGETS[@]}"; do
    R[$row,$t,rps]="$(median <<<"${S[$row,$t,rps]}")"
    R[$row,$t,cpu]="-"
    if [[ "${S[$row,$t,requests]:-0}" -gt 0 ]]; then
      R[$row,$t,cpu]="$(awk -v t="${S[$row,$t,ticks]}" -v hz="$(getconf CLK_TCK)" -v n="${S[$row,$t,requests]}" 'BEGIN { printf "%.1f", t / hz / n * 1e6 }')"
    fi
    R[$row,$t,p50]="$(median <<<"${S[$row,$t,p50]}")"; R[$row,$t,p99]="$(median <<<"${S[$row,$t,p99]}")"
  done
done
ELAPSED=$((SECONDS - START)); LOADAVG_END="$(cut -d' ' -f1-3 /proc/loadavg)"
GATEWAY_RSS="$(( $(rss_kb "$GATEWAY_PID") / 1024 ))"

# --- report ---------------------------------------------------------------------------------------
describe() { case "$1" in
  h1-keepalive) echo "HTTP/1.1 keep-alive over TLS (wrk -c50)" ;;
  h2) echo "HTTP/2 over TLS (h2load -c10 -m10)" ;;
  h1-handshake) echo "a full handshake per request (wrk -c10, Connection: close)" ;; esac; }
command_of() { case "$1" in
  h1-keepalive) echo "wrk -t1 -c50 -d${SLICE}s --latency https://127.0.0.1:PORT/" ;;
  h2) echo "h2load -c10 -m10 -D $SLICE --log-file=LOG https://127.0.0.1:PORT/" ;;
  h1-handshake) echo "wrk -t1 -c10 -d${SLICE}s --latency -H 'Connection: close' https://127.0.0.1:PORT/" ;; esac; }
REPORT="$WORK/report.md"
{
  echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')),"
  echo "load average $LOADAVG at start, $LOADAVG_END at the end; ${DURATION}s per row and proxy in $REPS interleaved slices"
  echo "(medians; CPU/req over all of a row's requests); first ${WARMUP}s of HTTP/1.1 on each proxy, then $WARM_ROUNDS rounds of every"
  echo "row on the gateway (JIT warm-up); ${ELAPSED}s of measuring."
  echo "Both proxies on CPU 1, clients (wrk 1 thread, h2load 1 thread) and the nginx backend on CPU 0. Same certificate"
  echo "(ECDSA P-256, made for the run), TLS 1.3 negotiated by both, no client certificate; upstream plaintext HTTP/1.1 keep-alive."
  echo "Gateway: \`./mesh gateway\` ($GATEWAY_TLS; JVM ${GATEWAY_JVM:-default flags}; RSS ${GATEWAY_RSS} MB at the end)."
  echo "HAProxy $(haproxy -v | head -1 | awk '{print $3}') (nbthread 1, \`bind ... ssl crt\`, alpn h2,http/1.1)."
  echo "Cipher negotiated with h2load: HAProxy ${CIPHERS[haproxy]:-?}, gateway ${CIPHERS[gateway]:-?}. Latencies in µs at the row's load."
  echo
  echo "| row | proxy | req/s | CPU µs/req | p50 | p99 | req/s / HAProxy's | CPU/req / HAProxy's |"
  echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
  for row in "${ROWS[@]}"; do
    for t in "${TARGETS[@]}"; do
      echo "| $(describe "$row") | $t | ${R[$row,$t,rps]} | ${R[$row,$t,cpu]} | ${R[$row,$t,p50]} | ${R[$row,$t,p99]} | $(ratio "${R[$row,$t,rps]}" "${R[$row,haproxy,rps]}") | $(ratio "${R[$row,$t,cpu]}" "${R[$row,haproxy,cpu]}") |"
    done
  done
  echo
  echo "| row | gateway/HAProxy CPU per request | aim |"
  echo "| --- | ---: | --- |"
  for row in "${ROWS[@]}"; do
    v="$(ratio "${R[$row,gateway,cpu]}" "${R[$row,haproxy,cpu]}")"
    echo "| $(describe "$row") | $v | ≤ 1.5: $(awk -v v="$v" 'BEGIN { if (v == "n/a") print "n/a"; else print (v + 0 <= 1.5) ? "met" : "**missed**" }') |"
  done
  echo
  echo "Each row's client command (PORT: the proxy's; one slice):"
  echo
  for row in "${ROWS[@]}"; do echo "- $row: \`$(command_of "$row")\`"; done
  echo
  echo "Reproduce: \`bench/gateway-tls-bench.sh$([[ "$QUICK" == 1 ]] && echo " --quick") --duration $DURATION\`."
} > "$REPORT"
cat "$REPORT"
if [[ "$UPDATE" == 1 ]]; then bench_update_section "$ROOT/BENCHMARKS.md" "Gateway: TLS termination against HAProxy" "$REPORT"; fi
