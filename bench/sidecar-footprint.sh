#!/usr/bin/env bash
# Where the sidecar's memory and start-up time go: one control plane (./mesh control-plane) and the
# sidecar as `./mesh proxy` runs it (the flags file), on loopback.
#
#   bench/sidecar-footprint.sh [--starts N] [--no-update]
#
# Footprint, in three states (idle with config; 1,000 req/s of HTTP/1.1, h2load --h1 10 connections
# x 100 req/s; saturation, wrk 50 connections): RSS and PSS (/proc/PID/smaps_rollup), the Native
# Memory Tracking summary by category (the sidecar runs with -XX:NativeMemoryTracking=summary, whose
# own cost NMT reports and the table shows), live heap after a full GC, loaded classes
# (VM.classloader_stats), threads, code cache; and the loaded classes by library (-Xlog:class+load).
# Start-up: N fresh sidecars (default 5) against the warm control plane, from exec to
# /healthz/ready answering 200 (median), then one more with class-load and log timestamps for the
# split: JVM start, command line, wiring, xDS round trip, config applied and ready.
# Prints a markdown report and writes it to the "Sidecar footprint" section of BENCHMARKS.md
# (unless --no-update). Everything it starts is stopped by PID on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STARTS=5
UPDATE=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --starts) STARTS="$2"; shift 2 ;;
    --no-update) UPDATE=0; shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
BODY="hello from the meshwork footprint backend"

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
bench_install_missing wrk h2load nginx
command -v jcmd >/dev/null || { say "error: jcmd (from the JDK) is not on the PATH"; exit 1; }
WORK="$(mktemp -d -t sidecar-footprint.XXXXXX)"
bench_start_cleanup

BACKEND_PORT="$(free_port)"
bench_backend "$BACKEND_PORT" "$BODY"
wait_http "http://127.0.0.1:$BACKEND_PORT/" "" "$BACKEND_PID"

CONFIG="$WORK/mesh-config"; mkdir -p "$CONFIG"
bench_mesh_config 8080 "$BACKEND_PORT" > "$CONFIG/footprint.yaml"
XDS_PORT="$(free_port)"
(cd "$ROOT" && exec ./mesh control-plane --config-dir "$CONFIG" --xds-port "$XDS_PORT" \
    --admin-port "$(free_port)" --ca-port "$(free_port)") > "$WORK/control-plane.log" 2>&1 &
CP_PID=$!; PIDS+=("$CP_PID")

start_sidecar() { # log-name [extra JVM options]: starts `./mesh proxy` (bench_sidecar_start), sets OUT_PORT, HEALTH_PORT, EXEC_MS
  JDK_JAVA_OPTIONS="${2:-}" bench_sidecar_start "$WORK/$1.log" "$XDS_PORT" ./mesh --instance "$1"
  OUT_PORT="$SIDECAR_OUT_PORT"; HEALTH_PORT="$SIDECAR_HEALTH_PORT"; EXEC_MS="$SIDECAR_EXEC_MS"
}
await_ready() { bench_sidecar_ready_ms "$WORK/footprint.log"; } # prints ms from exec to the first 200 of /healthz/ready
stop_sidecar() { bench_sidecar_stop; }

# --- footprint ---------------------------------------------------------------------------------
ARCHIVE_USED="not there or older than the jar, not used"
if [[ "$ROOT/cli/target/proxy.jsa" -nt "$ROOT/cli/target/mesh.jar" ]]; then ARCHIVE_USED="used"; fi
START=$SECONDS
LOADAVG="$(cut -d' ' -f1-3 /proc/loadavg)"
say "footprint: one sidecar with NMT and a class-load log ..."
start_sidecar footprint "-XX:NativeMemoryTracking=summary -Xlog:class+load=info:file=$WORK/class-load.log"
await_ready >/dev/null
wait_http "http://127.0.0.1:$OUT_PORT/" bench "$SIDECAR_PID"
P="$SIDECAR_PID"

declare -A F   # F[state,metric]
NMT_CATEGORIES=("Java Heap" Class Metaspace "Shared class space" Thread Code Symbol GC Compiler Internal Other "Native Memory Tracking")
snapshot() { # state: reads the figures of the running sidecar
  local s="$1" nmt c
  F[$s,rss]="$(awk '/^Rss:/ {print $2}' "/proc/$P/smaps_rollup")"
  F[$s,pss]="$(awk '/^Pss:/ {print $2}' "/proc/$P/smaps_rollup")"
  F[$s,threads]="$(awk '/^Threads:/ {print $2}' "/proc/$P/status")"
  F[$s,classes]="$(jcmd "$P" VM.metaspace | sed -n 's/^Total Usage - [0-9]* loaders, \([0-9]*\) classes (\([0-9]*\) shared).*/\1 (\2 shared)/p')"
  nmt="$(jcmd "$P" VM.native_memory summary)"
  F[$s,nmt]="$(awk '/^Total:/ {sub(/.*committed=/, ""); print $0 + 0}' <<<"$nmt")"
  for c in "${NMT_CATEGORIES[@]}"; do
    F[$s,$c]="$(awk -v c="$c" '$0 ~ "^- +" c " \\(" {sub(/.*committed=/, ""); print $0 + 0; exit}' <<<"$nmt")"
  done
  F[$s,code]="$(jcmd "$P" Compiler.codecache | awk -F'used=' '/^CodeCache:/ {print $2 + 0}')"
}
live_heap() { # KB of heap in use after a full GC (GC.class_histogram collects first)
  jcmd "$P" GC.class_histogram | awk '/^Total/ {printf "%.0f", $3 / 1024}'
}

sleep 5
snapshot idle
F[idle,live]="$(live_heap)"
say "  1,000 req/s (h2load --h1, 10 connections x 100 req/s, 20 s) ..."
h2load --h1 -c10 --rps 100 -D 20 -H ":authority: bench" "http://127.0.0.1:$OUT_PORT/" > "$WORK/h2load.out" 2>&1 &
LOAD_PID=$!; PIDS+=("$LOAD_PID")
sleep 15; snapshot rps1000; wait "$LOAD_PID" || true
RPS1000="$(awk '/^finished in/ {printf "%.0f", $4}' "$WORK/h2load.out")"
say "  saturation (wrk, 50 connections, 20 s) ..."
wrk -t1 -c50 -d20s -H "Host: bench" "http://127.0.0.1:$OUT_PORT/" > "$WORK/wrk.out" 2>&1 &
LOAD_PID=$!; PIDS+=("$LOAD_PID")
sleep 15; snapshot saturated; wait "$LOAD_PID" || true
RPS_MAX="$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$WORK/wrk.out")"
HWM="$(awk '/^VmHWM:/ {print $2}' "/proc/$P/status")"
THREAD_NAMES="$(for t in /proc/"$P"/task/*; do cat "$t/comm"; done | sed 's/[-0-9]*$//' | sort | uniq -c \
  | awk '{n = $1; $1 = ""; sub(/^ /, ""); printf "%s%s%s", sep, $0, (n > 1 ? " ×" n : ""); sep = ", "}')"
stop_sidecar

# Loaded classes by where they come from, at the end of the run (the class-load log).
by_library() {
  awk '/ source: / {
    c = $2; s = $0
    if (c ~ /^io\.envoyproxy\.|^udpa\.|^xds\.|^com\.github\.xds\.|^validate\./) g = "Envoy API (generated protobuf)"
    else if (c ~ /^com\.google\.protobuf\./) g = "protobuf runtime"
    else if (c ~ /^io\.grpc\.|^com\.google\.common\.|^com\.google\.rpc\./) g = "gRPC and Guava"
    else if (c ~ /^io\.netty\./) g = "Netty"
    else if (c ~ /^tools\.jackson\.|^com\.fasterxml\./) g = "Jackson"
    else if (c ~ /^io\.micrometer\.|^io\.prometheus\./) g = "Micrometer and Prometheus client"
    else if (c ~ /^org\.bouncycastle\./) g = "Bouncy Castle"
    else if (c ~ /^picocli\./) g = "picocli"
    else if (c ~ /^io\.meshwork\.proxy\./) g = "io.meshwork.proxy"
    else if (c ~ /^io\.meshwork\./) g = "io.meshwork (cli, control plane, certs)"
    else if (s ~ /source: (shared objects file|jrt:)/ || c ~ /^(java|javax|jdk|sun|com\.sun)\./) g = "JDK"
    else g = "other"
    n[g]++; total++
  } END { for (g in n) printf "| %s | %d | %.0f%% |\n", g, n[g], 100 * n[g] / total }' "$1" | sort -t'|' -k3 -nr
  awk '/ source: / { total++ } END { printf "| total | %d | 100%% |\n", total }' "$1"
}
CLASSES_BY_LIBRARY="$(by_library "$WORK/class-load.log")"

# --- start-up ----------------------------------------------------------------------------------
say "start-up: $STARTS sidecars from exec to /healthz/ready ..."
bench_ready_median "$STARTS" "$XDS_PORT" ./mesh "$WORK/start.log"
READY=($READY_ALL)
say "  one more, with timestamps, for the split ..."
start_sidecar split "-Xlog:class+load=info,startuptime=info:file=$WORK/split.log:timemillis"
SPLIT_READY="$(await_ready)"
READY_AT=$(( EXEC_MS + SPLIT_READY ))
stop_sidecar
LOADAVG_END="$(cut -d' ' -f1-3 /proc/loadavg)"
loaded_at() { # class: epoch ms at which it was loaded
  awk -v c="$1" '$2 == c { gsub(/[^0-9]/, "", $1); print $1; exit }' "$WORK/split.log"
}
MARKS=("$EXEC_MS" "$(loaded_at io.meshwork.cli.Main)" "$(loaded_at io.meshwork.proxy.SidecarProxy)"
       "$(loaded_at 'io.meshwork.proxy.xds.AdsClient$ResponseObserver')" "$(loaded_at 'io.meshwork.proxy.xds.XdsState$1')" "$READY_AT")
CLASSES_AT_READY="$(awk -v r="$READY_AT" '/ source: / { t = $1; gsub(/[^0-9]/, "", t); if (t + 0 <= r) n++ } END { print n + 0 }' "$WORK/split.log")"
phase() { echo $(( ${MARKS[$2]} - ${MARKS[$1]} )); }

# --- report ------------------------------------------------------------------------------------
mb() { awk -v k="$1" 'BEGIN { if (k == "") print "-"; else printf "%.1f", k / 1024 }'; }
REPORT="$WORK/report.md"
{
  echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) CPUs, $(java -version 2>&1 | head -1), load average"
  echo "$LOADAVG at start, $LOADAVG_END at the end ($((SECONDS - START)) s; other engineers' builds share this machine)."
  echo "Sidecar: \`./mesh proxy\` with its flags file, one outbound HTTP service, plaintext; the footprint run adds"
  echo "\`-XX:NativeMemoryTracking=summary\` (its own cost is the NMT row) and a class-load log. MB = 1,024 KB."
  echo "The sidecar's class-data archive (\`cli/target/proxy.jsa\`, made by \`./mesh\` after a build): $ARCHIVE_USED."
  echo
  echo "| figure | idle with config | 1,000 req/s (HTTP/1.1) | saturation ($RPS_MAX req/s) | reproduce |"
  echo "| --- | ---: | ---: | ---: | --- |"
  echo "| RSS MB | $(mb "${F[idle,rss]}") | $(mb "${F[rps1000,rss]}") | $(mb "${F[saturated,rss]}") | \`grep ^Rss /proc/PID/smaps_rollup\` |"
  echo "| PSS MB | $(mb "${F[idle,pss]}") | $(mb "${F[rps1000,pss]}") | $(mb "${F[saturated,pss]}") | \`grep ^Pss /proc/PID/smaps_rollup\` |"
  echo "| NMT committed, total MB | $(mb "${F[idle,nmt]}") | $(mb "${F[rps1000,nmt]}") | $(mb "${F[saturated,nmt]}") | \`jcmd PID VM.native_memory summary\` |"
  for c in "${NMT_CATEGORIES[@]}"; do
    echo "| NMT $c MB | $(mb "${F[idle,$c]}") | $(mb "${F[rps1000,$c]}") | $(mb "${F[saturated,$c]}") | same |"
  done
  echo "| live heap after full GC MB | $(mb "${F[idle,live]}") | | | \`jcmd PID GC.class_histogram\` (Total) |"
  echo "| code cache used MB | $(mb "${F[idle,code]}") | $(mb "${F[rps1000,code]}") | $(mb "${F[saturated,code]}") | \`jcmd PID Compiler.codecache\` |"
  echo "| loaded classes (of them from CDS archives) | ${F[idle,classes]} | ${F[rps1000,classes]} | ${F[saturated,classes]} | \`jcmd PID VM.metaspace\` (Total Usage) |"
  echo "| threads | ${F[idle,threads]} | ${F[rps1000,threads]} | ${F[saturated,threads]} | \`grep Threads /proc/PID/status\` |"
  echo
  echo "Peak RSS (VmHWM) over the run: $(mb "$HWM") MB. The 1,000 req/s load did $RPS1000 req/s. Threads at the end: $THREAD_NAMES."
  echo
  echo "Loaded classes by library at the end of the run (\`-Xlog:class+load\`; JDK = the JDK's own, whether from its CDS archive or not):"
  echo
  echo "| library | classes | share |"
  echo "| --- | ---: | ---: |"
  echo "$CLASSES_BY_LIBRARY"
  echo
  echo "Start-up, exec to \`/healthz/ready\` = 200 (polled every 10 ms), fresh sidecar JVMs against the warm control plane:"
  echo "median **${READY_MEDIAN} ms** of $STARTS (${READY[*]} ms). Split of one more start (\`-Xlog:class+load,startuptime::timemillis\`;"
  echo "each phase ends when the named class loads), ${SPLIT_READY} ms in all, $CLASSES_AT_READY classes loaded by then:"
  echo
  echo "| phase | ms | ends at |"
  echo "| --- | ---: | --- |"
  echo "| JVM start | $(phase 0 1) | \`io.meshwork.cli.Main\` loaded |"
  echo "| command line (picocli) | $(phase 1 2) | \`SidecarProxy\` loaded |"
  echo "| wiring: event loops, metrics, TLS, gRPC channel, admin ports | $(phase 2 3) | \`AdsClient\$ResponseObserver\` loaded (ADS stream opened) |"
  echo "| xDS round trip | $(phase 3 4) | \`XdsState\$1\` loaded (first response handled) |"
  echo "| config converted and applied, listeners bound, ready | $(phase 4 5) | \`/healthz/ready\` answers 200 |"
} > "$REPORT"
cat "$REPORT"

if [[ "$UPDATE" == 1 ]]; then
  {
    echo "Reproduce with \`bench/sidecar-footprint.sh\` (about 2 minutes; \`--starts N\` for the start-up median)."
    echo
    cat "$REPORT"
  } > "$WORK/section.md"
  bench_update_section "$ROOT/BENCHMARKS.md" "Sidecar footprint" "$WORK/section.md"
fi
