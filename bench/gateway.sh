#!/usr/bin/env bash
# Gateway benchmark: starts the rate limiter, three cache nodes and the gateway in Release (no Aspire proxy),
# fills 10,000 keys, then runs the load generator against the gateway and redis-server (installed with apt-get
# when missing). Prints the load generator's output; stops everything at the end.
# With --node-down: Get (QUORUM) and Put with all nodes up, then cache-node-3 killed (SIGKILL), same run.
# With --disagree: Get (QUORUM) on keys whose replicas agree, and on keys whose replicas disagree before every call
# (each node given a different version straight before it, untimed), so each read repairs one replica before it
# answers (blocking read repair); gw-get-quorum-agree makes the same node writes with one version, as the control.
# With --vs-twemproxy: also starts three redis-servers behind twemproxy (nutcracker, ketama; installed likewise)
# and compares, in one run, medians of 3: Get ONE vs GET, Put QUORUM vs SET (one copy), MultiGet of 100 vs 100
# pipelined GETs, each through twemproxy, and prints the ratios.
# With --cpu: for the floor and each gateway RPC, the CPU each process spent, and its context switches, per call
# over an 8 s run (CPU_RPCS="health gw-get-one" measures only those), and the bytes the gateway allocated per call
# in that run and in a 6 s run of one call at a time (dotnet-counters, a local tool: run `dotnet tool restore` once).
# With --two-gateways: Get ONE and Put QUORUM through one gateway, then through two at once (sum of both).
# With --multiget: only the last rows, MultiGet of 100 and 100 pipelined GETs to one redis-server (for alternating
# runs of two checkouts with SERVICES=).
# SERVICES=<checkout> runs the services built (Release) in another checkout, e.g. a base commit's worktree for a
# before/after comparison; the load generator is always this checkout's.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/require.sh
require redis-server=redis-server
# With SERVICES set, only the load generator is built here.
if [[ -n "${SERVICES:-}" ]]; then dotnet build -c Release bench/LoadGen -v q -nologo > /dev/null
else dotnet build -c Release Microservices.sln -v q -nologo > /dev/null; fi
services=$(realpath "${SERVICES:-$PWD}")/services
# The gateway listens on PORT_BASE (default 5100), the rate limiter on PORT_BASE+1, the nodes on PORT_BASE+11..13.
base=${PORT_BASE:-5100}

# Everything started here is stopped by its pid, never by name or port: other checkouts on the machine may run the same.
pids=()
redis_pid=()
# Waits for them to exit, so a run straight after this one finds its ports free.
cleanup() { kill "${pids[@]}" "${redis_pid[@]}" 2>/dev/null || true; wait "${pids[@]}" "${redis_pid[@]}" 2>/dev/null || true; }
trap cleanup EXIT

# The rate limiter and the nodes refuse calls without the cluster key; the gateway sends it.
export ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning ClusterAuth__Key=bench-cluster-key
RateLimiter__Policies__bench__Capacity=1000000000 RateLimiter__Policies__bench__RefillPerSecond=1000000000 \
  dotnet "$services"/RateLimiter/bin/Release/net10.0/RateLimiter.dll --contentRoot "$services"/RateLimiter/bin/Release/net10.0 \
  --urls http://127.0.0.1:$((base + 1)) & pids+=($!)
declare -A node_pid
for n in 1 2 3; do
  CacheNode__NodeName=cache-node-$n dotnet "$services"/CacheNode/bin/Release/net10.0/CacheNode.dll \
    --contentRoot "$services"/CacheNode/bin/Release/net10.0 --urls http://127.0.0.1:$((base + 10 + n)) & pids+=($!)
  node_pid[$n]=$!
done
# A gateway on port $1 with writer id $2.
start_gateway() {
  Security__ApiKeys__0__Key=bench-key Security__ApiKeys__0__Tenant=bench Security__ApiKeys__0__Policy=bench \
  Security__AdminKeys__0=bench-admin-key RateLimiting__Address=http://127.0.0.1:$((base + 1)) Gateway__GatewayId="$2" \
  Gateway__Nodes__0__Name=cache-node-1 Gateway__Nodes__0__Address=http://127.0.0.1:$((base + 11)) \
  Gateway__Nodes__1__Name=cache-node-2 Gateway__Nodes__1__Address=http://127.0.0.1:$((base + 12)) \
  Gateway__Nodes__2__Name=cache-node-3 Gateway__Nodes__2__Address=http://127.0.0.1:$((base + 13)) \
    dotnet "$services"/Gateway/bin/Release/net10.0/Gateway.dll --contentRoot "$services"/Gateway/bin/Release/net10.0 \
    --urls http://127.0.0.1:"$1" & pids+=($!)
}
start_gateway "$base" gateway-1
gateway_pid=$!
redis-server --port 6379 --save "" --appendonly no > /dev/null & redis_pid=($!)
sleep 5

load() { dotnet bench/LoadGen/bin/Release/net10.0/LoadGen.dll --target http://127.0.0.1:$base --api-key bench-key "$@"; }
if [[ "${1:-}" == "--node-down" ]]; then
  load --rpc gw-put --concurrency 32 --duration 8 --warmup 0 > /dev/null
  echo "== all nodes up"
  load --rpc gw-get-quorum,gw-put --concurrency 64 --connections 4 --duration 8 --warmup 2 --runs 3
  kill -9 "${node_pid[3]}"
  echo "== cache-node-3 killed (the warm-up lets the gateway mark it DOWN)"
  load --rpc gw-get-quorum,gw-put --concurrency 64 --connections 4 --duration 8 --warmup 2 --runs 3
  exit 0
fi
if [[ "${1:-}" == "--two-gateways" ]]; then
  # Get ONE and Put QUORUM with 64 calls in flight: through one gateway, then through two at once (32 each, the
  # second on PORT_BASE+5 with its own writer id, the same nodes); the two-gateway figure is the sum of both.
  start_gateway $((base + 5)) gateway-2
  sleep 5
  load --rpc gw-put --concurrency 32 --duration 8 --warmup 0 > /dev/null
  echo "== one gateway, 64 in flight"
  load --rpc gw-get-one,gw-put --concurrency 64 --connections 4 --duration 8 --warmup 2 --runs 3
  echo "== two gateways at once, 32 in flight each"
  second=$(mktemp)
  dotnet bench/LoadGen/bin/Release/net10.0/LoadGen.dll --target http://127.0.0.1:$((base + 5)) --api-key bench-key \
    --rpc gw-get-one,gw-put --concurrency 32 --connections 2 --duration 8 --warmup 2 --runs 3 > "$second" &
  first=$(load --rpc gw-get-one,gw-put --concurrency 32 --connections 2 --duration 8 --warmup 2 --runs 3)
  wait $!
  echo "$first"; echo "-- gateway-2:"; cat "$second"
  { echo "$first"; cat "$second"; } | awk '/^median/ { m = 1; next } /^target/ { m = 0 } m && NF { sum[$1] += $3 }
    END { for (r in sum) printf "  %-12s %8.0f calls/s through both gateways\n", r, sum[r] }'
  rm -f "$second"
  exit 0
fi
if [[ "${1:-}" == "--vs-twemproxy" ]]; then
  require nutcracker=nutcracker
  work=$(mktemp -d)
  for n in 1 2 3; do
    redis-server --port 639$n --save "" --appendonly no > /dev/null & redis_pid+=($!)
  done
  cat > "$work/nutcracker.yml" <<YML
bench:
  listen: 127.0.0.1:22121
  hash: fnv1a_64
  distribution: ketama
  redis: true
  auto_eject_hosts: false
  servers:
   - 127.0.0.1:6391:1 redis-1
   - 127.0.0.1:6392:1 redis-2
   - 127.0.0.1:6393:1 redis-3
YML
  nutcracker -c "$work/nutcracker.yml" -o "$work/nutcracker.log" -s 22222 & redis_pid+=($!)
  sleep 2
  tw=(--redis "127.0.0.1:22121,proxy=Twemproxy")
  load --rpc gw-put,redis-set "${tw[@]}" --concurrency 32 --duration 8 --warmup 0 > /dev/null
  out=$( {
    load --rpc gw-get-one,redis-get,gw-put,redis-set "${tw[@]}" --concurrency 64 --connections 4 --duration 8 --warmup 2 --runs 3
    load --rpc gw-multiget,redis-get-pipelined "${tw[@]}" --batch 100 --concurrency 16 --connections 4 --duration 8 --warmup 2 --runs 3
  } | tee /dev/stderr)
  echo "== gateway / twemproxy (median calls/s)"
  echo "$out" | awk '/^median/ { m = 1; next } /^target/ { m = 0 } m && NF { rate[$1] = $3 }
    END {
      printf "  Get ONE / GET                %.2fx\n", rate["gw-get-one"] / rate["redis-get"]
      printf "  Put QUORUM / SET             %.2fx\n", rate["gw-put"] / rate["redis-set"]
      printf "  MultiGet 100 / 100 GETs      %.2fx\n", rate["gw-multiget"] / rate["redis-get-pipelined"]
    }'
  rm -rf "$work"
  exit 0
fi
if [[ "${1:-}" == "--cpu" ]]; then
  # Started before the fill, as attaching can take seconds on a busy machine, for long enough to cover every RPC's
  # runs (it writes its file when it stops, and a background job here ignores Ctrl-C).
  cpu_rpcs=(${CPU_RPCS:-health gw-get-one gw-get-quorum gw-put gw-multiget})
  counters="$(mktemp -u).csv"
  seconds=$((60 + 120 * ${#cpu_rpcs[@]}))
  dotnet tool run dotnet-counters collect -p "$gateway_pid" --counters 'System.Runtime[dotnet.gc.heap.total_allocated]' \
    --refresh-interval 1 --format csv -o "$counters" --duration "00:00:$((seconds / 60)):$((seconds % 60))" > /dev/null &
  counters_pid=$!
fi
# Fill every key first, in the gateway and in Redis, so reads hit.
load --rpc gw-put,redis-set --concurrency 32 --duration 8 --warmup 0 > /dev/null
if [[ "${1:-}" == "--disagree" ]]; then
  load --rpc gw-get-quorum,gw-get-quorum-agree,gw-get-quorum-disagree --tenant bench --cluster-key bench-cluster-key \
    --nodes http://127.0.0.1:$((base + 11)),http://127.0.0.1:$((base + 12)),http://127.0.0.1:$((base + 13)) \
    --concurrency 64 --connections 4 --duration 8 --warmup 2 --runs 3
  exit 0
fi
# MultiGet of 100 beside 100 pipelined GETs to one redis-server: the last rows of the default run, and --multiget.
multiget_rows() { load --rpc gw-multiget,redis-get-pipelined --batch 100 --concurrency 16 --connections 4 --duration 8 --warmup 2 --runs 3; }
if [[ "${1:-}" == "--multiget" ]]; then
  multiget_rows
  exit 0
fi
if [[ "${1:-}" == "--cpu" ]]; then
  # CPU ticks (user + system, from /proc/<pid>/stat) and context switches (all threads) of every server process,
  # and the load generator's own time.
  ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
  switches() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ { s += $2 } END { print s }'; }
  hz=$(getconf CLK_TCK)
  windows=()
  # Every RPC once first, so no process compiles its path (JIT) while it is measured.
  load --rpc "$(IFS=,; echo "${cpu_rpcs[*]}")" --batch 100 --concurrency 16 --connections 4 --duration 3 --warmup 0 > /dev/null
  for rpc in "${cpu_rpcs[@]}"; do
    shape=(--concurrency 64 --connections 4)
    [[ "$rpc" == gw-multiget ]] && shape=(--batch 100 --concurrency 16 --connections 4)
    load --rpc "$rpc" "${shape[@]}" --duration 2 --warmup 0 > /dev/null
    declare -A before=() before_switches=()
    for pid in "${pids[@]}"; do before[$pid]=$(ticks "$pid"); before_switches[$pid]=$(switches "$pid"); done
    t0=$(date +%s)
    out=$( { TIMEFORMAT="loadgen %R %U %S"; time load --rpc "$rpc" "${shape[@]}" --duration 8 --warmup 0; } 2>&1)
    rate=$(echo "$out" | awk '/^run 1/ { print $5 }')
    echo "== $rpc: $rate calls/s; CPU and context switches per call:"
    for pid in "${pids[@]}"; do
      name=$(tr '\0' ' ' < "/proc/$pid/cmdline" | grep -o '[A-Za-z]*\.dll' | head -1)
      awk -v n="$name" -v t=$(( $(ticks "$pid") - before[$pid] )) -v s=$(( $(switches "$pid") - before_switches[$pid] )) \
        -v hz="$hz" -v c=$((rate * 8)) 'BEGIN { printf "  %-16s %6.1f us %5.2f switches\n", n, t / hz / c * 1e6, s / c }'
    done
    echo "$out" | awk -v c=$((rate * 8)) '/^loadgen/ { printf "  %-16s %6.1f us (whole process, start-up included)\n", "LoadGen", ($3 + $4) / c * 1e6 }'
    windows+=("$rpc $t0 $(date +%s) $rate")
    # One call at a time: nothing is coalesced, so the bytes per call do not depend on how calls overlap.
    [[ "$rpc" == gw-multiget ]] && shape=(--batch 100) || shape=()
    t0=$(date +%s)
    rate=$(load --rpc "$rpc" "${shape[@]}" --concurrency 1 --connections 1 --duration 6 --warmup 0 | awk '/^run 1/ { print $5 }')
    windows+=("$rpc(1) $t0 $(date +%s) $rate")
  done
  # Bytes the gateway allocated per call: the GC's allocation counter, read every second by dotnet-counters through
  # the whole run, averaged over the whole seconds of each RPC's timed run and divided by its calls per second.
  wait "$counters_pid" || true
  echo "== bytes the gateway allocated per call (rpc(1): one call at a time)"
  while IFS=, read -r stamp _ name _ value; do
    if [[ "$name" == *total_allocated* ]]; then echo "$(date -d "$stamp" +%s) $value"; fi
  done < "$counters" > "$counters.rows"
  for window in "${windows[@]}"; do
    read -r rpc t0 t1 rate <<< "$window"
    awk -v rpc="$rpc" -v t0="$t0" -v t1="$t1" -v rate="$rate" '$1 > t0 + 1 && $1 < t1 { b += $2; n++ }
      END { printf "  %-16s %6.0f bytes\n", rpc, n ? b / n / rate : 0 }' "$counters.rows"
  done
  rm -f "$counters" "$counters.rows"
  exit 0
fi
load --rpc health,gw-get-one,gw-get-quorum,gw-put --concurrency 64 --connections 4 --duration 8 --warmup 2 --runs 3
multiget_rows
