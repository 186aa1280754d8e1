# Sourced by the tool scripts: builds and starts the AppHost (stopped when the script exits), waits until the
# gateway answers its health check, and defines `grpcurl` as `buf curl` with grpcurl's arguments. The AppHost gets
# a cluster key made for this run, exported as CLUSTER_KEY for commands that call an internal service directly.
npm ci --prefix tools --silent > /dev/null
dotnet build AppHost -v q -nologo > /dev/null

CLUSTER_KEY=$(head -c 24 /dev/urandom | base64 | tr '+/' '-_')
export CLUSTER_KEY
apphost_log=$(mktemp)
# In the environment, not on the command line, which every user of the machine can read.
env "Parameters__cluster-key=$CLUSTER_KEY" dotnet run --project AppHost --no-build > "$apphost_log" 2>&1 &
apphost_pid=$!

# What this script started, found by pid only (never by name: other checkouts on the machine run the same
# programs): `dotnet run`, the AppHost under it, and the orchestrator that watches the AppHost
# (`dcp start-apiserver --monitor <AppHost pid>`, which runs in a session of its own), with everything under them.
descendants() { local pid; for pid in "$@"; do echo "$pid"; descendants $(pgrep -P "$pid"); done; }
apphost_tree() {
  local roots=("$apphost_pid") child
  for child in $(pgrep -P "$apphost_pid"); do
    roots+=($(pgrep -f -- "--monitor $child( |$)"))
  done
  descendants "${roots[@]}"
}
# SIGTERM to the AppHost stops every service through the orchestrator, which then exits; whatever of the tree is
# still there after 30 s is killed.
stop_apphost() {
  local tree
  tree=$(apphost_tree | tr '\n' ' ')
  kill -TERM $(pgrep -P "$apphost_pid") "$apphost_pid" 2>/dev/null || true
  for _ in $(seq 1 30); do
    ps -p "$(echo $tree | tr ' ' ',')" > /dev/null 2>&1 || return 0
    sleep 1
  done
  kill -KILL $tree 2>/dev/null || true
}
trap stop_apphost EXIT

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
  grpcurl -plaintext localhost:5100 grpc.health.v1.Health/Check > /dev/null 2>&1 && break
  [[ $i == 120 ]] && { echo "the gateway did not answer within 120 s; AppHost log: $apphost_log" >&2; exit 1; }
  sleep 1
done
