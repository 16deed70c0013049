#!/usr/bin/env bash
# Start-up of two sidecar builds compared in alternating starts against one warm control plane, so
# that the load other jobs put on the machine falls on both alike.
#
#   bench/sidecar-start-ab.sh ROUNDS "COMMAND A" "COMMAND B"
#
# Each COMMAND runs `mesh` with its JVM flags, e.g. "java @DIR/proxy-jvm.options -jar DIR/mesh.jar"
# (a copy of cli/target and the flags file of an older build) against
# "java @sidecar-proxy/src/main/resources/proxy-jvm.options -XX:SharedArchiveFile=cli/target/proxy.jsa -jar cli/target/mesh.jar".
# Prints one line per round: A and B as "ms from exec to /healthz/ready / ms of CPU (utime+stime) by
# then", and the 1-minute load average; CPU to ready moves far less with the load than the wall clock.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[[ $# -eq 3 ]] || { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
ROUNDS="$1"; A="$2"; B="$3"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
WORK="$(mktemp -d -t sidecar-start-ab.XXXXXX)"
bench_start_cleanup
mkdir -p "$WORK/config"
bench_mesh_config 8080 "$(free_port)" > "$WORK/config/mesh.yaml"
XDS_PORT="$(free_port)"
(cd "$ROOT" && exec ./mesh control-plane --config-dir "$WORK/config" --xds-port "$XDS_PORT" \
    --admin-port "$(free_port)" --ca-port "$(free_port)") > "$WORK/control-plane.log" 2>&1 &
PIDS+=("$!")

start_once() { # command: prints "ms to ready/CPU ms by then"
  local ms
  bench_sidecar_start "$WORK/sidecar.log" "$XDS_PORT" "$1"
  ms="$(bench_sidecar_ready_ms "$WORK/sidecar.log")" || exit 1
  echo "$ms/$(( $(cpu_ticks "$SIDECAR_PID") * 1000 / $(getconf CLK_TCK) ))"
  bench_sidecar_stop
}
start_once "$A" > /dev/null   # the control plane's first answer is slower: not counted
echo "round A(ms/CPU ms) B(ms/CPU ms) load"
for i in $(seq "$ROUNDS"); do
  echo "$i $(start_once "$A") $(start_once "$B") $(cut -d' ' -f1 /proc/loadavg)"
done
