#!/usr/bin/env bash
# Injector webhook throughput and latency, over real HTTPS on loopback, with h2load (HTTP/1.1).
# Measures POST /inject with a real-shaped AdmissionReview (a Deployment's pod: 2 containers,
# an init container, volumes, probes of each kind) against GET /healthz on the same server and
# connections as the baseline (TLS + HTTP, no injection work).
#   bench/injector-webhook.sh [REQUESTS] [CONNECTIONS]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
N="${1:-20000}"
C="${2:-8}"
PORT="${BENCH_PORT:-15917}"
OUT="$ROOT/bench-out/injector-webhook"
mkdir -p "$OUT"
for tool in h2load openssl jq; do command -v "$tool" >/dev/null || { echo "error: $tool is not installed" >&2; exit 1; }; done

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$OUT/tls.key" -out "$OUT/tls.crt" 2>/dev/null
jq '{apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview",
     request: {uid: "bench", kind: {group: "", version: "v1", kind: "Pod"}, namespace: "shop",
               operation: "CREATE", object: .}}' \
  "$ROOT/injector-webhook/src/test/resources/pod-from-deployment.json" > "$OUT/review.json"

"$ROOT/mesh" version >/dev/null # builds the jar first when the sources are newer
# The JVM flags of the webhook image (docker/webhook.Dockerfile), not the launcher's quick-start ones.
MESH_SKIP_BUILD=1 MESH_JVM_OPTS="${MESH_JVM_OPTS:--XX:+UseSerialGC -XX:MaxRAMPercentage=75}" \
  "$ROOT/mesh" webhook --tls-cert "$OUT/tls.crt" --tls-key "$OUT/tls.key" --address 127.0.0.1 --port "$PORT" \
  > "$OUT/webhook.log" 2>&1 &
WEBHOOK=$!
trap 'kill $WEBHOOK 2>/dev/null || true; wait $WEBHOOK 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do grep -q "ready on" "$OUT/webhook.log" && break; sleep 0.2; done
grep -q "ready on" "$OUT/webhook.log" || { cat "$OUT/webhook.log" >&2; exit 1; }

# One answer checked before timing anything: the patch must be there.
curl -sk -X POST -H 'Content-Type: application/json' --data-binary @"$OUT/review.json" \
  "https://127.0.0.1:$PORT/inject" | jq -e '.response.patch | length > 1000' >/dev/null

run() { # name, extra h2load args...
  local name="$1"; shift
  # warm-up (JIT), then the measured run with one log line per request
  h2load --h1 -n "$((N / 4))" -c "$C" -t 1 "$@" >/dev/null
  rm -f "$OUT/$name.log" # h2load appends
  h2load --h1 -n "$N" -c "$C" -t 1 --log-file="$OUT/$name.log" "$@" > "$OUT/$name.txt"
  local rps p50 p99
  rps=$(grep -o 'finished in [^,]*, [0-9.]* req/s' "$OUT/$name.txt" | grep -o '[0-9.]* req/s' | cut -d' ' -f1)
  # the log's third column is the request's duration in microseconds
  p50=$(awk '{print $3}' "$OUT/$name.log" | sort -n | awk '{a[NR]=$1} END {print a[int(NR*0.50)]/1000}')
  p99=$(awk '{print $3}' "$OUT/$name.log" | sort -n | awk '{a[NR]=$1} END {print a[int(NR*0.99)]/1000}')
  local failed; failed=$(grep -o '[0-9]* failed' "$OUT/$name.txt" | head -1)
  printf '%-22s %10s req/s   p50 %6s ms   p99 %6s ms   (%s)\n' "$name" "$rps" "$p50" "$p99" "$failed"
}

echo "requests=$N connections=$C cores=$(nproc) load=$(cut -d' ' -f1-3 /proc/loadavg)"
run healthz-baseline "https://127.0.0.1:$PORT/healthz"
run inject -d "$OUT/review.json" -H 'Content-Type: application/json' "https://127.0.0.1:$PORT/inject"
