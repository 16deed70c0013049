# Shared by the benchmark scripts (sourced): tools, processes stopped by PID, wrk parsing, report helpers.
# The caller sets WORK (a temporary folder) before bench_start_cleanup and bench_nginx_conf.

say() { printf '%s\n' "$*" >&2; }

bench_install_missing() { # commands...: installs the Debian packages of those missing (apt-get)
  local missing=() c
  for c in "$@"; do
    if ! command -v "$c" >/dev/null; then
      case "$c" in h2load) missing+=(nghttp2-client) ;; taskset) missing+=(util-linux) ;; *) missing+=("$c") ;; esac
    fi
  done
  if [[ ${#missing[@]} -eq 0 ]]; then return; fi
  say "installing ${missing[*]} with apt-get ..."
  local sudo=""
  if [[ "$(id -u)" -ne 0 ]]; then sudo="sudo"; fi
  $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Every process started is added to PIDS and stopped by PID on exit; WORK is removed unless BENCH_KEEP_WORK is set.
PIDS=()
bench_cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  if [[ -z "${BENCH_KEEP_WORK:-}" ]]; then rm -rf "$WORK"; else say "kept $WORK"; fi
}
bench_start_cleanup() {
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_http() { # url [host header] [pid] : waits up to 60 s for a 200, less if pid exits
  local url="$1" host="${2:-}" pid="${3:-}" i
  for i in $(seq 600); do
    if curl -fsS -o /dev/null ${host:+-H "Host: $host"} "$url" 2>/dev/null; then return 0; fi
    if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then say "error: process $pid exited before $url answered"; return 1; fi
    sleep 0.1
  done
  say "error: $url did not answer 200 within 60 s"; return 1
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
ticks_of() { # pids (space-separated, may be empty): their utime+stime ticks together
  local total=0 pid
  for pid in $1; do total=$(( total + $(cpu_ticks "$pid") )); done
  echo "$total"
}
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
smaps_kb() { # pid: "RSS PSS" in KB, from /proc/PID/smaps_rollup (one read: both figures at the same moment)
  awk '/^Rss:/ {r = $2} /^Pss:/ {p = $2} END { if (r != "") print r, p; else exit 1 }' "/proc/$1/smaps_rollup"
}
pin() { taskset -a -p -c "$2" "$1" >/dev/null; } # pid cpu: all threads of a running process

bench_nginx_conf() { # port http-block-body: one worker, no logs, temp files in WORK
  cat <<EOF
worker_processes 1;
master_process off;
daemon off;
pid $WORK/nginx-$1.pid;
error_log $WORK/nginx-$1.error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/tmp-$1-body;
  proxy_temp_path $WORK/tmp-$1-proxy;
  fastcgi_temp_path $WORK/tmp-$1-fastcgi;
  uwsgi_temp_path $WORK/tmp-$1-uwsgi;
  scgi_temp_path $WORK/tmp-$1-scgi;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  $2
}
EOF
}

bench_backend() { # port body [more listen directives]: nginx on CPU 0 answering 200 with body; sets BACKEND_PID
  bench_nginx_conf "$1" "server { listen 127.0.0.1:$1; ${3:-} location / { default_type text/plain; return 200 \"$2\"; } }" \
    > "$WORK/backend.conf"
  taskset -c 0 nginx -p "$WORK" -e "$WORK/backend.error.log" -c "$WORK/backend.conf" &
  BACKEND_PID=$!; PIDS+=("$BACKEND_PID")
}

bench_haproxy_head() { # [more global lines]: HAProxy's global and defaults: one thread, http, upstream keep-alive reuse
  cat <<EOF
global
  nbthread 1
  maxconn 4096
${1:-}
defaults
  mode http
  option http-keep-alive
  http-reuse always
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 300s
EOF
}

bench_mesh_config() { # service-port backend-port: Service bench (one plain endpoint, the backend), called
  # through the sidecar of workload bench-client; local-mode YAML on stdout
  cat <<EOF
apiVersion: v1
kind: Service
metadata: {name: bench, namespace: default}
spec:
  selector: {app: bench}
  ports: [{name: http, port: $1, targetPort: http, appProtocol: http}]
---
apiVersion: meshwork.io/v1alpha1
kind: Workload
metadata: {name: bench-backend, namespace: default, labels: {app: bench, version: v1}}
spec:
  address: 127.0.0.1
  ports: {http: $2}
---
apiVersion: meshwork.io/v1alpha1
kind: Workload
metadata: {name: bench-client, namespace: default, labels: {app: bench-client, version: v1}}
spec:
  address: 127.0.0.1
  ports: {http: $(free_port)}
EOF
}

to_us() { # 123.45us | 1.23ms | 1.01s -> microseconds
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /ms$/) n *= 1000; else if (v ~ /[0-9]s$/) n *= 1000000; printf "%.0f", n }'
}
median() { tr ' ' '\n' | awk 'NF' | sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; } # empty in, empty out (not a failure)
WRK_OUT=""
run_wrk() { # connections port host seconds
  WRK_OUT="$(taskset -c 0 wrk -t1 -c"$1" -d"$4s" --latency ${3:+-H "Host: $3"} "http://127.0.0.1:$2/" 2>&1)"
  if grep -q "Non-2xx\|Socket errors" <<<"$WRK_OUT"; then
    say "warning: errors through port $2 at $1 connections: $(grep -E 'Non-2xx|Socket errors' <<<"$WRK_OUT" | tr '\n' ' ')"
  fi
}
wrk_rps() { awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<<"$WRK_OUT"; }
wrk_requests() { awk '/requests in/ {print $1}' <<<"$WRK_OUT"; }
wrk_pct() { to_us "$(awk -v p="$1%" '$1 == p {print $2}' <<<"$WRK_OUT")"; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || a == "-" || b == "-" || b + 0 <= 0 || a + 0 < 0) print "n/a"; else printf "%.2f", a / b }'; }
added() { awk -v a="$1" -v d="$2" 'BEGIN { if (a == "" || d == "") print ""; else printf "%.0f", a - d }'; }

bench_update_section() { # BENCHMARKS.md title report: replaces "## title" up to the next "## " (or appends it)
  python3 - "$1" "$2" "$3" <<'EOF'
import pathlib, re, sys
target, title, report = pathlib.Path(sys.argv[1]), sys.argv[2], pathlib.Path(sys.argv[3]).read_text()
section = "## " + title + "\n\n" + report.rstrip("\n") + "\n\n"
text = target.read_text() if target.exists() else "# Benchmarks\n"
pattern = re.compile(r"^## " + re.escape(title) + r"\n.*?(?=^## |\Z)", re.S | re.M)
if pattern.search(text):
    text = pattern.sub(lambda _: section, text, count=1)
else:
    text = text.rstrip("\n") + "\n\n" + section
target.write_text(text.rstrip("\n") + "\n")
EOF
  say "wrote the $2 section of $1"
}

# --- time to ready: a fresh sidecar from exec to /healthz/ready = 200 -----------------------------
# bench_sidecar_start LOG XDS_PORT "COMMAND" [more proxy options...]: runs `COMMAND proxy ...` (COMMAND is
# word-split: "./mesh", or "java @FLAGS -jar DIR/mesh.jar") in ROOT as the workload bench-client, on fresh
# ports, and sets SIDECAR_PID, SIDECAR_OUT_PORT, SIDECAR_HEALTH_PORT and SIDECAR_EXEC_MS (epoch ms just
# before the exec). Every port is picked before that time, so the figure holds no port-picking Python.
# JVM options: JDK_JAVA_OPTIONS in the caller's environment reaches the java launcher.
SIDECAR_PID=""; SIDECAR_OUT_PORT=""; SIDECAR_HEALTH_PORT=""; SIDECAR_EXEC_MS=""
bench_sidecar_start() {
  local log="$1" xds="$2" cmd="$3" in admin metrics
  shift 3
  SIDECAR_OUT_PORT="$(free_port)"; SIDECAR_HEALTH_PORT="$(free_port)"
  in="$(free_port)"; admin="$(free_port)"; metrics="$(free_port)"
  SIDECAR_EXEC_MS="$(date +%s%3N)"
  # shellcheck disable=SC2086
  (cd "$ROOT" && exec $cmd proxy --xds "127.0.0.1:$xds" --workload bench-client --namespace default \
      --outbound-port "$SIDECAR_OUT_PORT" --inbound-port "$in" --admin-port "$admin" \
      --health-port "$SIDECAR_HEALTH_PORT" --metrics-port "$metrics" "$@") > "$log" 2>&1 &
  SIDECAR_PID=$!; PIDS+=("$SIDECAR_PID")
}
bench_sidecar_ready_ms() { # [log]: ms from SIDECAR_EXEC_MS to the first 200 of /healthz/ready (polled every 10 ms)
  local i
  for i in $(seq 6000); do
    if curl -fs -o /dev/null "http://127.0.0.1:$SIDECAR_HEALTH_PORT/healthz/ready" 2>/dev/null; then
      echo $(( $(date +%s%3N) - SIDECAR_EXEC_MS )); return 0
    fi
    kill -0 "$SIDECAR_PID" 2>/dev/null || { say "error: the sidecar exited${1:+: $(tail -3 "$1")}"; return 1; }
    sleep 0.01
  done
  say "error: the sidecar was not ready within 60 s"; return 1
}
bench_sidecar_stop() { kill "$SIDECAR_PID" 2>/dev/null || true; wait "$SIDECAR_PID" 2>/dev/null || true; }
READY_MEDIAN=""; READY_ALL=""
bench_ready_median() { # N XDS_PORT "COMMAND" LOG: N fresh starts, one after another; sets READY_MEDIAN (ms) and READY_ALL ("MS MS ...")
  local n="$1" xds="$2" cmd="$3" log="$4" ms
  READY_MEDIAN=""; READY_ALL=""
  for _ in $(seq "$n"); do
    bench_sidecar_start "$log" "$xds" "$cmd"
    ms="$(bench_sidecar_ready_ms "$log")" || { bench_sidecar_stop; return 1; }
    READY_ALL="${READY_ALL:+$READY_ALL }$ms"
    bench_sidecar_stop
  done
  READY_MEDIAN="$(median <<<"$READY_ALL")"
}
