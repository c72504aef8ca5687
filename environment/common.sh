# shellcheck shell=bash
# Shared settings for the environment scripts. Sourced, never run:
#   . "$(dirname "$0")/common.sh"
# Works from any current directory; POSIX bash (Linux and macOS's bash 3.2).

# The project root: the parent of the folder holding this file, as an absolute path.
ETLAB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
ETLAB_ENV_DIR="$ETLAB_ROOT/environment"
ETLAB_VENV="$ETLAB_ENV_DIR/.venv"
# shellcheck disable=SC2034  # used by the scripts that source this file
ETLAB_VENV_PY="$ETLAB_VENV/bin/python"
export ETLAB_ROOT

# Jupyter's folders live inside the project, so the lab's kernelspec and settings never
# touch the user's own Jupyter installation.
export JUPYTER_DATA_DIR="$ETLAB_ENV_DIR/.jupyter/data"
export JUPYTER_RUNTIME_DIR="$ETLAB_ENV_DIR/.jupyter/runtime"
export JUPYTER_CONFIG_DIR="$ETLAB_ENV_DIR/.jupyter/config"
# Search those folders before the venv's share/jupyter: jupyter_core otherwise puts a venv's own
# folders first, and the jjava wheel's plain `java` kernelspec there would shadow ours.
export JUPYTER_PREFER_ENV_PATH=0
# glibc otherwise keeps one malloc arena per thread; with ND4J's many threads that wastes GBs.
export MALLOC_ARENA_MAX=1
# OpenMP threads (libnd4j's element-wise ops) sleep instead of spinning while they wait: with the
# default busy-wait, any other load on a 2-core machine made a training step 5x slower (lib/PERFORMANCE.md).
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"

# Progress lines: "[setup] message". The tag is set by each script.
ETLAB_TAG="${ETLAB_TAG:-etlab}"
say() { printf '[%s] %s\n' "$ETLAB_TAG" "$*"; }
warn() { printf '[%s] WARNING: %s\n' "$ETLAB_TAG" "$*" >&2; }
die() { printf '[%s] ERROR: %s\n' "$ETLAB_TAG" "$*" >&2; exit 1; }

# Seconds since the epoch (portable: date +%s works on GNU and BSD date).
now_s() { date +%s; }

# JavaCPP platform of this machine, for ND4J's native jars. The poms default to
# linux-x86_64; elsewhere the Maven calls pass -Djavacpp.platform=... (see maven_platform_args).
javacpp_platform() {
  local os arch
  os="$(uname -s)"; arch="$(uname -m)"
  case "$os" in
    Linux) os=linux ;;
    Darwin) os=macosx ;;
    *) os=unknown ;;
  esac
  case "$arch" in
    x86_64|amd64) arch=x86_64 ;;
    arm64|aarch64) arch=arm64 ;;
  esac
  printf '%s-%s\n' "$os" "$arch"
}

# Extra Maven arguments for this machine: none on linux-x86_64 (the poms' default).
maven_platform_args() {
  local p
  p="$(javacpp_platform)"
  if [ "$p" != "linux-x86_64" ]; then
    printf '%s\n' "-Djavacpp.platform=$p"
  fi
}

# Maven, with the stray colour codes that Maven 3.8 prints even under -B/-q removed.
# Keeps mvn's exit status (the callers use set -o pipefail).
mvn_clean_output() {
  mvn "$@" 2>&1 | sed $'s/\033\\[[0-9;]*m//g'
}

# The backend chosen by the last `setup.sh [--cuda|--cpu]`: cpu (default) or cuda.
etlab_backend() {
  local b
  b="$(cat "$ETLAB_ENV_DIR/.cache/backend" 2>/dev/null || true)"
  if [ "$b" = cuda ]; then echo cuda; else echo cpu; fi
}

# Prints the comment block at the top of a script (its usage text), without the '# '.
print_usage() {
  awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$1"
}
