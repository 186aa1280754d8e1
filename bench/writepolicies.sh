#!/usr/bin/env bash
# Write policies: Put at QUORUM with Origin:WritePolicy CacheOnly, WriteThrough and WriteBack, in one run. Starts a
# rate limiter, three cache nodes and three gateways over them (one per policy, each with its own origin file and
# write-back log) in Release, then runs the load generator against each gateway in turn, 3 rounds interleaved so a
# busy machine weighs on each policy alike. Each line gives Put calls/s and latencies, and the origin's committed
# write transactions and rows per second over the run (GetOriginStats). Ports: BENCH_BASE_PORT (default 21350) to
# +12. The services' own output goes to files in a temporary folder, removed at the end with everything started here
# (stopped by pid).
set -euo pipefail
cd "$(dirname "$0")/.."
base=${BENCH_BASE_PORT:-21350}
for project in services/RateLimiter services/CacheNode services/Gateway bench/LoadGen; do
  dotnet build -c Release "$project" -v q -nologo > /dev/null
done

data=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$data"; }
trap cleanup EXIT

export ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning ClusterAuth__Key=bench-cluster-key
RateLimiter__Policies__bench__Capacity=1000000000 RateLimiter__Policies__bench__RefillPerSecond=1000000000 \
  dotnet services/RateLimiter/bin/Release/net10.0/RateLimiter.dll --contentRoot "$PWD"/services/RateLimiter/bin/Release/net10.0 \
  --urls http://127.0.0.1:$base > "$data/ratelimiter.log" 2>&1 & pids+=($!)
for n in 1 2 3; do
  CacheNode__NodeName=cache-node-$n dotnet services/CacheNode/bin/Release/net10.0/CacheNode.dll \
    --contentRoot "$PWD"/services/CacheNode/bin/Release/net10.0 --urls http://127.0.0.1:$((base + n)) > "$data/node-$n.log" 2>&1 & pids+=($!)
done
policies=(CacheOnly WriteThrough WriteBack)
for i in 0 1 2; do
  policy=${policies[$i]}
  Gateway__GatewayId=gateway-$policy Origin__Path="$data/$policy.db" Origin__WritePolicy=$policy \
  Origin__WriteBack__Path="$data/$policy-writeback" \
  Security__ApiKeys__0__Key=bench-key Security__ApiKeys__0__Tenant=bench Security__ApiKeys__0__Policy=bench \
  Security__AdminKeys__0=bench-admin-key RateLimiting__Address=http://127.0.0.1:$base \
  Gateway__Nodes__0__Name=cache-node-1 Gateway__Nodes__0__Address=http://127.0.0.1:$((base + 1)) \
  Gateway__Nodes__1__Name=cache-node-2 Gateway__Nodes__1__Address=http://127.0.0.1:$((base + 2)) \
  Gateway__Nodes__2__Name=cache-node-3 Gateway__Nodes__2__Address=http://127.0.0.1:$((base + 3)) \
    dotnet services/Gateway/bin/Release/net10.0/Gateway.dll --contentRoot "$PWD"/services/Gateway/bin/Release/net10.0 \
    --urls http://127.0.0.1:$((base + 10 + i)) > "$data/gateway-$policy.log" 2>&1 & pids+=($!)
done
load() {
  dotnet bench/LoadGen/bin/Release/net10.0/LoadGen.dll --api-key bench-key --admin-key bench-admin-key \
    --rpc gw-put --concurrency 64 --connections 4 "$@"
}
# Wait until every gateway answers (start-up is slow on a busy machine), then warm it (JIT, connections).
for i in 0 1 2; do
  for try in $(seq 60); do
    load --target http://127.0.0.1:$((base + 10 + i)) --duration 1 --warmup 0 > /dev/null 2>&1 && break
    sleep 2
  done
  load --target http://127.0.0.1:$((base + 10 + i)) --duration 3 --warmup 0 > /dev/null
done
for round in 1 2 3; do
  for i in 0 1 2; do
    line=$(load --target http://127.0.0.1:$((base + 10 + i)) --duration 8 --warmup 2 | grep '^run 1')
    printf 'round %s  %-12s %s\n' "$round" "${policies[$i]}" "${line#run 1  }"
  done
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)   cores: $(nproc)"
