#!/usr/bin/env bash
# Opens the lab: runs environment/setup.sh (quick when nothing changed), then starts
# JupyterLab on notebooks/ with the Java kernel. Stop it with Ctrl-C.
#
# Usage: environment/lab.sh [--headless] [--port N] [other JupyterLab options...]
#   --headless  don't open a browser; print the URL (with its token) to open yourself.
#               Implied when there is no display (Linux without DISPLAY/WAYLAND_DISPLAY,
#               an SSH session, CI).
#   --port N    the port to try first (default 8888; the next free one is used if taken)
# Anything else goes to `jupyter lab` as it is, e.g. --ip=0.0.0.0 to listen on all interfaces.
set -euo pipefail
ETLAB_TAG=lab
# shellcheck source=environment/common.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/common.sh"

headless=0
port=8888
passthrough=()
while [ $# -gt 0 ]; do
  case "$1" in
    --headless|--no-browser) headless=1 ;;
    --port) [ $# -ge 2 ] || die "--port needs a number"; port="$2"; shift ;;
    --port=*) port="${1#--port=}" ;;
    -h|--help) print_usage "${BASH_SOURCE[0]}"; exit 0 ;;
    *) passthrough+=("$1") ;;
  esac
  shift
done
case "$port" in ''|*[!0-9]*) die "--port $port: not a number" ;; esac

if [ "$headless" = 0 ]; then
  if [ -n "${CI:-}" ] || [ -n "${SSH_CONNECTION:-}" ]; then
    headless=1
  elif [ "$(uname -s)" != Darwin ] && [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
    headless=1
  fi
fi

"$ETLAB_ENV_DIR/setup.sh" </dev/null

# A free port at or after the one asked for, and a token we know, so the URL printed below is
# the one the server really uses.
read -r port token <<EOF
$("$ETLAB_VENV_PY" - "$port" <<'PY'
import secrets, socket, sys
start = int(sys.argv[1])
for port in range(start, start + 50):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
    print(port, secrets.token_hex(24))
    break
else:
    sys.exit(f"no free port in {start}-{start + 49}")
PY
)
EOF
[ -n "${token:-}" ] || die "could not find a free port from $port on"

url="http://localhost:$port/lab?token=$token"
args=(--notebook-dir="$ETLAB_ROOT/notebooks" --port="$port" --ServerApp.port_retries=0
      --IdentityProvider.token="$token" --MappingKernelManager.default_kernel_name=java)
# Jupyter refuses to run as root unless told (containers, some CI machines).
[ "$(id -u)" = 0 ] && args+=(--allow-root)
echo
if [ "$headless" = 1 ]; then
  args+=(--no-browser)
  say "JupyterLab is starting (no browser opened). Open this URL:"
else
  say "JupyterLab is starting and should open in your browser; if not, open:"
fi
say "    $url"
say "(notebooks: $ETLAB_ROOT/notebooks; stop with Ctrl-C)"
echo
# Not exec: on SIGINT/SIGTERM (Ctrl-C, or a service manager without a terminal) stop JupyterLab and
# then every process it started. JJava's launcher runs each kernel as a second JVM; when the server
# stops only the launcher, that JVM lives on, reparented, so its pids are collected before the stop.
descendants() {
  local child
  for child in $(pgrep -P "$1" 2>/dev/null); do
    echo "$child"
    descendants "$child"
  done
}
stop_lab() {
  trap - INT TERM
  local kids
  kids="$(descendants "$lab_pid" | tr '\n' ' ')"
  kill -TERM "$lab_pid" 2>/dev/null || true
  for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$lab_pid" 2>/dev/null || break; sleep 0.5; done
  # shellcheck disable=SC2086
  [ -n "${kids// /}" ] && kill -TERM $kids 2>/dev/null || true
  wait "$lab_pid" 2>/dev/null || true
  say "JupyterLab and its kernels stopped"
  exit 0
}
"$ETLAB_VENV/bin/jupyter" lab "${args[@]}" ${passthrough[@]+"${passthrough[@]}"} &
lab_pid=$!
trap stop_lab INT TERM
wait "$lab_pid"
