#!/usr/bin/env bash
# Regenerates the pinned package sets after a change to requirements.txt:
#   requirements.lock        from ETLAB_PYTHON (default python3; must be 3.11+)
#   requirements-py3.10.lock from PYTHON310 (default python3.10), when that interpreter exists
# Each is `pip freeze` of a fresh, throw-away venv with requirements.txt installed.
set -euo pipefail
ETLAB_TAG=lock
# shellcheck source=environment/common.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/common.sh"

freeze_into() { # python, lock file, description
  local py="$1" out="$2" what="$3" tmp
  tmp="$(mktemp -d)"
  say "resolving requirements.txt with $py ($what)"
  "$py" -m venv "$tmp/venv"
  "$tmp/venv/bin/python" -m pip install --disable-pip-version-check --quiet -r "$ETLAB_ENV_DIR/requirements.txt"
  {
    printf '# Full pinned set for %s: pip freeze of a fresh venv after\n' "$what"
    printf '#   pip install -r requirements.txt   (Python %s, %s)\n' \
      "$("$tmp/venv/bin/python" -c 'import platform; print(platform.python_version())')" "$(uname -sm)"
    printf '# Used as a constraints file by setup.sh. Regenerate with environment/lock.sh.\n'
    "$tmp/venv/bin/python" -m pip freeze --all | grep -vE '^(pip|setuptools|wheel)=='
  } >"$out"
  rm -rf "$tmp"
  say "wrote $out ($(grep -c '==' "$out") packages)"
}

py="${ETLAB_PYTHON:-python3}"
"$py" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
  || die "$py is older than 3.11; set ETLAB_PYTHON to a Python 3.11+ for requirements.lock"
freeze_into "$py" "$ETLAB_ENV_DIR/requirements.lock" "Python 3.11 and newer"
py310="${PYTHON310:-python3.10}"
if command -v "$py310" >/dev/null 2>&1; then
  freeze_into "$py310" "$ETLAB_ENV_DIR/requirements-py3.10.lock" "Python 3.10"
else
  warn "$py310 not found: requirements-py3.10.lock left as it is"
fi
