#!/usr/bin/env bash
# The sidecar proxy benchmark: the same small-response HTTP/1.1 workload direct to a backend,
# through HAProxy, through nginx and through the Meshwork sidecar, measured in one run on loopback.
#
#   bench/proxy-bench.sh [--duration SECONDS] [--no-update] [--quick | --policies]
#
# --quick: only direct, HAProxy and the sidecar, only the split pin mode, and BENCHMARKS.md is not
# touched; for checking a change of the sidecar against HAProxy in about 7 minutes.
# --policies: what resilience policies cost when they do not trigger: HAProxy, and the same sidecar
# with no policy and with every policy of this tree on the called Service, in alternating rounds;
# split pin mode only; prints its own report (BENCHMARKS.md is not touched).
#
# Per target and pin mode: requests/s at saturation (50 connections), p50/p90/p99 at 1 and 10
# connections (wrk --latency), the proxy's CPU time per request (utime+stime from /proc/<pid>/stat
# over the saturation run). Pin modes: "split" (proxy on CPU 1; load generator and backend on CPU 0)
# and "shared" (everything on CPU 0). Then HTTP/2 clients, pinned apart: h2load with 10 connections of
# 10 streams (h2c, prior knowledge) through each proxy to the same HTTP/1.1 backend (direct: nginx's own
# HTTP/2), CPU per request. Footprint of every proxy (HAProxy, nginx, the sidecar): RSS and PSS
# (/proc/PID/smaps_rollup) idle, under 1,000 req/s of HTTP/1.1 (h2load --h1, 10 connections x 100 req/s,
# after the saturation runs) and the largest seen under 50 connections; and the sidecar's time to ready:
# the median of 5 fresh `./mesh proxy` starts (unpinned, while nothing else runs) from exec to
# /healthz/ready = 200 against the warm control plane (bench_ready_median in bench/lib.sh).
# Every proxy is one worker with upstream keep-alive. Prints a markdown report and writes it to
# the "Sidecar proxy" section of BENCHMARKS.md (unless --no-update). Everything it starts is
# stopped by PID on exit. The Meshwork row is skipped, saying why, when `./mesh proxy --help` fails.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DURATION="${BENCH_DURATION:-15}"
UPDATE=1
QUICK=0
POLICIES=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration) DURATION="$2"; shift 2 ;;
    --no-update) UPDATE=0; shift ;;
    --quick) QUICK=1; UPDATE=0; shift ;;
    --policies) POLICIES=1; UPDATE=0; shift ;;
    -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
SIDECAR_WARMUP="${BENCH_SIDECAR_WARMUP:-20}"   # seconds of load before the first sidecar measurement (JIT)
WARM_CONNECTIONS="${BENCH_WARM_CONNECTIONS:-3000}"   # new connections (one request each) in the warm-up
WARM_SLICES="${BENCH_WARM_SLICES:-15}"   # warm-up rounds of one slice at 10 and one at 1 connection
READY_STARTS="${BENCH_READY_STARTS:-5}"   # fresh sidecar starts for the time to ready (median)
BODY="hello from the meshwork benchmark backend"

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

# --- tools -------------------------------------------------------------------------------------
bench_install_missing wrk h2load haproxy nginx taskset
[[ "$(nproc)" -ge 2 ]] || { say "error: needs 2 CPUs for the split pin mode, found $(nproc)"; exit 1; }

# --- processes: every one started is recorded and stopped by PID -------------------------------
WORK="$(mktemp -d -t proxy-bench.XXXXXX)"
bench_start_cleanup
# --- backend: nginx, one worker, a fixed small answer ------------------------------------------
BACKEND_PORT="$(free_port)"
BACKEND_H2_PORT="$(free_port)"
bench_backend "$BACKEND_PORT" "$BODY" "listen 127.0.0.1:$BACKEND_H2_PORT http2;"

# --- HAProxy: one thread, http mode, upstream keep-alive with connection reuse ------------------
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

# --- nginx as reverse proxy: one worker, HTTP/1.1 upstream keep-alive ---------------------------
NGINX_PORT="$(free_port)"; NGINX_H2_PORT="$(free_port)"
bench_nginx_conf "$NGINX_PORT" "upstream backend { server 127.0.0.1:$BACKEND_PORT; keepalive 64; keepalive_requests 100000000; }
  server { listen 127.0.0.1:$NGINX_PORT; listen 127.0.0.1:$NGINX_H2_PORT http2;
    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection \"\"; } }" \
  > "$WORK/nginx-proxy.conf"
taskset -c 1 nginx -p "$WORK" -e "$WORK/nginx-proxy.error.log" -c "$WORK/nginx-proxy.conf" &
NGINX_PID=$!; PIDS+=("$NGINX_PID")

wait_http "http://127.0.0.1:$BACKEND_PORT/" "" "$BACKEND_PID"
wait_http "http://127.0.0.1:$HAPROXY_PORT/" "" "$HAPROXY_PID"
wait_http "http://127.0.0.1:$NGINX_PORT/" "" "$NGINX_PID"

# --- Meshwork: control plane on a generated config, one sidecar for a client workload ----------
MESH_PID=""
MESH_SKIP=""
# `mesh X --help` on a CLI without X prints the top-level usage and exits 0: check whose usage it is.
# (Not only the first line: JVM options such as -XX:StartFlightRecording print a line of their own first.)
has_command() { (cd "$ROOT" && ./mesh "$1" --help 2>"$WORK/mesh-$1-help.err" | grep -c "^Usage: mesh $1" >/dev/null); }
if ! has_command proxy; then
  MESH_SKIP="\`./mesh proxy --help\` does not show the proxy command's usage: the sidecar is not built into this tree"
elif ! has_command control-plane; then
  MESH_SKIP="\`./mesh control-plane --help\` does not show the control plane's usage: it is not built into this tree"
else
  CONFIG="$WORK/mesh-config"; mkdir -p "$CONFIG"
  SERVICE_PORT=8080
  bench_mesh_config "$SERVICE_PORT" "$BACKEND_PORT" > "$CONFIG/bench.yaml"
  XDS_PORT="$(free_port)"; CP_ADMIN_PORT="$(free_port)"; CA_PORT="$(free_port)" # not 15012: another run may hold it
  MESH_OUT_PORT="$(free_port)"; MESH_IN_PORT="$(free_port)"; MESH_ADMIN_PORT="$(free_port)"
  MESH_HEALTH_PORT="$(free_port)"; MESH_METRICS_PORT="$(free_port)"
  (cd "$ROOT" && exec taskset -c 0 ./mesh control-plane --config-dir "$CONFIG" \
      --xds-port "$XDS_PORT" --admin-port "$CP_ADMIN_PORT" --ca-port "$CA_PORT") > "$WORK/control-plane.log" 2>&1 &
  PIDS+=("$!")
  (cd "$ROOT" && exec taskset -c 1 ./mesh proxy --xds "127.0.0.1:$XDS_PORT" --workload bench-client --namespace default \
      --outbound-port "$MESH_OUT_PORT" --inbound-port "$MESH_IN_PORT" --admin-port "$MESH_ADMIN_PORT" \
      --health-port "$MESH_HEALTH_PORT" --metrics-port "$MESH_METRICS_PORT") > "$WORK/sidecar.log" 2>&1 &
  MESH_PID=$!; PIDS+=("$MESH_PID")
  if wait_http "http://127.0.0.1:$MESH_HEALTH_PORT/healthz/ready" "" "$MESH_PID" \
      && wait_http "http://127.0.0.1:$MESH_OUT_PORT/" bench "$MESH_PID"; then
    sleep 2
  else
    MESH_SKIP="the sidecar did not serve Host: bench (logs: control plane $(tail -2 "$WORK/control-plane.log" | tr '\n' ' '); sidecar $(tail -2 "$WORK/sidecar.log" | tr '\n' ' '))"
    kill "$MESH_PID" 2>/dev/null || true
    MESH_PID=""
  fi
fi
if [[ -n "$MESH_SKIP" ]]; then say "SKIPPING the Meshwork sidecar row: $MESH_SKIP"; fi
PROXIES=(haproxy nginx); if [[ -n "$MESH_PID" ]]; then PROXIES+=(meshwork); fi
declare -A MEM   # MEM[state,target]: "RSS PSS" in KB; states idle, k1 (1,000 req/s), and load (the largest under 50 connections)
for t in "${PROXIES[@]}"; do
  case "$t" in haproxy) MEM[idle,$t]="$(smaps_kb "$HAPROXY_PID")" ;; nginx) MEM[idle,$t]="$(smaps_kb "$NGINX_PID")" ;; meshwork) MEM[idle,$t]="$(smaps_kb "$MESH_PID")" ;; esac
done

if [[ "$POLICIES" == 1 ]]; then
  # shellcheck source=bench/policy-cost.sh
  source "$ROOT/bench/policy-cost.sh"
  exit 0
fi

# --- the sidecar's time to ready: fresh starts against the warm control plane, nothing else running ---
READY_LOADAVG=""
if [[ -n "$MESH_PID" ]]; then
  say "time to ready: $READY_STARTS fresh sidecars from exec to /healthz/ready ..."
  READY_LOADAVG="$(cut -d' ' -f1-3 /proc/loadavg)"
  bench_ready_median "$READY_STARTS" "$XDS_PORT" ./mesh "$WORK/ready.log" || say "warning: a fresh sidecar did not get ready"
fi

# --- measurement -------------------------------------------------------------------------------
# Each point is split into REPS slices and the targets take turns slice by slice, so a noisy
# neighbour on the machine hits every target alike; a point's figure is the median of its slices
# (CPU per request: total CPU over total requests). One-second slices: on a shared VM, bursts of a
# few tens of milliseconds in which everything on a CPU stalls come several times a minute; each
# spoils the p99 of the slice it falls in, and with many short slices the median is a slice without.
TARGETS=(direct haproxy nginx)
MODES=(split shared)
if [[ "$QUICK" == 1 ]]; then TARGETS=(direct haproxy); MODES=(split); fi
if [[ -n "$MESH_PID" ]]; then TARGETS+=(meshwork); fi
port_of() { case "$1" in direct) echo "$BACKEND_PORT" ;; haproxy) echo "$HAPROXY_PORT" ;; nginx) echo "$NGINX_PORT" ;; meshwork) echo "$MESH_OUT_PORT" ;; esac; }
pid_of() { case "$1" in direct) echo "" ;; haproxy) echo "$HAPROXY_PID" ;; nginx) echo "$NGINX_PID" ;; meshwork) echo "$MESH_PID" ;; esac; }
host_of() { if [[ "$1" == meshwork ]]; then echo bench; fi; }

REPS="${BENCH_REPS:-15}"
SLICE=$(( DURATION / REPS )); if [[ "$SLICE" -lt 1 ]]; then SLICE=1; fi
declare -A S   # S[mode,target,metric]: space-separated values of the slices
declare -A R   # R[mode,target,metric]: the reported figure
slice() { # mode target connections
  local mode="$1" t="$2" c="$3" pid port host before=0 after=0 sampler=""
  pid="$(pid_of "$t")"; port="$(port_of "$t")"; host="$(host_of "$t")"
  if [[ -n "$pid" ]]; then before="$(cpu_ticks "$pid")"; fi
  if [[ -n "$pid" && "$c" == 50 ]]; then
    # RSS and PSS under load: sampled while wrk runs.
    ( while sleep 0.5; do smaps_kb "$pid" 2>/dev/null || exit 0; done ) >> "$WORK/mem-$mode-$t.log" &
    sampler=$!
  fi
  run_wrk "$c" "$port" "$host" "$SLICE"
  if [[ -n "$sampler" ]]; then kill "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true; fi
  if [[ -n "$pid" ]]; then after="$(cpu_ticks "$pid")"; fi
  if [[ "$c" == 50 ]]; then
    S[$mode,$t,rps]+=" $(wrk_rps)"
    local requests; requests="$(wrk_requests)"
    S[$mode,$t,requests]=$(( ${S[$mode,$t,requests]:-0} + ${requests:-0} ))
    S[$mode,$t,ticks]=$(( ${S[$mode,$t,ticks]:-0} + after - before ))
  else
    local p
    for p in 50 90 99; do S[$mode,$t,p${p}_$c]+=" $(wrk_pct "$p")"; done
  fi
}

cpu_per_request() { # mode target: the proxy's CPU µs over all its measured requests, or "-"
  if [[ -n "$(pid_of "$2")" && "${S[$1,$2,requests]:-0}" -gt 0 ]]; then
    awk -v t="${S[$1,$2,ticks]}" -v hz="$(getconf CLK_TCK)" -v n="${S[$1,$2,requests]}" 'BEGIN { printf "%.1f", t / hz / n * 1e6 }'
  else
    echo "-"
  fi
}

START=$SECONDS
LOADAVG="$(cut -d' ' -f1-3 /proc/loadavg)"
for mode in "${MODES[@]}"; do
  proxy_cpu=1; if [[ "$mode" == shared ]]; then proxy_cpu=0; fi
  for t in haproxy nginx meshwork; do
    pid="$(pid_of "$t")"; if [[ -n "$pid" ]]; then pin "$pid" "$proxy_cpu"; fi
  done
  say "pin mode $mode: proxies on CPU $proxy_cpu, wrk and backend on CPU 0; $REPS slices of ${SLICE}s per point and target"
  if [[ -n "$MESH_PID" ]]; then
    warm=$SIDECAR_WARMUP; if [[ "$mode" == shared ]]; then warm=3; fi
    # Every connection count measured below is warmed too: each takes code paths (an idle event loop
    # at 1 connection, full read batches at 50) that the JIT compiles when they first get hot. So is
    # connection setup: every slice opens new connections, and until the JIT has compiled accepting
    # one and its first request (a few thousand connections), that takes 1-8 ms instead of ~0.3 ms,
    # which alone decides a slice's p99 at 10 connections.
    say "  warming the sidecar JVM up for ${warm}s at 50 connections, then 10 and 1, then $WARM_CONNECTIONS new connections and $WARM_SLICES rounds of slices ..."
    taskset -c 0 wrk -t1 -c50 -d"${warm}s" -H "Host: bench" "http://127.0.0.1:$MESH_OUT_PORT/" >/dev/null 2>&1
    for c in 10 1; do
      taskset -c 0 wrk -t1 -c"$c" -d"$(( (warm + 4) / 5 ))s" -H "Host: bench" "http://127.0.0.1:$MESH_OUT_PORT/" >/dev/null 2>&1
    done
    # One request per connection: the sidecar closes each after its response (Connection: close).
    taskset -c 0 curl -s -H "Host: bench" -H "Connection: close" \
      "http://127.0.0.1:$MESH_OUT_PORT/?warm=[1-$WARM_CONNECTIONS]" >/dev/null 2>&1 || true
    # Then slices as measured (new connections for a second, at 10 and 1): the JIT keeps recompiling
    # for about a minute under this pattern, and its compiler threads share the proxy's CPU meanwhile.
    if [[ "$mode" == split ]]; then
      for _ in $(seq "$WARM_SLICES"); do
        for c in 10 1; do
          taskset -c 0 wrk -t1 -c"$c" -d"${SLICE}s" -H "Host: bench" "http://127.0.0.1:$MESH_OUT_PORT/" >/dev/null 2>&1
        done
      done
    fi
  fi
  for c in 50 1 10; do
    say "  $c connection(s): ${TARGETS[*]} in turn ..."
    for _ in $(seq "$REPS"); do
      for t in "${TARGETS[@]}"; do slice "$mode" "$t" "$c"; done
    done
  done
  for t in "${TARGETS[@]}"; do
    R[$mode,$t,rps]="$(median <<<"${S[$mode,$t,rps]}")"
    R[$mode,$t,cpu]="$(cpu_per_request "$mode" "$t")"
    for k in p50_1 p90_1 p99_1 p50_10 p90_10 p99_10; do R[$mode,$t,$k]="$(median <<<"${S[$mode,$t,$k]}")"; done
    if [[ -n "$(pid_of "$t")" ]]; then
      R[$mode,$t,rss]="$(awk '$1 > r {r = $1} END {printf "%.0f", r / 1024}' "$WORK/mem-$mode-$t.log" 2>/dev/null)"
      MEM[load-$mode,$t]="$(awk '$1 > r {r = $1} $2 > p {p = $2} END {print r + 0, p + 0}' "$WORK/mem-$mode-$t.log" 2>/dev/null)"
    fi
  done
done
# --- HTTP/2 clients, pinned apart: h2load, 10 connections x 10 concurrent streams ---------------
h2_port_of() { case "$1" in direct) echo "$BACKEND_H2_PORT" ;; haproxy) echo "$HAPROXY_H2_PORT" ;; nginx) echo "$NGINX_H2_PORT" ;; meshwork) echo "$MESH_OUT_PORT" ;; esac; }
H2_OUT=""
run_h2load() { # port authority seconds
  H2_OUT="$(taskset -c 0 h2load -c10 -m10 -D "$3" ${2:+-H ":authority: $2"} "http://127.0.0.1:$1/" 2>&1)"
  if ! grep -q "^status codes: [1-9][0-9]* 2xx, 0 3xx, 0 4xx, 0 5xx" <<<"$H2_OUT" || ! grep -q " 0 failed, 0 errored" <<<"$H2_OUT"; then
    say "warning: errors through port $1 with HTTP/2: $(grep -E '^(requests|status codes):' <<<"$H2_OUT" | tr '\n' ' ')"
  fi
}
h2_slice() { # target
  local t="$1" pid before=0 after=0 requests
  pid="$(pid_of "$t")"
  if [[ -n "$pid" ]]; then before="$(cpu_ticks "$pid")"; fi
  run_h2load "$(h2_port_of "$t")" "$(host_of "$t")" "$SLICE"
  if [[ -n "$pid" ]]; then after="$(cpu_ticks "$pid")"; fi
  requests="$(awk '/^requests:/ {print $8}' <<<"$H2_OUT")"
  S[h2,$t,rps]+=" $(awk '/^finished in/ {printf "%.0f", $4}' <<<"$H2_OUT")"
  S[h2,$t,mean]+=" $(to_us "$(awk '/^time for request:/ {print $6}' <<<"$H2_OUT")")"
  S[h2,$t,requests]=$(( ${S[h2,$t,requests]:-0} + ${requests:-0} ))
  S[h2,$t,ticks]=$(( ${S[h2,$t,ticks]:-0} + after - before ))
}
for t in haproxy nginx meshwork; do
  pid="$(pid_of "$t")"; if [[ -n "$pid" ]]; then pin "$pid" 1; fi
done
# --- footprint under 1,000 req/s of HTTP/1.1, pinned apart, after the saturation runs ------------
declare -A K1_RPS
say "1,000 req/s of HTTP/1.1 (h2load --h1, 10 connections x 100 req/s, 10 s) through ${PROXIES[*]} in turn ..."
for t in "${PROXIES[@]}"; do
  authority=(); if [[ -n "$(host_of "$t")" ]]; then authority=(-H ":authority: $(host_of "$t")"); fi
  taskset -c 0 h2load --h1 -c10 --rps 100 -D 10 "${authority[@]}" "http://127.0.0.1:$(port_of "$t")/" > "$WORK/k1-$t.out" 2>&1 &
  load=$!
  sleep 8; MEM[k1,$t]="$(smaps_kb "$(pid_of "$t")")"
  wait "$load" || true
  K1_RPS[$t]="$(awk '/^finished in/ {printf "%.0f", $4}' "$WORK/k1-$t.out")"
done
if [[ -n "$MESH_PID" ]]; then
  say "HTTP/2 clients, pinned apart: warming the sidecar's HTTP/2 path up for 15s ..."
  for _ in 1 2 3; do run_h2load "$MESH_OUT_PORT" bench 5 >/dev/null; done
fi
say "HTTP/2 clients (h2load, 10 connections x 10 streams): ${TARGETS[*]} in turn, $REPS slices of ${SLICE}s ..."
for _ in $(seq "$REPS"); do
  for t in "${TARGETS[@]}"; do h2_slice "$t"; done
done
for t in "${TARGETS[@]}"; do
  R[h2,$t,rps]="$(median <<<"${S[h2,$t,rps]}")"
  R[h2,$t,mean]="$(median <<<"${S[h2,$t,mean]}")"
  R[h2,$t,cpu]="$(cpu_per_request h2 "$t")"
done

LOADAVG_END="$(cut -d' ' -f1-3 /proc/loadavg)"
ELAPSED=$((SECONDS - START))

# --- report ------------------------------------------------------------------------------------
verdict() { # value ge|le limit -> "value met" / "value missed" / "n/a"
  awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN { if (v == "" || v == "n/a" || v == "-") { print "n/a"; exit }
    ok = (op == "ge") ? (v + 0 >= l + 0) : (v + 0 <= l + 0); printf "%s %s", v, ok ? "met" : "**missed**" }'
}
first() { echo "${1%% *}"; }
second() { [[ "$1" == *" "* ]] && echo "${1#* }"; }
mb() { # KB [decimals]
  awk -v k="$1" -v d="${2:-1}" 'BEGIN { if (k == "") print "-"; else printf "%." d "f", k / 1024 }'; }
REPORT="$WORK/report.md"
{
  echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')),"
  echo "load average $LOADAVG at start, $LOADAVG_END at the end; ${DURATION}s per point and target in $REPS interleaved"
  echo "slices (medians reported), wrk 1 thread; ${ELAPSED}s of measuring."
  echo "Backend: nginx, one worker, \`return 200\` of ${#BODY} bytes. HAProxy $(haproxy -v | head -1 | awk '{print $3}') (nbthread 1, http-reuse always),"
  echo "nginx $(nginx -v 2>&1 | sed 's|.*/||') (one worker, upstream keepalive, HTTP/1.1). Latencies in µs; CPU/req = proxy utime+stime / requests at 50 connections."
  for mode in "${MODES[@]}"; do
    echo
    if [[ "$mode" == split ]]; then echo "**Pinned apart** (proxy on CPU 1; wrk and backend on CPU 0)"; else echo "**All on CPU 0**"; fi
    echo
    echo "| target | req/s @50 | CPU µs/req | p50 @1 | p90 @1 | p99 @1 | p50 @10 | p90 @10 | p99 @10 | added p50 @1 | added p99 @1 | added p99 @10 | RSS MB (idle / @50) |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    for t in "${TARGETS[@]}" $([[ -z "$MESH_PID" ]] && echo meshwork); do
      if [[ "$t" == meshwork && -z "$MESH_PID" ]]; then
        echo "| meshwork | skipped (below) | | | | | | | | | | | |"
        continue
      fi
      rss="-"
      if [[ "$t" != direct ]]; then rss="$(mb "$(first "${MEM[idle,$t]}")" 0) / ${R[$mode,$t,rss]}"; fi
      a50=""; a991=""; a99=""
      if [[ "$t" != direct ]]; then
        a50="$(added "${R[$mode,$t,p50_1]}" "${R[$mode,direct,p50_1]}")"
        a991="$(added "${R[$mode,$t,p99_1]}" "${R[$mode,direct,p99_1]}")"
        a99="$(added "${R[$mode,$t,p99_10]}" "${R[$mode,direct,p99_10]}")"
      fi
      echo "| $t | ${R[$mode,$t,rps]} | ${R[$mode,$t,cpu]} | ${R[$mode,$t,p50_1]} | ${R[$mode,$t,p90_1]} | ${R[$mode,$t,p99_1]} | ${R[$mode,$t,p50_10]} | ${R[$mode,$t,p90_10]} | ${R[$mode,$t,p99_10]} | $a50 | $a991 | $a99 | $rss |"
    done
  done
  echo
  echo "**HTTP/2 clients, pinned apart** (h2load on CPU 0: 10 connections of 10 concurrent streams, h2c with prior"
  echo "knowledge; every proxy speaks HTTP/1.1 to the backend, direct is the backend nginx's own HTTP/2; medians of"
  echo "$REPS slices; issue 17's target: CPU/req ≤ 1.2× HAProxy's)"
  echo
  echo "| target | req/s | CPU µs/req | mean request time µs | req/s / HAProxy's | CPU/req / HAProxy's |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: |"
  for t in "${TARGETS[@]}"; do
    echo "| $t | ${R[h2,$t,rps]} | ${R[h2,$t,cpu]} | ${R[h2,$t,mean]} | $(ratio "${R[h2,$t,rps]}" "${R[h2,haproxy,rps]}") | $(ratio "${R[h2,$t,cpu]}" "${R[h2,haproxy,cpu]}") |"
  done
  echo
  echo "**Footprint of each proxy** (\`/proc/PID/smaps_rollup\`, MB = 1,024 KB; PSS counts a page shared by N processes as"
  echo "1/N; pinned apart): idle before any load; 1,000 req/s of HTTP/1.1 (h2load --h1, 10 connections × 100 req/s,"
  echo "read after 8 of 10 s, after the saturation runs); the largest under 50 connections (sampled every 0.5 s)."
  echo
  echo "| target | RSS idle | PSS idle | RSS @1,000 req/s | PSS @1,000 req/s | req/s done | RSS @50 (largest) | PSS @50 (largest) |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  for t in "${PROXIES[@]}"; do
    echo "| $t | $(mb "$(first "${MEM[idle,$t]}")") | $(mb "$(second "${MEM[idle,$t]}")") | $(mb "$(first "${MEM[k1,$t]}")") | $(mb "$(second "${MEM[k1,$t]}")") | ${K1_RPS[$t]:-} | $(mb "$(first "${MEM[load-split,$t]:-}")") | $(mb "$(second "${MEM[load-split,$t]:-}")") |"
  done
  if [[ -n "$MESH_PID" ]]; then
    echo
    echo "**The sidecar's time to ready**: exec of \`./mesh proxy\` to \`/healthz/ready\` = 200 (polled every 10 ms), $READY_STARTS fresh"
    echo "sidecars one after another against the warm control plane, unpinned, before the load (load average $READY_LOADAVG):"
    echo "median **${READY_MEDIAN:-n/a} ms** (${READY_ALL:-} ms); class-data archive $([[ "$ROOT/cli/target/proxy.jsa" -nt "$ROOT/cli/target/mesh.jar" ]] && echo used || echo "not used (missing or older than the jar)")."
  fi
  echo
  echo "Ratios against HAProxy in the same run and pin mode (targets: throughput ≥ 0.8, CPU/req ≤ 1.5, added p99 ≤ 1.5, RSS under load ≤ 150 MB):"
  echo
  echo "| pin mode | sidecar/HAProxy req/s | sidecar/HAProxy CPU/req | sidecar/HAProxy added p99 @1 | sidecar/HAProxy added p99 @10 | nginx/HAProxy req/s | nginx/HAProxy CPU/req |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
  for mode in "${MODES[@]}"; do
    d1="${R[$mode,direct,p99_1]}"; d10="${R[$mode,direct,p99_10]}"
    if [[ -n "$MESH_PID" ]]; then
      m=( "$(ratio "${R[$mode,meshwork,rps]}" "${R[$mode,haproxy,rps]}")" "$(ratio "${R[$mode,meshwork,cpu]}" "${R[$mode,haproxy,cpu]}")"
          "$(ratio "$(added "${R[$mode,meshwork,p99_1]}" "$d1")" "$(added "${R[$mode,haproxy,p99_1]}" "$d1")")"
          "$(ratio "$(added "${R[$mode,meshwork,p99_10]}" "$d10")" "$(added "${R[$mode,haproxy,p99_10]}" "$d10")")" )
    else
      m=("n/a (skipped)" "n/a" "n/a" "n/a")
    fi
    echo "| $mode | ${m[0]} | ${m[1]} | ${m[2]} | ${m[3]} | $(ratio "${R[$mode,nginx,rps]:-}" "${R[$mode,haproxy,rps]}") | $(ratio "${R[$mode,nginx,cpu]:-}" "${R[$mode,haproxy,cpu]}") |"
  done
  if [[ -n "$MESH_PID" ]]; then
    echo
    echo "The first targets (met / missed), same run and pin mode:"
    echo
    echo "| pin mode | req/s ≥ 0.8× HAProxy | CPU/req ≤ 1.5× HAProxy | added p99 @1 ≤ 1.5× HAProxy | added p99 @10 ≤ 1.5× HAProxy | RSS MB under load ≤ 150 |"
    echo "| --- | --- | --- | --- | --- | --- |"
    for mode in "${MODES[@]}"; do
      d1="${R[$mode,direct,p99_1]}"; d10="${R[$mode,direct,p99_10]}"
      echo "| $mode | $(verdict "$(ratio "${R[$mode,meshwork,rps]}" "${R[$mode,haproxy,rps]}")" ge 0.8) \
| $(verdict "$(ratio "${R[$mode,meshwork,cpu]}" "${R[$mode,haproxy,cpu]}")" le 1.5) \
| $(verdict "$(ratio "$(added "${R[$mode,meshwork,p99_1]}" "$d1")" "$(added "${R[$mode,haproxy,p99_1]}" "$d1")")" le 1.5) \
| $(verdict "$(ratio "$(added "${R[$mode,meshwork,p99_10]}" "$d10")" "$(added "${R[$mode,haproxy,p99_10]}" "$d10")")" le 1.5) \
| $(verdict "${R[$mode,meshwork,rss]}" le 150) |"
    done
    echo
    d1="${R[split,direct,p99_1]}"; d10="${R[split,direct,p99_10]}"
    echo "Issue 17's targets (met / missed), same run, pinned apart:"
    echo
    echo "| added p99 @1 ≤ 1.2× HAProxy | added p99 @10 ≤ 1.2× HAProxy | HTTP/2 CPU/req ≤ 1.2× HAProxy | RSS MB @1,000 req/s ≤ 64 | RSS MB idle ≤ 48 | ms to ready ≤ 1,000 (idle machine) |"
    echo "| --- | --- | --- | --- | --- | --- |"
    echo "| $(verdict "$(ratio "$(added "${R[split,meshwork,p99_1]}" "$d1")" "$(added "${R[split,haproxy,p99_1]}" "$d1")")" le 1.2) \
| $(verdict "$(ratio "$(added "${R[split,meshwork,p99_10]}" "$d10")" "$(added "${R[split,haproxy,p99_10]}" "$d10")")" le 1.2) \
| $(verdict "$(ratio "${R[h2,meshwork,cpu]}" "${R[h2,haproxy,cpu]}")" le 1.2) \
| $(verdict "$(mb "$(first "${MEM[k1,meshwork]}")" 0)" le 64) | $(verdict "$(mb "$(first "${MEM[idle,meshwork]}")" 0)" le 48) \
| $(verdict "${READY_MEDIAN:-}" le 1000) |"
    echo
    echo "Sidecar JVM flags (\`sidecar-proxy/src/main/resources/proxy-jvm.options\`, through \`./mesh proxy\`):"
    echo "\`${MESH_PROXY_JVM_OPTS:-$(sed 's/#.*//' "$ROOT/sidecar-proxy/src/main/resources/proxy-jvm.options" | xargs)}\`."
  fi
  if awk -v l="${LOADAVG%% *}" 'BEGIN { exit !(l > 1) }'; then
    echo
    echo "The load average was above 1 on $(nproc) CPUs when this run began (other processes, or a run just"
    echo "before it): req/s and tail latencies move with such load; CPU per request and p50 at 1 connection"
    echo "are the figures to compare."
  fi
  if [[ -n "$MESH_SKIP" ]]; then echo; echo "The Meshwork sidecar row was skipped: $MESH_SKIP."; fi
} > "$REPORT"
cat "$REPORT"

if [[ "$UPDATE" == 1 ]]; then
  SECTION="$WORK/section.md"
  {
    echo "## Sidecar proxy"
    echo
    echo "Reproduce with \`bench/proxy-bench.sh\` (about 15 minutes; \`--duration S\` per point, default 15;"
    echo "installs wrk, h2load, haproxy and nginx with apt-get when missing; loopback only). \`--quick\` measures"
    echo "direct, HAProxy and the sidecar in the split pin mode only, in about 7 minutes, without touching this file."
    echo
    cat "$REPORT"
  } > "$SECTION"
  # Replace the generated part of the section (up to the hand-written history or the next "## "
  # heading) or append it; other sections stay as they are.
  python3 - "$ROOT/BENCHMARKS.md" "$SECTION" <<'EOF'
import pathlib, re, sys
target, section = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]).read_text()
text = target.read_text() if target.exists() else "# Benchmarks\n"
# The generated part ends where the hand-written history ("**Where the sidecar stands**") begins.
pattern = re.compile(r"^## Sidecar proxy\n.*?(?=^\*\*Where the sidecar stands\*\*|^## |\Z)", re.S | re.M)
if pattern.search(text):
    text = pattern.sub(lambda _: section.rstrip("\n") + "\n\n", text, count=1)
else:
    text = text.rstrip("\n") + "\n\n" + section
target.write_text(text.rstrip("\n") + "\n")
EOF
  say "wrote the Sidecar proxy section of $ROOT/BENCHMARKS.md"
fi
