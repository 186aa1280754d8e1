#!/usr/bin/env bash
# Runs the README's tour (the shell blocks between <!-- tour --> and <!-- /tour -->) against a freshly started
# AppHost, and fails on the first command that fails. grpcurl lines run through `buf curl` (same protocol, installed
# by npm ci --prefix tools), so only the .NET SDK and npm are needed. Dashboard buttons are not pressed.
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --prefix tools --silent > /dev/null
dotnet build AppHost -v q -nologo > /dev/null

log=$(mktemp)
dotnet run --project AppHost --no-build > "$log" 2>&1 &
apphost=$!
stop() { kill "$apphost" 2>/dev/null || true; wait "$apphost" 2>/dev/null || true; pkill -f 'services/.*/bin/' 2>/dev/null || true; }
trap stop EXIT

buf=tools/node_modules/.bin/buf
# grpcurl -plaintext [-H header]... [-d json] host:port service/Method  ->  buf curl
grpcurl() {
  local headers=() data='{}' target='' method=''
  while [[ $# -gt 0 ]]; do
    case "$1" in
      -plaintext) shift ;;
      -H) headers+=(-H "$2"); shift 2 ;;
      -d) data="$2"; shift 2 ;;
      *) if [[ -z "$target" ]]; then target="$1"; else method="$1"; fi; shift ;;
    esac
  done
  "$buf" curl --protocol grpc --http2-prior-knowledge "${headers[@]}" -d "$data" "http://$target/$method"
}

for i in $(seq 1 120); do
  "$buf" curl --protocol grpc --http2-prior-knowledge -d '{}' http://localhost:5100/grpc.health.v1.Health/Check > /dev/null 2>&1 && break
  [[ $i == 120 ]] && { echo "the gateway did not answer within 120 s; AppHost log: $log" >&2; exit 1; }
  sleep 1
done

# The tour's commands: shell blocks of the tour section, continuation lines joined.
mapfile -t commands < <(awk '
  /<!-- tour -->/ { tour = 1 } /<!-- \/tour -->/ { tour = 0 }
  tour && /^```sh/ { block = 1; next } block && /^```/ { block = 0; next }
  tour && block { if (sub(/\\$/, "")) { pending = pending $0; next } print pending $0; pending = "" }' README.md)

for command in "${commands[@]}"; do
  echo "\$ ${command}"
  eval "$command" > /tmp/tour-output 2>&1 || { cat /tmp/tour-output; echo "tour command failed" >&2; exit 1; }
  head -c 600 /tmp/tour-output; echo
done
echo "tour: ${#commands[@]} commands passed"
