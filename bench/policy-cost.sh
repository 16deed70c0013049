# The --policies mode of bench/proxy-bench.sh (sourced by it once the backend, HAProxy and the sidecar run):
# what resilience policies cost when nothing triggers them. One sidecar process, its config switched between
# "none" (no policy) and "all" (every policy kind on the client's path, on Service bench, none triggering: MeshTimeout,
# MeshRetry, MeshCircuitBreaker with outlier detection, MeshFaultInjection for a header never sent; MeshRateLimit acts
# at a server's inbound sidecar and MeshMirror sends copies, so neither is on this path idle) by writing and
# removing policies.yaml in the control plane's folder; the two take turns in rounds, and HAProxy is measured in
# every round beside them, so a load change on the shared machine falls on all three. Split pin mode: proxies on
# CPU 1, wrk and the backend on CPU 0. Per round and variant, slices of SLICE seconds at 50 connections (req/s,
# the proxy's CPU per request) and at 10 (p50, p99); figures are medians of the slices (CPU: total over total).

[[ -n "$MESH_PID" ]] || { say "error: --policies needs the sidecar: $MESH_SKIP"; exit 1; }
ROUNDS="${BENCH_POLICY_ROUNDS:-6}"
PER_ROUND="${BENCH_POLICY_SLICES:-3}"
SLICE="${BENCH_POLICY_SLICE:-1}"

bench_policies() { # every policy kind of this tree on Service bench, with limits and detectors that never trigger
  cat <<'EOF'
apiVersion: meshwork.io/v1alpha1
kind: MeshTimeout
metadata: {name: bench, namespace: default}
spec:
  targetRef: {kind: Service, name: bench}
  request: 10s
  idle: 60s
  connect: 1s
---
apiVersion: meshwork.io/v1alpha1
kind: MeshRetry
metadata: {name: bench, namespace: default}
spec:
  targetRef: {kind: Service, name: bench}
  attempts: 2
  retryOn: [5xx, reset, connect-failure]
  perTryTimeout: 5s
  backoff: {baseInterval: 25ms, maxInterval: 250ms}
  budget: {percent: 20, minRetriesPerSecond: 10}
---
apiVersion: meshwork.io/v1alpha1
kind: MeshCircuitBreaker
metadata: {name: bench, namespace: default}
spec:
  targetRef: {kind: Service, name: bench}
  maxConnections: 100000
  maxPendingRequests: 100000
  maxRequests: 100000
  outlierDetection:
    consecutive5xx: 5
    consecutiveGatewayErrors: 5
    interval: 10s
    baseEjectionTime: 30s
    maxEjectionPercent: 50
    successRate: {minimumHosts: 1, requestVolume: 100, standardDeviationFactor: 1.9}
---
apiVersion: meshwork.io/v1alpha1
kind: MeshFaultInjection
metadata: {name: bench, namespace: default}
spec:
  targetRef: {kind: Service, name: bench}
  match: {headers: {x-bench-fault: "on"}}   # wrk never sends it: the filter runs on every request, faults none
  abort: {httpStatus: 503, percentage: 100}
  delay: {fixedDelay: 1s, percentage: 100}
EOF
}

policies_in_effect() { # 1 when the sidecar's accepted config has the MeshRetry's retry policy, else 0
  if curl -s "http://127.0.0.1:$MESH_ADMIN_PORT/config_dump" | grep -Eq '"retry(_p|P)olicy"'; then echo 1; else echo 0; fi
}

switch_to() { # none|all: writes or removes the policies and waits until the sidecar has accepted the change
  if [[ "$1" == all ]]; then bench_policies > "$CONFIG/policies.yaml"; else rm -f "$CONFIG/policies.yaml"; fi
  local want=0; [[ "$1" == all ]] && want=1
  for _ in $(seq 150); do
    [[ "$(policies_in_effect)" == "$want" ]] && return 0
    sleep 0.2
  done
  say "error: the sidecar did not take the '$1' config within 30 s (control plane log: $WORK/control-plane.log)"
  exit 1
}

declare -A P   # P[variant,target,metric]: space-separated slice values, or sums
policy_slice() { # variant target(haproxy|meshwork) connections
  local v="$1" t="$2" c="$3" pid port host before after
  if [[ "$t" == haproxy ]]; then pid="$HAPROXY_PID"; port="$HAPROXY_PORT"; host=""; else pid="$MESH_PID"; port="$MESH_OUT_PORT"; host=bench; fi
  before="$(cpu_ticks "$pid")"
  run_wrk "$c" "$port" "$host" "$SLICE"
  after="$(cpu_ticks "$pid")"
  if [[ "$c" == 50 ]]; then
    P[$v,$t,rps]+=" $(wrk_rps)"
    P[$v,$t,requests]=$(( ${P[$v,$t,requests]:-0} + $(wrk_requests) ))
    P[$v,$t,ticks]=$(( ${P[$v,$t,ticks]:-0} + after - before ))
  else
    P[$v,$t,p50]+=" $(wrk_pct 50)"
    P[$v,$t,p99]+=" $(wrk_pct 99)"
  fi
}
policy_cpu() { # variant target: CPU µs per request over all its slices at 50 connections
  awk -v t="${P[$1,$2,ticks]:-0}" -v hz="$(getconf CLK_TCK)" -v n="${P[$1,$2,requests]:-0}" \
    'BEGIN { if (n > 0) printf "%.1f", t / hz / n * 1e6; else print "-" }'
}

pin "$HAPROXY_PID" 1; pin "$MESH_PID" 1
LOADAVG="$(cut -d' ' -f1-3 /proc/loadavg)"
START=$SECONDS
say "policies: warming the sidecar up (${SIDECAR_WARMUP}s with no policy, then ${SIDECAR_WARMUP}s with all) ..."
for v in none all; do
  switch_to "$v"
  taskset -c 0 wrk -t1 -c50 -d"${SIDECAR_WARMUP}s" -H "Host: bench" "http://127.0.0.1:$MESH_OUT_PORT/" >/dev/null 2>&1
  taskset -c 0 wrk -t1 -c10 -d5s -H "Host: bench" "http://127.0.0.1:$MESH_OUT_PORT/" >/dev/null 2>&1
done
say "policies: $ROUNDS rounds of none then all, each $PER_ROUND x (50 and 10 connections, HAProxy and the sidecar) slices of ${SLICE}s ..."
for round in $(seq "$ROUNDS"); do
  for v in none all; do
    switch_to "$v"
    for _ in $(seq "$PER_ROUND"); do
      for c in 50 10; do
        policy_slice "$v" haproxy "$c"
        policy_slice "$v" meshwork "$c"
      done
    done
  done
  say "  round $round/$ROUNDS done (load $(cut -d' ' -f1 /proc/loadavg))"
done
switch_to none
LOADAVG_END="$(cut -d' ' -f1-3 /proc/loadavg)"
ELAPSED=$((SECONDS - START))

row() { # label variant target
  echo "| $1 | $(median <<<"${P[$2,$3,rps]}") | $(policy_cpu "$2" "$3") | $(median <<<"${P[$2,$3,p50]}") | $(median <<<"${P[$2,$3,p99]}") |"
}
{
  echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) CPUs, load average $LOADAVG at start, $LOADAVG_END at the end;"
  echo "$ROUNDS rounds alternating the sidecar's config (no policy / every policy), HAProxy measured in every round; per round"
  echo "and variant $PER_ROUND slices of ${SLICE}s at 50 connections (req/s, CPU) and at 10 (latency); ${ELAPSED}s in all."
  echo "Pinned apart: proxies on CPU 1, wrk (1 thread) and the nginx backend on CPU 0. Latencies in µs; CPU/req = the"
  echo "proxy's utime+stime over its requests at 50 connections. \"every policy\": MeshTimeout (request, idle, connect),"
  echo "MeshRetry (2 attempts on 5xx/reset/connect-failure, per-try timeout, budget) and MeshCircuitBreaker (the four"
  echo "limits at 100,000, outlier detection on consecutive 5xx and gateway errors and success rate), MeshFaultInjection"
  echo "(abort and delay at 100% for a header wrk never sends), none triggering."
  echo
  echo "| target | req/s @50 | CPU µs/req | p50 @10 | p99 @10 |"
  echo "| --- | ---: | ---: | ---: | ---: |"
  row "HAProxy (rounds of the sidecar without policies)" none haproxy
  row "HAProxy (rounds of the sidecar with policies)" all haproxy
  row "sidecar, no policy" none meshwork
  row "sidecar, every policy" all meshwork
  echo
  echo "Sidecar with every policy / without: CPU per request $(ratio "$(policy_cpu all meshwork)" "$(policy_cpu none meshwork)"),"
  echo "p99 @10 $(ratio "$(median <<<"${P[all,meshwork,p99]}")" "$(median <<<"${P[none,meshwork,p99]}")"),"
  echo "req/s @50 $(ratio "$(median <<<"${P[all,meshwork,rps]}")" "$(median <<<"${P[none,meshwork,rps]}")");"
  echo "HAProxy in the same two sets of rounds: CPU per request $(ratio "$(policy_cpu all haproxy)" "$(policy_cpu none haproxy)"),"
  echo "p99 @10 $(ratio "$(median <<<"${P[all,haproxy,p99]}")" "$(median <<<"${P[none,haproxy,p99]}")") (its config never changes: this is the noise)."
} | tee "$WORK/policy-report.md"
