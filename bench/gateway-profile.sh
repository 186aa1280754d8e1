#!/usr/bin/env bash
# Where the gateway's CPU goes: starts the rate limiter, three cache nodes and the gateway in Release (as
# bench/gateway.sh does, on ports PORT_BASE..PORT_BASE+4, default 21350), fills 10,000 keys, then for each RPC given
# (default gw-get-one and gw-put) runs the load generator for 20 s and samples the gateway's CPU for 10 s of it
# (Linux perf, 999 Hz; DOTNET_PerfMapEnabled=1 so perf names JIT-compiled methods, W^X off so it finds their code).
# Prints the gateway's CPU samples by assembly or native library, then by method (self time), and keeps the
# perf.data files and the JIT's perf map in OUT (default a new temporary folder). Needs perf (Debian: linux-perf,
# installed with apt-get when missing), as root or with kernel.perf_event_paranoid <= 1.
# SERVICES=<checkout> profiles the services built in another checkout, as in bench/gateway.sh.
# Usage: bench/gateway-profile.sh [rpc ...]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/require.sh
require perf=linux-perf
# With SERVICES set, only the load generator is built here.
if [[ -n "${SERVICES:-}" ]]; then dotnet build -c Release bench/LoadGen -v q -nologo > /dev/null
else dotnet build -c Release Microservices.sln -v q -nologo > /dev/null; fi
services=$(realpath "${SERVICES:-$PWD}")/services
base=${PORT_BASE:-21350}
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"

pids=()
cleanup() {
  kill "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  mv -f /tmp/perf-"${gateway_pid:-none}".map "$out"/ 2>/dev/null || true
}
trap cleanup EXIT

export ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning ClusterAuth__Key=bench-cluster-key
RateLimiter__Policies__bench__Capacity=1000000000 RateLimiter__Policies__bench__RefillPerSecond=1000000000 \
  dotnet "$services"/RateLimiter/bin/Release/net10.0/RateLimiter.dll --contentRoot "$services"/RateLimiter/bin/Release/net10.0 \
  --urls http://127.0.0.1:$((base + 1)) & pids+=($!)
for n in 1 2 3; do
  CacheNode__NodeName=cache-node-$n dotnet "$services"/CacheNode/bin/Release/net10.0/CacheNode.dll \
    --contentRoot "$services"/CacheNode/bin/Release/net10.0 --urls http://127.0.0.1:$((base + 1 + n)) & pids+=($!)
done
Security__ApiKeys__0__Key=bench-key Security__ApiKeys__0__Tenant=bench Security__ApiKeys__0__Policy=bench \
Security__AdminKeys__0=bench-admin-key RateLimiting__Address=http://127.0.0.1:$((base + 1)) \
Gateway__Nodes__0__Name=cache-node-1 Gateway__Nodes__0__Address=http://127.0.0.1:$((base + 2)) \
Gateway__Nodes__1__Name=cache-node-2 Gateway__Nodes__1__Address=http://127.0.0.1:$((base + 3)) \
Gateway__Nodes__2__Name=cache-node-3 Gateway__Nodes__2__Address=http://127.0.0.1:$((base + 4)) \
DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 \
  dotnet "$services"/Gateway/bin/Release/net10.0/Gateway.dll --contentRoot "$services"/Gateway/bin/Release/net10.0 \
  --urls http://127.0.0.1:"$base" & pids+=($!)
gateway_pid=$!
sleep 5

load() { dotnet bench/LoadGen/bin/Release/net10.0/LoadGen.dll --target http://127.0.0.1:"$base" --api-key bench-key "$@"; }
load --rpc gw-put --concurrency 32 --duration 8 --warmup 0 > /dev/null
rpcs=("$@")
[[ ${#rpcs[@]} -gt 0 ]] || rpcs=(gw-get-one gw-put)
# Every RPC once first, so the samples are not of the JIT compiling its path.
load --rpc "$(IFS=,; echo "${rpcs[*]}")" --batch 100 --concurrency 16 --connections 4 --duration 5 --warmup 0 > /dev/null
for rpc in "${rpcs[@]}"; do
  shape=(--concurrency 64 --connections 4)
  [[ "$rpc" == gw-multiget ]] && shape=(--batch 100 --concurrency 16 --connections 4)
  load --rpc "$rpc" "${shape[@]}" --duration 20 --warmup 0 > "$out/$rpc.load.txt" & load_pid=$!
  sleep 5
  perf record -F 999 -g -p "$gateway_pid" -o "$out/$rpc.perf.data" -- sleep 10 2> /dev/null
  wait "$load_pid"
  echo "== $rpc: $(awk '/^run 1/ { print $5 }' "$out/$rpc.load.txt") calls/s; share of the gateway's CPU samples (self), by assembly or library"
  # Self samples by where the code is: a JIT-compiled method's assembly (the one before Type::Method), else the
  # native library (the runtime, the JIT, libc, the kernel).
  perf report -i "$out/$rpc.perf.data" --no-children --sort dso,symbol --stdio -g none 2> /dev/null | grep -v '^#' |
    awk 'NF > 2 && /%/ { pct = $1; sub(/%/, "", pct); where = $2
           if (where == "[JIT]") {
             rest = $0; sub(/^.*\[\.\] /, "", rest); where = "runtime stubs"
             if (match(rest, /\[[A-Za-z][A-Za-z0-9.]*\] [^ ]*::/)) { where = substr(rest, RSTART + 1); sub(/\].*/, "", where) }
           }
           share[where] += pct }
         END { for (w in share) if (share[w] >= 0.5) printf "  %6.2f%%  %s\n", share[w], w }' | sort -rn | head -25
  echo "-- methods (self)"
  perf report -i "$out/$rpc.perf.data" --no-children --sort symbol --stdio -g none --percent-limit 0.4 2> /dev/null | grep -v '^#' |
    grep -v '^$' | sed -E 's/ +/ /g; s/\[(InstrumentedTier[A-Za-z0-9]*|QuickJitted|Optimized|OptimizedTier1|Tier1|Tier0)\]//g' | cut -c1-220
done
echo "perf data in $out"
