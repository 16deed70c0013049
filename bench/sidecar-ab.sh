#!/usr/bin/env bash
# A/B of sidecar builds beside HAProxy, in one run: every build's sidecar runs at the same time on CPU 1
# (as HAProxy), and the targets take turns slice by slice, round after round, so a noisy neighbour on this
# shared machine hits them alike. Per target: HTTP/2 (h2load, 10 connections x 10 streams, h2c prior
# knowledge, to the HTTP/1.1 backend) req/s and CPU per request; HTTP/1.1 (wrk, 1 thread) CPU per request
# at 50 connections and p99 at 10 and at 1 connection, and (with the backend measured direct in the same
# rounds) the added p99 at 1 and 10 against HAProxy's, as bench/proxy-bench.sh reports it.
#
#   bench/sidecar-ab.sh NAME=DIR [NAME=DIR ...]
#
# DIR holds a build's mesh.jar and lib/ (copies of cli/target's), and optionally its own proxy-jvm.options
# (else this tree's) and a file `env` of VAR=value lines for that sidecar's environment (e.g. glibc's MALLOC_*). AB_ROUNDS (8), AB_SLICE seconds (2), AB_WARMUP seconds (15), AB_JFR=1 records a JFR
# file per sidecar (profile settings) into AB_OUT (default a temporary folder, kept), AB_H1=0 skips HTTP/1.1,
# AB_H2=0 skips HTTP/2, AB_WARM_CONNECTIONS (1000) new connections per sidecar in the warm-up (see proxy-bench.sh).
# Prints a markdown table with the load averages at start and end.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROUNDS="${AB_ROUNDS:-8}"
SLICE="${AB_SLICE:-2}"
WARMUP="${AB_WARMUP:-15}"
H1="${AB_H1:-1}"
H2="${AB_H2:-1}"
WARM_CONNECTIONS="${AB_WARM_CONNECTIONS:-1000}"
BODY="hello from the meshwork benchmark backend"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
[[ $# -ge 1 ]] || { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
bench_install_missing wrk h2load haproxy nginx taskset

WORK="$(mktemp -d -t sidecar-ab.XXXXXX)"
OUT="${AB_OUT:-$(mktemp -d -t sidecar-ab-out.XXXXXX)}"; mkdir -p "$OUT"
bench_start_cleanup

BACKEND_PORT="$(free_port)"
bench_backend "$BACKEND_PORT" "$BODY"
HAPROXY_PORT="$(free_port)"; HAPROXY_H2_PORT="$(free_port)"
{ bench_haproxy_head ; cat <<EOF
frontend bench
  bind 127.0.0.1:$HAPROXY_PORT
  default_backend backend
frontend bench_h2
  bind 127.0.0.1:$HAPROXY_H2_PORT proto h2
  default_backend backend
backend backend
  server b1 127.0.0.1:$BACKEND_PORT
EOF
} > "$WORK/haproxy.cfg"
taskset -c 1 haproxy -db -f "$WORK/haproxy.cfg" > "$WORK/haproxy.log" 2>&1 &
HAPROXY_PID=$!; PIDS+=("$HAPROXY_PID")
wait_http "http://127.0.0.1:$BACKEND_PORT/" "" "$BACKEND_PID"
wait_http "http://127.0.0.1:$HAPROXY_PORT/" "" "$HAPROXY_PID"

FIRST_DIR="${1#*=}"
CONFIG="$WORK/mesh-config"; mkdir -p "$CONFIG"
bench_mesh_config 8080 "$BACKEND_PORT" > "$CONFIG/bench.yaml"
XDS_PORT="$(free_port)"; CP_ADMIN_PORT="$(free_port)"; CA_PORT="$(free_port)" # not 15012: another run may hold it
taskset -c 0 java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -jar "$FIRST_DIR/mesh.jar" control-plane --config-dir "$CONFIG" \
  --xds-port "$XDS_PORT" --admin-port "$CP_ADMIN_PORT" --ca-port "$CA_PORT" > "$WORK/control-plane.log" 2>&1 &
PIDS+=("$!")

declare -A PID_OF H1_PORT_OF H2_PORT_OF
NAMES=(haproxy)
PID_OF[haproxy]="$HAPROXY_PID"; H1_PORT_OF[haproxy]="$HAPROXY_PORT"; H2_PORT_OF[haproxy]="$HAPROXY_H2_PORT"
for spec in "$@"; do
  name="${spec%%=*}"; dir="${spec#*=}"
  flags="$dir/proxy-jvm.options"; [[ -f "$flags" ]] || flags="$ROOT/sidecar-proxy/src/main/resources/proxy-jvm.options"
  jfr=()
  if [[ "${AB_JFR:-0}" == 1 ]]; then jfr=("-XX:StartFlightRecording=settings=profile,filename=$OUT/$name.jfr,dumponexit=true"); fi
  out="$(free_port)"
  envs=(); if [[ -f "$dir/env" ]]; then mapfile -t envs < <(grep -v '^#' "$dir/env" | grep .); fi
  env "${envs[@]}" taskset -c 1 java "@$flags" "${jfr[@]}" -jar "$dir/mesh.jar" proxy --xds "127.0.0.1:$XDS_PORT" \
    --workload bench-client --namespace default --outbound-port "$out" --inbound-port "$(free_port)" \
    --admin-port "$(free_port)" --health-port "$(free_port)" --metrics-port "$(free_port)" > "$OUT/$name.log" 2>&1 &
  PID_OF[$name]=$!; PIDS+=("$!"); H1_PORT_OF[$name]="$out"; H2_PORT_OF[$name]="$out"
  NAMES+=("$name")
done
for name in "${NAMES[@]:1}"; do
  wait_http "http://127.0.0.1:${H1_PORT_OF[$name]}/" bench "${PID_OF[$name]}"
done
host_of() { [[ "$1" == haproxy ]] || echo bench; }

H2_OUT=""
run_h2load() { # port host seconds
  H2_OUT="$(taskset -c 0 h2load -c10 -m10 -D "$3" ${2:+-H ":authority: $2"} "http://127.0.0.1:$1/" 2>&1)"
  if ! grep -q "^status codes: [1-9][0-9]* 2xx, 0 3xx, 0 4xx, 0 5xx" <<<"$H2_OUT" || ! grep -q " 0 failed, 0 errored" <<<"$H2_OUT"; then
    say "warning: errors through port $1 with HTTP/2: $(grep -E '^(requests|status codes):' <<<"$H2_OUT" | tr '\n' ' ')"
  fi
}
say "warming up the sidecars (${WARMUP}s each of HTTP/1.1 and of HTTP/2) ..."
for name in "${NAMES[@]:1}"; do
  if [[ "$H1" == 1 ]]; then
    run_wrk 50 "${H1_PORT_OF[$name]}" bench "$WARMUP"; run_wrk 10 "${H1_PORT_OF[$name]}" bench 3; run_wrk 1 "${H1_PORT_OF[$name]}" bench 3
    taskset -c 0 curl -s -H "Host: bench" -H "Connection: close" \
      "http://127.0.0.1:${H1_PORT_OF[$name]}/?warm=[1-$WARM_CONNECTIONS]" >/dev/null 2>&1 || true
  fi
  if [[ "$H2" == 1 ]]; then run_h2load "${H2_PORT_OF[$name]}" bench "$WARMUP"; fi
done
if [[ "$H1" == 1 ]]; then
  say "warming up the slice pattern (5 rounds of ${SLICE}s at 10 and at 1 connection per sidecar) ..."
  for _ in 1 2 3 4 5; do
    for name in "${NAMES[@]:1}"; do run_wrk 10 "${H1_PORT_OF[$name]}" bench "$SLICE"; run_wrk 1 "${H1_PORT_OF[$name]}" bench "$SLICE"; done
  done
fi

declare -A S
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"; START=$SECONDS
say "measuring: ${NAMES[*]} in turn, $ROUNDS rounds of ${SLICE}s slices (load $LOAD_START) ..."
ALL=("${NAMES[@]}"); if [[ "$H1" == 1 ]]; then ALL=(direct "${NAMES[@]}"); fi
for r in $(seq "$ROUNDS"); do
  order=("${ALL[@]}")
  if (( r % 2 == 0 )); then for ((i = 0; i < ${#ALL[@]}; i++)); do order[$i]="${ALL[${#ALL[@]} - 1 - i]}"; done; fi
  for t in "${order[@]}"; do
    if [[ "$t" == direct ]]; then
      run_wrk 10 "$BACKEND_PORT" "" "$SLICE"; S[$t,p99]+=" $(wrk_pct 99)"
      run_wrk 1 "$BACKEND_PORT" "" "$SLICE"; S[$t,p99_1]+=" $(wrk_pct 99)"
      continue
    fi
    pid="${PID_OF[$t]}"
    if [[ "$H2" == 1 ]]; then
    before="$(cpu_ticks "$pid")"
    run_h2load "${H2_PORT_OF[$t]}" "$(host_of "$t")" "$SLICE"
    after="$(cpu_ticks "$pid")"
    n="$(awk '/^requests:/ {print $8}' <<<"$H2_OUT")"
    S[$t,h2n]=$(( ${S[$t,h2n]:-0} + ${n:-0} )); S[$t,h2t]=$(( ${S[$t,h2t]:-0} + after - before ))
    S[$t,h2rps]+=" $(awk '/^finished in/ {printf "%.0f", $4}' <<<"$H2_OUT")"
    S[$t,h2slices]+=" $(awk -v t=$((after - before)) -v n="${n:-0}" -v hz="$(getconf CLK_TCK)" 'BEGIN { if (n > 0) printf "%.1f", t / hz / n * 1e6 }')"
    fi
    if [[ "$H1" == 1 ]]; then
      before="$(cpu_ticks "$pid")"
      run_wrk 50 "${H1_PORT_OF[$t]}" "$(host_of "$t")" "$SLICE"
      after="$(cpu_ticks "$pid")"
      n="$(wrk_requests)"
      S[$t,h1n]=$(( ${S[$t,h1n]:-0} + ${n:-0} )); S[$t,h1t]=$(( ${S[$t,h1t]:-0} + after - before ))
      run_wrk 10 "${H1_PORT_OF[$t]}" "$(host_of "$t")" "$SLICE"
      S[$t,p99]+=" $(wrk_pct 99)"
      run_wrk 1 "${H1_PORT_OF[$t]}" "$(host_of "$t")" "$SLICE"
      S[$t,p99_1]+=" $(wrk_pct 99)"
    fi
  done
done
LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"
per_req() { awk -v t="$1" -v n="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN { if (n > 0) printf "%.1f", t / hz / n * 1e6; else print "-" }'; }
H2_HA="$(per_req "${S[haproxy,h2t]:-0}" "${S[haproxy,h2n]:-0}")"
H1_HA="$(per_req "${S[haproxy,h1t]:-0}" "${S[haproxy,h1n]:-0}")"
{
  echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC'), load average $LOAD_START at start, $LOAD_END at the end; $ROUNDS rounds of ${SLICE}s slices per target ($((SECONDS - START))s)."
  echo
  echo "| target | h2 req/s (median) | h2 CPU µs/req | h2 / HAProxy | h2 CPU µs/req per slice (min / median / max) | h2 median slice / HAProxy's | h1 CPU µs/req @50 | h1 / HAProxy | h1 p99 @10 µs (median) | h1 p99 @1 µs (median) | added p99 @1 / HAProxy's | added p99 @10 / HAProxy's |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  D1="$(median <<<"${S[direct,p99_1]:-}")"; D10="$(median <<<"${S[direct,p99]:-}")"
  HA1="$(added "$(median <<<"${S[haproxy,p99_1]:-}")" "$D1")"; HA10="$(added "$(median <<<"${S[haproxy,p99]:-}")" "$D10")"
  if [[ "$H1" == 1 ]]; then echo "| direct | | | | | | | | $D10 | $D1 | | |"; fi
  for t in "${NAMES[@]}"; do
    h2="$(per_req "${S[$t,h2t]:-0}" "${S[$t,h2n]:-0}")"; h1="$(per_req "${S[$t,h1t]:-0}" "${S[$t,h1n]:-0}")"
    range="$(tr ' ' '\n' <<<"${S[$t,h2slices]:-}" | grep -v '^$' | sort -n | sed -n '1p;$p' | paste -sd' ' || true)"
    med="$(median <<<"${S[$t,h2slices]:-}")"
    p1="$(median <<<"${S[$t,p99_1]:-}")"; p10="$(median <<<"${S[$t,p99]:-}")"
    echo "| $t | $(median <<<"${S[$t,h2rps]:-}") | $h2 | $(ratio "$h2" "$H2_HA") | ${range% *} / $med / ${range#* } | $(ratio "$med" "$(median <<<"${S[haproxy,h2slices]:-}")") | $h1 | $(ratio "$h1" "$H1_HA") | $p10 | $p1 | $(ratio "$(added "$p1" "$D1")" "$HA1") | $(ratio "$(added "$p10" "$D10")" "$HA10") |"
  done
} | tee "$OUT/report.md"
say "output in $OUT"
