#!/usr/bin/env bash
# Heap garbage per HTTP/1.1 request of sidecar builds, counted (not sampled): each build's sidecar alone on CPU 1
# (wrk and the backend on CPU 0), 10 s of `wrk -c10` to warm it, then SECONDS of `wrk -c10`; bytes per request =
# (young GCs x eden capacity + the change of the young generation's use, from `jcmd PID GC.heap_info` before and
# after) / wrk's request count. Builds take turns, ROUNDS times (one JVM per build and round: the JIT's escape
# analysis differs from one JVM to the next).
#
#   bench/sidecar-alloc.sh ROUNDS SECONDS NAME=DIR [NAME=DIR ...]
#
# DIR holds a build's mesh.jar and lib/ (copies of cli/target's) and optionally its own proxy-jvm.options (else
# this tree's). Prints one line per build and round. Everything it starts is stopped by PID on exit.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[[ $# -ge 3 ]] || { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
ROUNDS="$1"; SECS="$2"; shift 2
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
bench_install_missing wrk nginx taskset
command -v jcmd >/dev/null || { say "error: jcmd (from the JDK) is not on the PATH"; exit 1; }
WORK="$(mktemp -d -t sidecar-alloc.XXXXXX)"
bench_start_cleanup
BACKEND_PORT="$(free_port)"
bench_backend "$BACKEND_PORT" "hello from the meshwork benchmark backend"
mkdir -p "$WORK/config"
bench_mesh_config 8080 "$BACKEND_PORT" > "$WORK/config/mesh.yaml"
XDS_PORT="$(free_port)"
taskset -c 0 java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -jar "${1#*=}/mesh.jar" control-plane --config-dir "$WORK/config" \
  --xds-port "$XDS_PORT" --admin-port "$(free_port)" > "$WORK/control-plane.log" 2>&1 &
PIDS+=("$!")
wait_http "http://127.0.0.1:$BACKEND_PORT/" "" "$BACKEND_PID"
young_used() { jcmd "$1" GC.heap_info | awk '/def new generation/ {s = $6; sub(/K/, "", s); print s}'; } # KB
eden_capacity() { jcmd "$1" GC.heap_info | awk '/eden space/ {s = $3; sub(/K,?/, "", s); print s}'; } # KB
echo "round build requests young_GCs eden_KB bytes_per_request load"
for r in $(seq "$ROUNDS"); do
  for spec in "$@"; do
    name="${spec%%=*}"; dir="${spec#*=}"
    flags="$dir/proxy-jvm.options"; [[ -f "$flags" ]] || flags="$ROOT/sidecar-proxy/src/main/resources/proxy-jvm.options"
    gc="$WORK/$name-$r-gc.log"
    bench_sidecar_start "$WORK/$name-$r.log" "$XDS_PORT" "taskset -c 1 java @$flags -Xlog:gc:file=$gc -jar $dir/mesh.jar"
    bench_sidecar_ready_ms "$WORK/$name-$r.log" >/dev/null
    wait_http "http://127.0.0.1:$SIDECAR_OUT_PORT/" bench "$SIDECAR_PID"
    run_wrk 10 "$SIDECAR_OUT_PORT" bench 10
    g0="$(grep -c 'Pause Young' "$gc" || true)"; u0="$(young_used "$SIDECAR_PID")"; cap="$(eden_capacity "$SIDECAR_PID")"
    run_wrk 10 "$SIDECAR_OUT_PORT" bench "$SECS"
    u1="$(young_used "$SIDECAR_PID")"; g1="$(grep -c 'Pause Young' "$gc" || true)"
    n="$(wrk_requests)"
    echo "$r $name $n $((g1 - g0)) $cap $(awk -v g=$((g1 - g0)) -v cap="$cap" -v u0="$u0" -v u1="$u1" -v n="$n" \
      'BEGIN { printf "%.0f", (g * cap + u1 - u0) * 1024 / n }') $(cut -d' ' -f1 /proc/loadavg)"
    bench_sidecar_stop
  done
done
