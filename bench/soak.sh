#!/usr/bin/env bash
# Soak: starts the services directly from their Release builds (no AppHost, no Aspire proxy) on ports 21200-21213,
# puts a mixed load on them for a given time, samples every process's resident memory (VmRSS) and CPU every
# 30 s, and prints a table and a verdict per service. Stops exactly the processes it started, by pid.
#
#   bench/soak.sh [--minutes 30] [--sample 30]     mixed load through the gateway and straight to the collector:
#       Gets (ONE) of 20,000 keys 200/s, Puts of 1 KB values with a 600 s TTL over those keys 150/s, MultiGets of
#       50 keys 30/s, Writes of 50 log entries over 50 services and 1,000 error messages 150/s (530 calls/s).
#   bench/soak.sh --flood [--minutes 5]            the collector alone: 3 clients, closed loop, Writes of 200
#       entries over 2,000 services and 100,000 error messages, as fast as it answers.
#
# Environment: COLLECTOR_MAX_BYTES (LogCollector:MaxBytes), NODE_MAX_BYTES (CacheNode:MaxBytes), PORT_BASE (21200),
# COUNTERS=dir: also record each service's System.Runtime counters (dotnet-counters on PATH) as CSV in dir, and
# take a heap snapshot of each (dotnet-gcdump on PATH) after the last sample, with its report by type.
# The verdict ignores the first 3 minutes (start-up and the keys filling), then fits a line to the later samples:
# "flat" when the whole later range is within 5 % (or 8 MB), "plateaued at X" when the last half (at least 4
# samples) rises under 0.5 MB/min, else "still rising at Y MB/min".
set -euo pipefail
cd "$(dirname "$0")/.."

minutes=30 sample=30 flood=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --minutes) minutes=$2; shift 2 ;;
    --sample) sample=$2; shift 2 ;;
    --flood) flood=1; [[ "$minutes" == 30 ]] && minutes=5; shift ;;
    *) echo "usage: bench/soak.sh [--minutes N] [--sample S] [--flood]" >&2; exit 2 ;;
  esac
done
base=${PORT_BASE:-21200}
dotnet build -c Release Microservices.sln -v q -nologo > /dev/null

pids=() names=() load_pids=() counter_pids=()
cleanup() { kill "${load_pids[@]}" "${counter_pids[@]}" "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT

export ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning ClusterAuth__Key=soak-cluster-key
[[ -n "${COLLECTOR_MAX_BYTES:-}" ]] && export LogCollector__MaxBytes=$COLLECTOR_MAX_BYTES
[[ -n "${NODE_MAX_BYTES:-}" ]] && export CacheNode__MaxBytes=$NODE_MAX_BYTES
start() { # name, dll, port, then env assignments
  local name=$1 dll=$2 port=$3; shift 3
  env "$@" dotnet "services/$dll/bin/Release/net10.0/$dll.dll" --contentRoot "$PWD/services/$dll/bin/Release/net10.0" \
    --urls "http://127.0.0.1:$port" > "/tmp/soak-$base-$name.log" 2>&1 &
  pids+=($!) names+=("$name")
}
rm -f /tmp/soak-$base-load-*.log
load() { dotnet bench/LoadGen/bin/Release/net10.0/LoadGen.dll --duration $((minutes * 60 + sample)) --warmup 0 "$@" \
  > "/tmp/soak-$base-load-${#load_pids[@]}.log" 2>&1 & load_pids+=($!); }

start logcollector LogCollector $((base + 1))
if [[ $flood == 0 ]]; then
  start ratelimiter RateLimiter $((base + 0)) RateLimiter__Policies__soak__Capacity=1000000000 RateLimiter__Policies__soak__RefillPerSecond=1000000000
  for n in 1 2 3; do start cache-node-$n CacheNode $((base + 10 + n)) CacheNode__NodeName=cache-node-$n; done
  start gateway Gateway $((base + 10)) Security__ApiKeys__0__Key=soak-key Security__ApiKeys__0__Tenant=soak \
    Security__ApiKeys__0__Policy=soak Security__AdminKeys__0=soak-admin-key RateLimiting__Address=http://127.0.0.1:$base \
    Gateway__Nodes__0__Name=cache-node-1 Gateway__Nodes__0__Address=http://127.0.0.1:$((base + 11)) \
    Gateway__Nodes__1__Name=cache-node-2 Gateway__Nodes__1__Address=http://127.0.0.1:$((base + 12)) \
    Gateway__Nodes__2__Name=cache-node-3 Gateway__Nodes__2__Address=http://127.0.0.1:$((base + 13))
fi
sleep 6
if [[ -n "${COUNTERS:-}" ]]; then
  mkdir -p "$COUNTERS"
  for i in "${!pids[@]}"; do
    dotnet-counters collect -p "${pids[$i]}" --counters System.Runtime --refresh-interval "$sample" --format csv \
      -o "$COUNTERS/${names[$i]}.csv" > /dev/null 2>&1 & counter_pids+=($!)
  done
fi
for i in "${!pids[@]}"; do kill -0 "${pids[$i]}" 2>/dev/null || { echo "${names[$i]} did not start:"; cat "/tmp/soak-$base-${names[$i]}.log"; exit 1; }; done

collector=(--target http://127.0.0.1:$((base + 1)) --cluster-key "$ClusterAuth__Key")
gateway=(--target http://127.0.0.1:$((base + 10)) --api-key soak-key --keys 20000)
if [[ $flood == 1 ]]; then
  for c in 1 2 3; do load --rpc log-write "${collector[@]}" --batch 200 --services 2000 --messages 100000 --concurrency 2 --connections 1; done
else
  load --rpc gw-get-one "${gateway[@]}" --concurrency 4 --rate 200
  load --rpc gw-put "${gateway[@]}" --value-bytes 1024 --ttl 600 --concurrency 4 --rate 150
  load --rpc gw-multiget "${gateway[@]}" --batch 50 --concurrency 2 --rate 30
  load --rpc log-write "${collector[@]}" --batch 50 --services 50 --messages 1000 --concurrency 4 --rate 150
fi

hz=$(getconf CLK_TCK)
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
rss_mb() { awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo 0; }
declare -A last_ticks series
for pid in "${pids[@]}"; do last_ticks[$pid]=$(ticks "$pid"); done
printf '%6s' "min"; for name in "${names[@]}"; do printf ' %22s' "$name MB / CPU%"; done; echo
samples=$((minutes * 60 / sample))
for ((s = 1; s <= samples; s++)); do
  sleep "$sample"
  printf '%6.1f' "$(echo "$s * $sample / 60" | bc -l)"
  for i in "${!pids[@]}"; do
    pid=${pids[$i]} now_ticks=$(ticks "${pids[$i]}")
    cpu=$(echo "($now_ticks - ${last_ticks[$pid]}) * 100 / $hz / $sample" | bc -l)
    last_ticks[$pid]=$now_ticks
    mb=$(rss_mb "$pid"); series[$i]="${series[$i]:-} $mb"
    printf ' %15s / %4.0f' "$mb" "$cpu"
  done
  echo
done

echo; echo "verdict (after the first 3 minutes):"
skip=$(( (180 + sample - 1) / sample ))
for i in "${!pids[@]}"; do
  echo "${series[$i]}" | awk -v name="${names[$i]}" -v skip="$skip" -v sample="$sample" '
    function slope(from, to,   n, i, sx, sy, sxy, sxx, x) {
      n = 0; sx = sy = sxy = sxx = 0
      for (i = from; i <= to; i++) { x = i * sample / 60; n++; sx += x; sy += v[i]; sxy += x * v[i]; sxx += x * x }
      return n < 2 ? 0 : (n * sxy - sx * sy) / (n * sxx - sx * sx)
    }
    { for (i = 1; i <= NF; i++) v[i] = $i; n = NF }
    END {
      from = skip + 1; if (from > n - 2) from = 1
      lo = hi = v[from]; for (i = from; i <= n; i++) { if (v[i] < lo) lo = v[i]; if (v[i] > hi) hi = v[i] }
      tail_from = n - int((n - from) / 2); if (n - tail_from < 3) tail_from = n - 3; if (tail_from < from) tail_from = from
      tail = slope(tail_from, n)
      if (hi - lo <= 8 || hi - lo <= lo * 0.05) verdict = sprintf("flat at %d-%d MB", lo, hi)
      else if (tail < 0.5) verdict = sprintf("plateaued at %d MB (last half %+.2f MB/min)", v[n], tail)
      else verdict = sprintf("still rising at %.2f MB/min (last half; %d -> %d MB)", tail, v[from], v[n])
      printf "  %-14s %s\n", name, verdict
    }'
done

echo; echo "load:"
for pid in "${load_pids[@]}"; do wait "$pid" || true; done
load_pids=()
grep -h '^run 1' /tmp/soak-$base-load-*.log | sed 's/^/  /'
# Heap snapshots after the load, so their pauses cost no call its deadline.
if [[ -n "${COUNTERS:-}" ]]; then
  for i in "${!pids[@]}"; do
    dotnet-gcdump collect -p "${pids[$i]}" -o "$COUNTERS/${names[$i]}.gcdump" > /dev/null 2>&1 \
      && dotnet-gcdump report "$COUNTERS/${names[$i]}.gcdump" > "$COUNTERS/${names[$i]}.txt" 2>&1 || true
  done
fi
