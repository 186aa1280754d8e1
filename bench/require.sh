# Sourced by the bench scripts: require <command>=<Debian package> ... installs, with apt-get, each package whose
# command is missing (and, when that fails, once more after apt-get update), with sudo unless run as root.
require() {
  local missing=() pair sudo=()
  for pair in "$@"; do command -v "${pair%%=*}" > /dev/null || missing+=("${pair#*=}"); done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  echo "installing ${missing[*]} with apt-get" >&2
  "${sudo[@]}" apt-get install -y -qq "${missing[@]}" > /dev/null 2>&1 \
    || { "${sudo[@]}" apt-get update -qq > /dev/null && "${sudo[@]}" apt-get install -y -qq "${missing[@]}" > /dev/null; }
}
