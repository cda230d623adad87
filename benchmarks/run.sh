#!/usr/bin/env bash
# Runs every benchmark of BENCHMARKS.md and writes the tables to benchmarks/results/ (about 12 minutes on 2 cores).
#   benchmarks/run.sh              everything but e2e-adapters
#   benchmarks/run.sh jmh|grpc|drain|startup|memory|e2e|e2e-adapters|exit    one part
# e2e-adapters (each adapter end to end beside the same server without it: servlet on Jetty and Tomcat, Netty h2c,
# gRPC) takes about 14 minutes more with the default 20 rounds of 4 s, so `all` leaves it out: run it on its own.
# e2e and e2e-adapters take ROUNDS, SECONDS_PER_ROUND and WARMUP_SECONDS from the environment (default 20, 4, and
# 5 s for e2e, 15 s for e2e-adapters).
# Needs wrk, curl and taskset (Debian: wrk, curl, util-linux), and h2load (nghttp2-client) for e2e-adapters;
# installs what is missing with apt-get when run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
parts=${1:-all}
out=benchmarks/results
mkdir -p "$out"
jar=benchmarks/target/benchmarks.jar
java=${JAVA:-java}

require() { # command, Debian package
  if ! command -v "$1" >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then apt-get install -y -qq "$2" >/dev/null; else echo "$1 is missing" >&2; exit 1; fi
  fi
}
require wrk wrk
require curl curl
if [ "$parts" = e2e-adapters ]; then require h2load nghttp2-client; fi
mvn -B -q -ntp -Pbenchmarks -DskipTests -pl benchmarks,examples -am package

want() { [ "$parts" = all ] || [ "$parts" = "$1" ]; }
cores=$(nproc)
server_cpu=0
client_cpu=$(( cores > 1 ? 1 : 0 ))
{
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
  echo "jdk: $($java -version 2>&1 | head -n 1)"
  echo "date: $(date -u +%FT%TZ)"
} > "$out/machine.txt"

if want jmh; then
  # 5 forks: on a shared VM one fork's JIT and placement luck moves a score by tens of percent
  for t in 1 2; do
    echo "load before -t $t: $(uptime)" >> "$out/machine.txt"
    $java -jar "$jar" AdmissionBenchmark -f "${FORKS:-5}" -t "$t" -prof gc -rf json -rff "$out/jmh-t$t.json" \
      > "$out/jmh-t$t.txt"
    echo "load after -t $t: $(uptime)" >> "$out/machine.txt"
  done
  # ns/op and B/op per benchmark, with the ratio to the bare AtomicLong at the same thread count
  for t in 1 2; do
    python3 - "$out/jmh-t$t.json" "$t" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
base = {r["benchmark"].split(".")[-1]: r for r in rows}
ref = base["atomicLong"]["primaryMetric"]["score"]
packed = base["undertowPackedCas"]["primaryMetric"]["score"]
print(f"\nthreads: {sys.argv[2]}\n\n| benchmark | ns/op | error | vs AtomicLong | vs packed CAS | B/op |\n|---|---|---|---|---|---|")
for name in ["atomicLong", "longAdder", "undertowPackedCas", "lifecycleTracker", "lifecycleTrackerDescribed"]:
    r = base[name]
    m = r["primaryMetric"]
    norm = [v for k, v in r["secondaryMetrics"].items() if k.endswith("gc.alloc.rate.norm")]
    alloc = norm[0]["score"] if norm else float("nan")
    print(f"| {name} | {m['score']:.2f} | ±{m['scoreError']:.2f} | {m['score']/ref:.2f}x | {m['score']/packed:.2f}x | {alloc:.1f} |")
PY
  done > "$out/jmh.md"
  cat "$out/jmh.md"
fi

if want grpc; then
  # lifecycle-grpc per call: the interceptor alone, and a loopback unary round trip, each beside a bare server
  $java -jar "$jar" GrpcCallBenchmark -t 1 -prof gc -rf json -rff "$out/grpc.json" > "$out/grpc.txt"
  python3 - "$out/grpc.json" <<'PY' | tee "$out/grpc.md"
import json, sys
rows = {r["benchmark"].split(".")[-1]: r for r in json.load(open(sys.argv[1]))}
print("| benchmark | ns/op | error | B/op |\n|---|---|---|---|")
for name in ["interceptBare", "interceptUnary", "interceptStream", "roundTripBare", "roundTripLifecycle"]:
    r = rows[name]
    m = r["primaryMetric"]
    norm = [v for k, v in r["secondaryMetrics"].items() if k.endswith("gc.alloc.rate.norm")]
    print(f"| {name} | {m['score']:.1f} | ±{m['scoreError']:.1f} | {norm[0]['score'] if norm else float('nan'):.0f} |")
PY
fi

if want drain; then
  $java -cp "$jar" dev.lifecycle.benchmarks.DrainLatency 5000 | tee "$out/drain.md"
fi

if want startup; then
  $java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$jar" dev.lifecycle.benchmarks.StartupLatency 20 \
    | tee "$out/startup.md"
fi

if want memory; then
  $java -Xmx1g -XX:+UseSerialGC -cp "$jar" dev.lifecycle.benchmarks.RetainedMemory 200000 | tee "$out/memory.md"
fi

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
grpc_request="$out/grpc-request.bin"

# Loads one variant for $3 seconds from the client CPU, 32 connections with one request each in flight; prints
# "successes failures requests_per_s p99_ms", requests_per_s and p99 of the successful requests. $1: http1 (wrk, GET
# /), h2c (h2load, GET / with prior knowledge) or grpc (h2load, POST of an empty message to bench.Bench/Hello).
# Never fails: a server that does not answer shows as 0 successes.
load() {
  local kind=$1 port=$2 seconds=$3
  if [ "$kind" = http1 ]; then
    { taskset -c $client_cpu wrk -t1 -c32 -d"${seconds}s" --latency "http://127.0.0.1:$port/" || true; } | awk '
      /requests in/ {n = $1}
      /Non-2xx or 3xx responses/ {bad = $NF}
      /Requests\/sec/ {rps = $2}
      $1 == "99%" {v = $2; if (v ~ /us$/) {sub(/us/, "", v); v /= 1000} else if (v ~ /ms$/) {sub(/ms/, "", v)}
                   else if (v ~ /s$/) {sub(/s/, "", v); v *= 1000}; p99 = v}
      END {printf "%d %d %.2f %s\n", n - bad, bad, n ? rps * (n - bad) / n : 0, p99}'
    return
  fi
  local log url args=()
  log=$(mktemp)
  url="http://127.0.0.1:$port/"
  if [ "$kind" = grpc ]; then
    url="${url}bench.Bench/Hello"
    args=(-d "$grpc_request" -H 'content-type: application/grpc' -H 'te: trailers')
  fi
  # h2load's log: one line per request, "start_µs status elapsed_µs"
  taskset -c $client_cpu h2load -t1 -c32 -m1 -D "$seconds" --log-file="$log" "${args[@]}" "$url" > "$log.out" \
    || true
  local p99
  p99=$(awk '$2 ~ /^2/ {print $3}' "$log" | sort -n | awk '{a[NR] = $1}
    END {i = NR * 0.99; i = (i == int(i)) ? i : int(i) + 1; printf "%.2f", NR ? a[i] / 1000 : 0}')
  awk -v kind="$kind" -v p99="$p99" '
    /^finished in/ {rps = $4}
    /^requests:/ {done = $6; failed = $10; errored = $12; timeout = $14}
    /^status codes:/ {ok = $3}
    /^traffic:/ {data = $(NF - 1); gsub(/[()]/, "", data)}
    END {
      bad = done - ok + failed + errored + timeout
      # gRPC errors are HTTP 200 too, without a message: each good answer has 11 bytes of DATA ("hello\n" framed)
      if (kind == "grpc" && data < 11 * ok) {bad += ok - int(data / 11); ok = int(data / 11)}
      printf "%d %d %.2f %s\n", ok, bad, done ? rps * ok / done : 0, p99
    }' "$log.out"
  rm -f "$log" "$log.out"
}

# Fails the run unless one request to the variant gets the "hello" answer (for gRPC: grpc-status 0 too).
check() {
  local v=$1 kind=$2 port=$3 answer headers="$out/grpc-check.txt"
  case $kind in
    http1) answer=$(curl -sf "http://127.0.0.1:$port/" || true) ;;
    h2c) answer=$(curl -sf --http2-prior-knowledge "http://127.0.0.1:$port/" || true) ;;
    grpc)
      : > "$headers"
      answer=$({ curl -sf --http2-prior-knowledge -D "$headers" --data-binary @"$grpc_request" \
        -H 'content-type: application/grpc' -H 'te: trailers' "http://127.0.0.1:$port/bench.Bench/Hello" || true; } \
        | tail -c 6)
      grep -q '^grpc-status: 0' "$headers" || answer="$answer; no grpc-status 0 in: $(tr '\r\n' '  ' < "$headers")"
      ;;
  esac
  if [ "$answer" != hello ]; then
    echo "$v ($kind, port $port): answered '$answer' (expected: hello)" >&2
    exit 1
  fi
}

# One end-to-end part: starts every variant ("name:kind", kind as for load) at once on the server CPU with the same
# heap, checks one request to each, warms each up for WARMUP_SECONDS (default: $4), then runs ROUNDS rounds (default
# 20) of SECONDS_PER_ROUND (default 4) per variant, in a new shuffled order each round. CPU per request: the server's
# utime+stime from /proc/<pid>/stat over the round, divided by the successful requests; a round with a failed
# request stops the run. Writes $out/<part>.csv and $out/<part>.md, with the per-round with/without ratios of $3
# ("a/b,c/d").
end_to_end() {
  local part=$1 port=$2 pairs=$3 warmup=${WARMUP_SECONDS:-$4}
  shift 4
  local specs=("$@") variants=() v kind
  local rounds=${ROUNDS:-20} seconds=${SECONDS_PER_ROUND:-4} hz
  hz=$(getconf CLK_TCK)
  declare -A pids ports kinds
  server_pids=()
  for spec in "${specs[@]}"; do
    v=${spec%%:*}
    variants+=("$v")
    kinds[$v]=${spec#*:}
    ports[$v]=$port
    taskset -c $server_cpu $java -Xms256m -Xmx256m -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
      -cp "$jar" dev.lifecycle.benchmarks.EndToEndServer "$v" "$port" > "$out/server-$v.log" 2>&1 &
    pids[$v]=$!
    server_pids+=($!)
    port=$((port + 1))
  done
  trap 'for p in "${server_pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
  for v in "${variants[@]}"; do
    for _ in $(seq 600); do grep -q listening "$out/server-$v.log" && break; sleep 0.1; done
    grep -q listening "$out/server-$v.log" || { echo "$v did not start: see $out/server-$v.log" >&2; exit 1; }
    check "$v" "${kinds[$v]}" "${ports[$v]}"
    load "${kinds[$v]}" "${ports[$v]}" "$warmup" > /dev/null
  done
  echo "load before $part: $(uptime)" >> "$out/machine.txt"
  echo "round,variant,requests_per_s,p99_ms,cpu_us_per_request" > "$out/$part.csv"
  local r before after ok bad rps p99 cpu
  for r in $(seq "$rounds"); do
    # a different order each round, so that drift on the machine is spread over the variants
    for v in $(printf '%s\n' "${variants[@]}" | shuf); do
      before=$(ticks "${pids[$v]}")
      read -r ok bad rps p99 < <(load "${kinds[$v]}" "${ports[$v]}" "$seconds") || true
      after=$(ticks "${pids[$v]}")
      if [ -z "$ok" ] || [ "$bad" != 0 ] || [ "$ok" = 0 ]; then
        echo "$part round $r: $v answered $bad request(s) with an error, $ok successfully (expected: no error)" >&2
        exit 1
      fi
      cpu=$(awk -v t=$((after - before)) -v n="$ok" -v hz="$hz" 'BEGIN {printf "%.2f", t * 1e6 / hz / n}')
      echo "$r,$v,$rps,$p99,$cpu" >> "$out/$part.csv"
    done
  done
  python3 benchmarks/e2e_summary.py "$out/$part.csv" --variants "$(IFS=,; echo "${variants[*]}")" --pairs "$pairs" \
    | tee "$out/$part.md"
  echo "load after $part: $(uptime)" >> "$out/machine.txt"
  for p in "${server_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  trap - EXIT
}

if want e2e; then
  pairs=undertow-graceful/undertow-bare,servlet-lifecycle/servlet-bare,servlet-noop-filter/servlet-bare
  pairs+=,servlet-lifecycle/servlet-noop-filter,netty-lifecycle/netty-bare,netty-noop-handler/netty-bare
  pairs+=,netty-lifecycle/netty-noop-handler
  end_to_end e2e 19080 "$pairs" 5 \
    undertow-bare:http1 undertow-graceful:http1 servlet-bare:http1 servlet-noop-filter:http1 servlet-lifecycle:http1 \
    netty-bare:http1 netty-noop-handler:http1 netty-lifecycle:http1
fi

if [ "$parts" = e2e-adapters ]; then
  # an empty message (also an empty protobuf message), framed: not compressed, length 0
  printf '\0\0\0\0\0' > "$grpc_request"
  pairs=jetty-lifecycle/jetty-bare,tomcat-lifecycle/tomcat-bare,netty-h2c-lifecycle/netty-h2c-bare
  pairs+=,grpc-lifecycle/grpc-bare
  # 15 s: grpc-java and Netty's HTTP/2 reach their steady throughput after 10-15 s of load, HTTP/1.1 after 5 s
  end_to_end e2e-adapters 19100 "$pairs" 15 \
    jetty-bare:http1 jetty-lifecycle:http1 tomcat-bare:http1 tomcat-lifecycle:http1 \
    netty-h2c-bare:h2c netty-h2c-lifecycle:h2c grpc-bare:grpc grpc-lifecycle:grpc
fi

if want exit; then
  # A real JVM of the example service (H2), pre-stop delay 0: SIGTERM to exit, idle and with one request of D ms.
  data=$(mktemp -d)
  d_ms=1000
  echo "run,idle_sigterm_to_exit_ms,inflight_exit_minus_D_ms" > "$out/exit.csv"
  for run in 1 2 3 4 5; do
    results=()
    for mode in idle inflight; do
      log="$out/exit-$mode.log"
      PORT=19180 BIND_ADDRESS=127.0.0.1 DATA_DIR="$data" LIFECYCLE_PRESTOP_DELAY=0 INSTANCE_ID=bench \
        $java -jar examples/target/examples.jar > "$log" 2>&1 &
      pid=$!
      for _ in $(seq 300); do grep -q "Ready in" "$log" && break; sleep 0.1; done
      if [ "$mode" = inflight ]; then
        start=$(date +%s%N)
        curl -s -o /dev/null "http://127.0.0.1:19180/work?ms=$d_ms" &
        curl_pid=$!
        for _ in $(seq 100); do curl -s 'http://127.0.0.1:19180/health/ready' | grep -q '"inflight":1' && break; sleep 0.01; done
      else
        start=$(date +%s%N)
      fi
      kill -TERM "$pid"
      wait "$pid" || true
      end=$(date +%s%N)
      if [ "$mode" = inflight ]; then
        wait "$curl_pid" || true
        results+=("$(( (end - start) / 1000000 - d_ms ))")
      else
        results+=("$(( (end - start) / 1000000 ))")
      fi
    done
    echo "$run,${results[0]},${results[1]}" >> "$out/exit.csv"
  done
  rm -rf "$data"
  cat "$out/exit.csv"
fi
