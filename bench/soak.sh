#!/usr/bin/env bash
# The reliability soak: steady HTTP load through a real sidecar for at least 10 minutes while faults
# come on a schedule, counting the failed requests each fault causes and sampling every process's
# RSS and open file descriptors. Not part of the test suite.
#
#   bench/soak.sh [--duration SECONDS] [--no-update]
#
# Mesh: a control plane (local mode), the sidecar of workload soak-client, and three echo backends
# behind Service reviews with a TrafficSplit over reviews-v1 (two replicas) and reviews-v2 (one).
# Load: wrk, 10 connections, each waiting 5 ms between requests (a steady ~1,500 req/s, not saturation), Host: reviews, run in
# 10-second slices. Faults, each at the start of its slice, in a cycle of one per minute:
#   backend-kill     SIGKILL the replica reviews-v1-2 (its twin stays), restarted 20 s later on its port
#   cp-restart       SIGTERM the control plane, started again 5 s later on the same ports
#   config-edit      the TrafficSplit's weights changed (50/50 <-> 90/10)
#   slow-clients     200 connections to the sidecar send half a request, a byte every 5 s, for 30 s
# A fault's failures are those of its slice and the next one (wrk's non-2xx responses and socket
# errors); the slices without a fault give the baseline. RSS (VmRSS) and fd counts of every process
# are sampled every slice. Writes a markdown report between the markers of RELIABILITY.md (unless
# --no-update), keeping the findings written around it; every
# process it starts is stopped by PID on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DURATION=630
UPDATE=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration) DURATION="$2"; shift 2 ;;
    --no-update) UPDATE=0; shift ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
SLICE=10
SLICES=$(( (DURATION + SLICE - 1) / SLICE ))
say() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

command -v wrk >/dev/null || { say "installing wrk ..."; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
command -v python3 >/dev/null || { say "error: python3 is needed for the slow clients"; exit 1; }

# Build once, then never again mid-run (a source edit must not rebuild the jar under a restart).
(cd "$ROOT" && ./mesh --help >/dev/null)
export MESH_SKIP_BUILD=1

WORK="$(mktemp -d -t meshwork-soak.XXXXXX)"
mkdir -p "$WORK/pids" "$WORK/config"
# Every process is recorded as $WORK/pids/NAME (restarts rewrite it): background faults can restart them.
cleanup() {
  local f pid
  for f in "$WORK"/pids/*; do
    [[ -f "$f" ]] || continue
    pid="$(cat "$f")"
    kill "$pid" 2>/dev/null || true
  done
  sleep 1
  for f in "$WORK"/pids/*; do
    [[ -f "$f" ]] || continue
    pid="$(cat "$f")"
    kill -9 "$pid" 2>/dev/null || true
  done
  if [[ -z "${SOAK_KEEP_WORK:-}" ]]; then rm -rf "$WORK"; else say "kept $WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_http() { # url [host]: up to 60 s for a 200
  local i
  for i in $(seq 600); do
    if curl -fsS -o /dev/null ${2:+-H "Host: $2"} "$1" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

V1_PORT="$(free_port)"; V1B_PORT="$(free_port)"; V2_PORT="$(free_port)"; XDS_PORT="$(free_port)"; CP_ADMIN_PORT="$(free_port)"
OUT_PORT="$(free_port)"; IN_PORT="$(free_port)"; ADMIN_PORT="$(free_port)"; HEALTH_PORT="$(free_port)"
METRICS_PORT="$(free_port)"; CLIENT_PORT="$(free_port)"

cat > "$WORK/config/mesh.yaml" <<EOF
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 9080, targetPort: http, appProtocol: http}]
---
apiVersion: v1
kind: Service
metadata: {name: reviews-v1, namespace: default}
spec:
  selector: {app: reviews, version: v1}
  ports: [{name: http, port: 9080, targetPort: http, appProtocol: http}]
---
apiVersion: v1
kind: Service
metadata: {name: reviews-v2, namespace: default}
spec:
  selector: {app: reviews, version: v2}
  ports: [{name: http, port: 9080, targetPort: http, appProtocol: http}]
---
apiVersion: meshwork.io/v1alpha1
kind: Workload
metadata: {name: reviews-v1-1, namespace: default, labels: {app: reviews, version: v1}}
spec: {address: 127.0.0.1, ports: {http: $V1_PORT}}
---
apiVersion: meshwork.io/v1alpha1
kind: Workload
metadata: {name: reviews-v1-2, namespace: default, labels: {app: reviews, version: v1}}
spec: {address: 127.0.0.1, ports: {http: $V1B_PORT}}
---
apiVersion: meshwork.io/v1alpha1
kind: Workload
metadata: {name: reviews-v2-1, namespace: default, labels: {app: reviews, version: v2}}
spec: {address: 127.0.0.1, ports: {http: $V2_PORT}}
---
apiVersion: meshwork.io/v1alpha1
kind: Workload
metadata: {name: soak-client, namespace: default, labels: {app: soak-client, version: v1}}
spec: {address: 127.0.0.1, ports: {http: $CLIENT_PORT}}
EOF
write_split() { # v1 weight, v2 weight; written to a temporary file and renamed, as editors do
  cat > "$WORK/config/.split.yaml.tmp" <<EOF
apiVersion: split.smi-spec.io/v1alpha4
kind: TrafficSplit
metadata: {name: reviews, namespace: default}
spec:
  service: reviews
  backends: [{service: reviews-v1, weight: $1}, {service: reviews-v2, weight: $2}]
EOF
  mv "$WORK/config/.split.yaml.tmp" "$WORK/config/split.yaml"
}
write_split 50 50

start_echo() { # version replica port
  (cd "$ROOT" && exec ./mesh echo --name reviews --version "$1" --pod "reviews-$1-$2" --port "$3") \
    >> "$WORK/echo-$1-$2.log" 2>&1 &
  echo $! > "$WORK/pids/echo-$1-$2"
}
start_cp() {
  (cd "$ROOT" && exec ./mesh control-plane --config-dir "$WORK/config" --address 127.0.0.1 \
      --xds-port "$XDS_PORT" --admin-port "$CP_ADMIN_PORT") >> "$WORK/control-plane.log" 2>&1 &
  echo $! > "$WORK/pids/control-plane"
}
start_echo v1 1 "$V1_PORT"
start_echo v1 2 "$V1B_PORT"
start_echo v2 1 "$V2_PORT"
start_cp
wait_http "http://127.0.0.1:$CP_ADMIN_PORT/ready" || { say "error: the control plane did not get ready"; tail -5 "$WORK/control-plane.log" >&2; exit 1; }
(cd "$ROOT" && exec ./mesh proxy --xds "127.0.0.1:$XDS_PORT" --workload soak-client --namespace default --instance soak \
    --outbound-port "$OUT_PORT" --inbound-port "$IN_PORT" --admin-port "$ADMIN_PORT" \
    --health-port "$HEALTH_PORT" --metrics-port "$METRICS_PORT") > "$WORK/sidecar.log" 2>&1 &
echo $! > "$WORK/pids/sidecar"
wait_http "http://127.0.0.1:$HEALTH_PORT/healthz/ready" && wait_http "http://127.0.0.1:$OUT_PORT/" reviews \
  || { say "error: the sidecar did not serve Host: reviews"; tail -5 "$WORK/sidecar.log" >&2; exit 1; }
wait_http "http://127.0.0.1:$V1_PORT/" && wait_http "http://127.0.0.1:$V1B_PORT/" && wait_http "http://127.0.0.1:$V2_PORT/"

cat > "$WORK/pace.lua" <<'EOF'
-- 5 ms between a connection's requests: a steady load, not saturation.
function delay()
  return 5
end
EOF

cat > "$WORK/slow.py" <<'EOF'
import socket, sys, time
port, count, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
conns = []
for _ in range(count):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
        s.sendall(b"GET / HTTP/1.1\r\nHost: rev")
        conns.append(s)
    except OSError:
        pass
end = time.time() + seconds
cut = set()
while time.time() < end:
    time.sleep(5)
    for i, s in enumerate(conns):
        if i in cut:
            continue
        try:
            s.sendall(b"x")
        except OSError:
            cut.add(i)
for s in conns:
    s.close()
print(f"{len(conns)} opened, {len(cut)} cut by the server within {seconds:.0f} s")
EOF

FAULT_PIDS=()   # the background fault jobs (the servers are background jobs too: never a bare wait)
FAULT_OF=()   # per slice: the fault started at its beginning, or empty
for ((k = 0; k < SLICES; k++)); do
  FAULT_OF[k]=""
  if (( k >= 3 && k % 6 == 0 )); then
    case $(( (k / 6) % 4 )) in
      1) FAULT_OF[k]=backend-kill ;;
      2) FAULT_OF[k]=cp-restart ;;
      3) FAULT_OF[k]=config-edit ;;
      0) FAULT_OF[k]=slow-clients ;;
    esac
  fi
done

fault() { # name; runs in the background
  case "$1" in
    backend-kill)
      kill -9 "$(cat "$WORK/pids/echo-v1-2")" 2>/dev/null || true
      sleep 20
      start_echo v1 2 "$V1B_PORT" ;;
    cp-restart)
      kill "$(cat "$WORK/pids/control-plane")" 2>/dev/null || true
      sleep 5
      start_cp ;;
    config-edit)
      if [[ "$(cat "$WORK/split-state" 2>/dev/null || echo 50)" == 50 ]]; then write_split 90 10; echo 90 > "$WORK/split-state";
      else write_split 50 50; echo 50 > "$WORK/split-state"; fi ;;
    slow-clients)
      python3 "$WORK/slow.py" "$OUT_PORT" 200 30 > "$WORK/slow-$2.txt" 2>&1 ;;
  esac
}

sample() { # slice: one CSV line per process
  local f name pid rss fds
  for f in "$WORK"/pids/*; do
    name="$(basename "$f")"; pid="$(cat "$f")"
    rss="$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)"
    fds="$(ls "/proc/$pid/fd" 2>/dev/null | wc -l || true)"
    echo "$1,$name,${rss:-},${fds:-}" >> "$WORK/samples.csv"
  done
}

say "soak: $SLICES slices of $SLICE s through the sidecar on 127.0.0.1:$OUT_PORT (work dir $WORK)"
START_TIME="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
for ((k = 0; k < SLICES; k++)); do
  if [[ -n "${FAULT_OF[k]}" ]]; then
    say "slice $k: fault ${FAULT_OF[k]}"
    fault "${FAULT_OF[k]}" "$k" &
    FAULT_PIDS+=($!)
  fi
  wrk -t1 -c10 -d"${SLICE}s" -s "$WORK/pace.lua" -H "Host: reviews" "http://127.0.0.1:$OUT_PORT/" > "$WORK/wrk-$k.txt" 2>&1 || true
  requests="$(awk '/requests in/ {print $1}' "$WORK/wrk-$k.txt")"
  non2xx="$(awk '/Non-2xx/ {print $NF}' "$WORK/wrk-$k.txt")"
  socket="$(awk -F'[ ,]+' '/Socket errors/ {print $4+$6+$8+$10}' "$WORK/wrk-$k.txt")"
  echo "$k,${FAULT_OF[k]},${requests:-0},${non2xx:-0},${socket:-0}" >> "$WORK/slices.csv"
  sample "$k"
done
for pid in "${FAULT_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
END_TIME="$(date -u +%Y-%m-%dT%H:%M:%SZ)"

REPORT="$WORK/report.md"
python3 - "$WORK" "$START_TIME" "$END_TIME" "$SLICE" > "$REPORT" <<'EOF'
import csv, glob, os, sys
work, start, end, slice_s = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
slices = [(int(k), f, int(r), int(n), int(s)) for k, f, r, n, s in csv.reader(open(f"{work}/slices.csv"))]
fault_at = {k: f for k, f, *_ in slices if f}
owner = {}
for k in fault_at:
    owner[k] = owner[k + 1] = k
total = sum(r for _, _, r, _, _ in slices)
print(f"Run {start} to {end}: {len(slices)} slices of {slice_s} s, {total:,} requests through the sidecar "
      f"(wrk, 10 connections, 5 ms between a connection's requests), Host: reviews, a 50/50 or 90/10 split "
      f"over reviews-v1 (two replicas) and reviews-v2.\n")
print("| fault | times | requests in its slices | failed (non-2xx) | failed (socket errors) |")
print("| --- | ---: | ---: | ---: | ---: |")
rows = {}
for k, f, r, n, s in slices:
    name = fault_at[owner[k]] if k in owner else "(none: baseline)"
    row = rows.setdefault(name, [0, 0, 0, 0])
    row[1] += r; row[2] += n; row[3] += s
    if f:
        row[0] += 1
for name in ["backend-kill", "cp-restart", "config-edit", "slow-clients", "(none: baseline)"]:
    if name in rows:
        t, r, n, s = rows[name]
        print(f"| {name} | {t if name[0] != '(' else '-'} | {r:,} | {n:,} | {s:,} |")
slow = sorted(glob.glob(f"{work}/slow-*.txt"))
if slow:
    print("\nSlow clients: " + "; ".join(open(p).read().strip() for p in slow) + ".")
print("\nRSS (MB) and open file descriptors per process, first / min / max / last sample "
      "(a process restarted by a fault starts again from its first sample):\n")
print("| process | RSS first | RSS min | RSS max | RSS last | fds first | fds max | fds last |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
samples = {}
for k, name, rss, fds in csv.reader(open(f"{work}/samples.csv")):
    if rss and fds:
        samples.setdefault(name, []).append((int(k), int(rss) / 1024, int(fds)))
for name, xs in sorted(samples.items()):
    r = [x[1] for x in xs]; d = [x[2] for x in xs]
    print(f"| {name} | {r[0]:.0f} | {min(r):.0f} | {max(r):.0f} | {r[-1]:.0f} | {d[0]} | {max(d)} | {d[-1]} |")
print("\nRSS (MB) once a minute, to see the curve:\n")
print("```")
for name, xs in sorted(samples.items()):
    print(f"{name:14s} " + " ".join(f"{x[1]:4.0f}" for x in xs if x[0] % 6 == 0))
print("```")
print("\nPer slice (requests, non-2xx, socket errors; * marks a fault's start):\n")
print("```")
line = []
for k, f, r, n, s in slices:
    line.append(f"{k:2d}{'*' if f else ' '} {r:6d} {n:4d} {s:4d}")
for i in range(0, len(line), 4):
    print("   ".join(line[i:i + 4]))
print("```")
EOF
cat "$REPORT"

if [[ "$UPDATE" == 1 ]]; then
  # Only the part between the markers is the script's; the findings written around it stay.
  python3 - "$ROOT/RELIABILITY.md" "$REPORT" <<'PY'
import os, sys
path, report = sys.argv[1], open(sys.argv[2]).read()
begin, end = "<!-- soak.sh: begin -->", "<!-- soak.sh: end -->"
text = open(path).read() if os.path.exists(path) else (
    "# Reliability\n\n## Soak: steady load through a real sidecar with faults on a schedule\n\n"
    "`bench/soak.sh` (not part of the test suite; `--help` says what it does). The last run:\n\n"
    + begin + "\n" + end + "\n")
head, rest = text.split(begin, 1)
tail = rest.split(end, 1)[1]
open(path, "w").write(head + begin + "\n" + report + end + tail)
PY
  say "wrote the soak section of $ROOT/RELIABILITY.md"
fi
