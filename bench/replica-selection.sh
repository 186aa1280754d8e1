#!/usr/bin/env bash
# Read replica selection with one slow node: starts the rate limiter, three cache nodes, a delaying proxy in front
# of cache-node-3 (LoadGen proxy: every answer of the node arrives DELAY_MS later, as from a slow node; requests
# pass at once), and two gateways over the same nodes, one with Gateway:ReadReplicaSelection=Primary and one with
# LeastOutstanding. Fills the keys through the first, then measures Get at ONE through each in turn, RUNS times,
# with the machine's load average before and after. Stops everything it started (by pid) at the end. The gateways
# know the bench policy locally too, so a call the rate limiter does not decide in time (a busy machine) is still
# served, by the local bucket.
#
#   bench/replica-selection.sh [PORT_BASE] [DELAY_MS] [RUNS] [CONCURRENCY]      defaults: 5100 50 3 64
#
# Ports: PORT_BASE gateway (Primary), +2 gateway (LeastOutstanding), +1 rate limiter, +11..+13 cache nodes, +20 the
# proxy of cache-node-3. On a machine where the AppHost (or bench/gateway.sh) runs, give another base.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:-5100} delay_ms=${2:-50} runs=${3:-3} concurrency=${4:-64}
dotnet build -c Release Microservices.sln -v q -nologo > /dev/null

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; }
trap cleanup EXIT

export ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning ClusterAuth__Key=bench-cluster-key
bin() { echo "services/$1/bin/Release/net10.0"; }
RateLimiter__Policies__bench__Capacity=1000000000 RateLimiter__Policies__bench__RefillPerSecond=1000000000 \
  dotnet "$(bin RateLimiter)/RateLimiter.dll" --contentRoot "$PWD/$(bin RateLimiter)" --urls "http://127.0.0.1:$((base + 1))" & pids+=($!)
for n in 1 2 3; do
  CacheNode__NodeName=cache-node-$n dotnet "$(bin CacheNode)/CacheNode.dll" --contentRoot "$PWD/$(bin CacheNode)" \
    --urls "http://127.0.0.1:$((base + 10 + n))" & pids+=($!)
done
dotnet bench/LoadGen/bin/Release/net10.0/LoadGen.dll proxy --listen "127.0.0.1:$((base + 20))" \
  --target "127.0.0.1:$((base + 13))" --delay-ms "$delay_ms" & pids+=($!)
gateway() { # port selection id
  Gateway__GatewayId=$3 Gateway__ReadReplicaSelection=$2 \
  Security__ApiKeys__0__Key=bench-key Security__ApiKeys__0__Tenant=bench Security__ApiKeys__0__Policy=bench \
  Security__AdminKeys__0=bench-admin-key RateLimiting__Address="http://127.0.0.1:$((base + 1))" \
  RateLimiting__Policies__bench__Capacity=1000000000 RateLimiting__Policies__bench__RefillPerSecond=1000000000 \
  Gateway__Nodes__0__Name=cache-node-1 Gateway__Nodes__0__Address="http://127.0.0.1:$((base + 11))" \
  Gateway__Nodes__1__Name=cache-node-2 Gateway__Nodes__1__Address="http://127.0.0.1:$((base + 12))" \
  Gateway__Nodes__2__Name=cache-node-3 Gateway__Nodes__2__Address="http://127.0.0.1:$((base + 20))" \
    dotnet "$(bin Gateway)/Gateway.dll" --contentRoot "$PWD/$(bin Gateway)" --urls "http://127.0.0.1:$1" & pids+=($!)
}
gateway "$base" Primary gateway-1
gateway "$((base + 2))" LeastOutstanding gateway-2
sleep 5

# 2,000 keys, so the fill writes every one of them even on a busy machine: every Get then hits (items/s = calls/s).
load() { dotnet bench/LoadGen/bin/Release/net10.0/LoadGen.dll --api-key bench-key --keys 2000 "$@"; }
load --target "http://127.0.0.1:$base" --rpc gw-put --concurrency 32 --duration 15 --warmup 0 | awk '/^run 1/ { print "fill:", $0 }'
echo "== cache-node-3 answers ${delay_ms} ms late; $concurrency calls in flight; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for run in $(seq "$runs"); do
  for target in "Primary $base" "LeastOutstanding $((base + 2))"; do
    set -- $target
    load --target "http://127.0.0.1:$2" --rpc gw-get-one --concurrency "$concurrency" --connections 4 --duration 8 --warmup 2 \
      | awk -v s="$1" -v r="$run" '/^run 1/ { sub(/^run 1 +/, ""); printf "run %d  %-16s %s\n", r, s, $0 }'
  done
done
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
