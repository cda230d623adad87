#!/usr/bin/env bash
# Runs every benchmark of BENCHMARKS.md and writes the tables to benchmarks/results/ (about 12 minutes on 2 cores).
#   benchmarks/run.sh              everything
#   benchmarks/run.sh jmh|grpc|drain|startup|memory|e2e|exit    one part
# Needs wrk and taskset (Debian: wrk, util-linux); installs wrk with apt-get when missing and run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
parts=${1:-all}
out=benchmarks/results
mkdir -p "$out"
jar=benchmarks/target/benchmarks.jar
java=${JAVA:-java}

if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then apt-get install -y -qq wrk >/dev/null; else echo "wrk is missing" >&2; exit 1; fi
fi
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

if want e2e; then
  variants=(undertow-bare undertow-graceful servlet-bare servlet-noop-filter servlet-lifecycle netty-bare netty-noop-handler
            netty-lifecycle)
  rounds=${ROUNDS:-20}
  seconds=${SECONDS_PER_ROUND:-4}
  declare -A pids ports
  port=19080
  for v in "${variants[@]}"; do
    ports[$v]=$port
    taskset -c $server_cpu $java -Xms256m -Xmx256m -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
      -cp "$jar" dev.lifecycle.benchmarks.EndToEndServer "$v" "$port" > "$out/server-$v.log" 2>&1 &
    pids[$v]=$!
    port=$((port + 1))
  done
  trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
  for v in "${variants[@]}"; do
    for _ in $(seq 100); do grep -q listening "$out/server-$v.log" && break; sleep 0.1; done
    taskset -c $client_cpu wrk -t1 -c32 -d5s "http://127.0.0.1:${ports[$v]}/" > /dev/null # warm-up
  done
  echo "load before e2e: $(uptime)" >> "$out/machine.txt"
  echo "round,variant,requests_per_s,p99_ms,cpu_us_per_request" > "$out/e2e.csv"
  for r in $(seq "$rounds"); do
    # a different order each round, so that drift on the machine is spread over the variants
    for v in $(printf '%s\n' "${variants[@]}" | shuf); do
      before=$(ticks "${pids[$v]}")
      result=$(taskset -c $client_cpu wrk -t1 -c32 -d"${seconds}s" --latency "http://127.0.0.1:${ports[$v]}/")
      after=$(ticks "${pids[$v]}")
      requests=$(echo "$result" | awk '/requests in/ {print $1}')
      rps=$(echo "$result" | awk '/Requests\/sec/ {print $2}')
      p99=$(echo "$result" | awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; print v}')
      hz=$(getconf CLK_TCK)
      cpu=$(awk -v t=$((after - before)) -v n="$requests" -v hz="$hz" 'BEGIN {printf "%.2f", t * 1e6 / hz / n}')
      echo "$r,$v,$rps,$p99,$cpu" >> "$out/e2e.csv"
    done
  done
  python3 - "$out/e2e.csv" <<'PY' | tee "$out/e2e.md"
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
by = {}
for r in rows:
    by.setdefault(r["variant"], []).append(r)
def med(v, k): return statistics.median(float(r[k]) for r in by[v])
def spread(v, k):
    xs = sorted(float(r[k]) for r in by[v]); return f"{xs[0]:.0f}–{xs[-1]:.0f}" if k == "requests_per_s" else f"{xs[0]:.2f}–{xs[-1]:.2f}"
print(f"rounds: {len(by['undertow-bare'])}\n")
print("| variant | req/s median | req/s min–max | p99 ms median | CPU µs/request median | CPU µs/request min–max |")
print("|---|---|---|---|---|---|")
for v in by:
    print(f"| {v} | {med(v,'requests_per_s'):.0f} | {spread(v,'requests_per_s')} | {med(v,'p99_ms'):.2f} | {med(v,'cpu_us_per_request'):.2f} | {spread(v,'cpu_us_per_request')} |")
pairs = [("undertow-graceful", "undertow-bare"), ("servlet-lifecycle", "servlet-bare"),
         ("servlet-noop-filter", "servlet-bare"), ("servlet-lifecycle", "servlet-noop-filter"),
         ("netty-lifecycle", "netty-bare"), ("netty-noop-handler", "netty-bare"),
         ("netty-lifecycle", "netty-noop-handler")]
def q(xs):
    xs = sorted(xs); n = len(xs)
    return statistics.median(xs), xs[n // 4], xs[(3 * n) // 4]
print("\n| with / without | throughput ratio: median (q1–q3) | CPU per request ratio: median (q1–q3) |")
print("|---|---|---|")
for a, b in pairs:
    ra = {r["round"]: r for r in by[a]}; rb = {r["round"]: r for r in by[b]}
    tp = q([float(ra[k]["requests_per_s"]) / float(rb[k]["requests_per_s"]) for k in ra])
    cpu = q([float(ra[k]["cpu_us_per_request"]) / float(rb[k]["cpu_us_per_request"]) for k in ra])
    print(f"| {a} / {b} | {tp[0]:.3f} ({tp[1]:.3f}–{tp[2]:.3f}) | {cpu[0]:.3f} ({cpu[1]:.3f}–{cpu[2]:.3f}) |")
PY
  echo "load after e2e: $(uptime)" >> "$out/machine.txt"
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  trap - EXIT
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
