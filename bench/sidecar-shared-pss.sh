#!/usr/bin/env bash
# What N sidecars on one node cost together: N `./mesh proxy` sidecars at once against one control plane, each
# with config, and their RSS, PSS (shared pages divided among the processes that map them) and private dirty
# memory 5 s after the last is ready; for each JVM option set given (default: the flags file with the class-data
# archive relocated at a random address, as this JDK does by default, and mapped where it was written, as the
# flags file says).
#
#   bench/sidecar-shared-pss.sh [--sidecars N] ["JVM OPTIONS" ...]
#
# Each option set is added after the flags file and the archive (`./mesh proxy` as it runs a sidecar). Prints a
# markdown table; everything it starts is stopped by PID on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
N=3
SETS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --sidecars) N="$2"; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) SETS+=("$1"); shift ;;
  esac
done
[[ ${#SETS[@]} -gt 0 ]] || SETS=("-XX:ArchiveRelocationMode=1" "-XX:ArchiveRelocationMode=0")

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
WORK="$(mktemp -d -t sidecar-shared-pss.XXXXXX)"
bench_start_cleanup
[[ -f "$ROOT/cli/target/proxy.jsa" ]] || { (cd "$ROOT" && ./mesh --help >/dev/null); }

mkdir -p "$WORK/config"
bench_mesh_config 8080 "$(free_port)" > "$WORK/config/mesh.yaml"
XDS_PORT="$(free_port)"
(cd "$ROOT" && exec ./mesh control-plane --config-dir "$WORK/config" --xds-port "$XDS_PORT" \
    --admin-port "$(free_port)" --ca-port "$(free_port)") > "$WORK/control-plane.log" 2>&1 &
PIDS+=("$!")
say "control plane on 127.0.0.1:$XDS_PORT; $N sidecars per option set ..."

echo "| JVM options added | sidecar | RSS MB | PSS MB | private dirty MB |"
echo "| --- | ---: | ---: | ---: | ---: |"
for set in "${SETS[@]}"; do
  started=(); health=()
  for i in $(seq "$N"); do
    hp="$(free_port)"
    (cd "$ROOT" && MESH_PROXY_JVM_OPTS="@sidecar-proxy/src/main/resources/proxy-jvm.options $set" exec ./mesh proxy \
        --xds "127.0.0.1:$XDS_PORT" --workload bench-client --namespace default --instance "pss-$i" \
        --outbound-port "$(free_port)" --inbound-port "$(free_port)" --admin-port "$(free_port)" \
        --health-port "$hp" --metrics-port "$(free_port)") > "$WORK/sidecar-$i.log" 2>&1 &
    started+=("$!"); health+=("$hp"); PIDS+=("$!")
  done
  for hp in "${health[@]}"; do wait_http "http://127.0.0.1:$hp/healthz/ready"; done
  sleep 5
  for i in "${!started[@]}"; do
    awk -v set="$set" -v n="$((i + 1))" '/^Rss:/ {r = $2} /^Pss:/ {p = $2} /^Private_Dirty:/ {d = $2}
      END { printf "| `%s` | %d | %.1f | %.1f | %.1f |\n", set, n, r / 1024, p / 1024, d / 1024 }' \
      "/proc/${started[$i]}/smaps_rollup"
  done
  kill "${started[@]}"; wait "${started[@]}" 2>/dev/null || true
done
