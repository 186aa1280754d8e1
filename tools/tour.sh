#!/usr/bin/env bash
# Runs the README's tour (the shell blocks between <!-- tour --> and <!-- /tour -->) against a freshly started
# AppHost, and fails on the first command that fails. grpcurl lines run through `buf curl` (same protocol, installed
# by npm ci --prefix tools), so only the .NET SDK and npm are needed. Dashboard buttons are not pressed.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/apphost.sh

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
