#!/usr/bin/env bash
# Takes docs/trace.png: starts the AppHost, makes a Put and a Get through the gateway, finds the Get's trace with the
# dashboard's telemetry API, and photographs its page with headless Chromium (Debian package `chromium`), driven
# by puppeteer-core (installed by npm ci --prefix tools) so the page has rendered before the picture is taken.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v chromium > /dev/null || { echo "needs chromium (apt-get install chromium)" >&2; exit 1; }
source tools/apphost.sh

grpcurl -plaintext -H 'x-api-key: dev-key' -d '{"key":"user:1001","text":"Alice"}' localhost:5100 microservices.gateway.v1.Cache/Put > /dev/null
grpcurl -plaintext -H 'x-api-key: dev-key' -d '{"key":"user:1001"}' localhost:5100 microservices.gateway.v1.Cache/Get > /dev/null

# The Get's trace id: the trace whose gateway span is cache.get.
trace=""
for i in $(seq 1 30); do
  trace=$(curl -s http://localhost:15080/api/telemetry/traces | grep -o '"traceId":"[0-9a-f]*","spanId":"[0-9a-f]*","parentSpanId":"[0-9a-f]*","name":"cache.get"' | head -1 | cut -d'"' -f4 || true)
  [[ -n "$trace" ]] && break
  sleep 1
done
[[ -n "$trace" ]] || { echo "no cache.get trace found" >&2; exit 1; }

node tools/screenshot.mjs "http://localhost:15080/traces/detail/$trace" docs/trace.png "cache.get"
echo "docs/trace.png: trace $trace"
