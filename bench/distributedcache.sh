#!/usr/bin/env bash
# IDistributedCache side by side: ours (Microservices.Client over the gateway, three cache nodes, QUORUM) and
# Microsoft.Extensions.Caching.StackExchangeRedis over one redis-server, on this machine, through the same interface.
# Starts the rate limiter, three nodes, the gateway (Release, no Aspire proxy) and redis-server on ports 21300-21379,
# runs bench/DistributedCacheBench, and stops everything it started (by pid) at the end. Installs redis-server with
# apt-get when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/require.sh
require redis-server=redis-server
for project in services/RateLimiter services/CacheNode services/Gateway bench/DistributedCacheBench; do
  dotnet build -c Release "$project" -v q -nologo > /dev/null
done

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; }
trap cleanup EXIT

export ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning ClusterAuth__Key=bench-cluster-key
RateLimiter__Policies__bench__Capacity=1000000000 RateLimiter__Policies__bench__RefillPerSecond=1000000000 \
  dotnet services/RateLimiter/bin/Release/net10.0/RateLimiter.dll --contentRoot "$PWD"/services/RateLimiter/bin/Release/net10.0 \
  --urls http://127.0.0.1:21301 & pids+=($!)
for n in 1 2 3; do
  CacheNode__NodeName=cache-node-$n dotnet services/CacheNode/bin/Release/net10.0/CacheNode.dll \
    --contentRoot "$PWD"/services/CacheNode/bin/Release/net10.0 --urls http://127.0.0.1:2131$n & pids+=($!)
done
# Deadlines above the defaults (1 s to a replica, 50 ms to the limiter): the machine is shared and often loaded.
Gateway__ReplicaTimeout=00:00:05 RateLimiting__Timeout=00:00:02 \
Security__ApiKeys__0__Key=bench-key Security__ApiKeys__0__Tenant=bench Security__ApiKeys__0__Policy=bench \
Security__AdminKeys__0=bench-admin-key RateLimiting__Address=http://127.0.0.1:21301 \
Gateway__Nodes__0__Name=cache-node-1 Gateway__Nodes__0__Address=http://127.0.0.1:21311 \
Gateway__Nodes__1__Name=cache-node-2 Gateway__Nodes__1__Address=http://127.0.0.1:21312 \
Gateway__Nodes__2__Name=cache-node-3 Gateway__Nodes__2__Address=http://127.0.0.1:21313 \
  dotnet services/Gateway/bin/Release/net10.0/Gateway.dll --contentRoot "$PWD"/services/Gateway/bin/Release/net10.0 \
  --urls http://127.0.0.1:21300 & pids+=($!)
redis-server --port 21379 --save "" --appendonly no > /dev/null & pids+=($!)
sleep 8

dotnet bench/DistributedCacheBench/bin/Release/net10.0/DistributedCacheBench.dll \
  --gateway http://127.0.0.1:21300 --api-key bench-key --redis 127.0.0.1:21379 "$@"
