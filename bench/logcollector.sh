#!/usr/bin/env bash
# LogCollector ingest benchmark: the LogCollector and the floor (the same contract, Ingest reads and discards) run
# in Release side by side; the load generator streams batches of 500 entries to each in turn, three runs each.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build -c Release Microservices.sln -v q -nologo > /dev/null

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; }
trap cleanup EXIT

# The collector refuses calls without the cluster key; the load generator and the check below send it.
export ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning ClusterAuth__Key=bench-cluster-key
dotnet services/LogCollector/bin/Release/net10.0/LogCollector.dll --contentRoot "$PWD"/services/LogCollector/bin/Release/net10.0 \
  --urls http://127.0.0.1:5102 & pids+=($!)
dotnet bench/IngestFloor/bin/Release/net10.0/IngestFloor.dll --urls http://127.0.0.1:5198 & pids+=($!)
sleep 4

load() { dotnet bench/LoadGen/bin/Release/net10.0/LoadGen.dll --cluster-key "$ClusterAuth__Key" --rpc log-ingest --batch 500 --concurrency "${CONCURRENCY:-4}" \
  --connections 2 --duration 8 --warmup 2 "$@"; }
for run in 1 2 3; do
  echo "== run $run: floor (discarding Ingest)"; load --target http://127.0.0.1:5198 | grep 'run 1'
  echo "== run $run: LogCollector";              load --target http://127.0.0.1:5102 | grep 'run 1'
done
# Check that the entries were counted, not just sent: entries in the collector's last minute.
tools/node_modules/.bin/buf curl --protocol grpc --http2-prior-knowledge -H "x-cluster-key: $ClusterAuth__Key" -d '{}' \
  http://127.0.0.1:5102/microservices.logs.v1.LogCollector/GetErrorRate
