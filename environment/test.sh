#!/usr/bin/env bash
# The lab's test command. Runs, in order, and fails (non-zero exit) if any step fails:
#   1. environment/setup.sh        (idempotent; the first run installs and builds everything)
#   2. mvn -B verify               (the library's JUnit tests)
#   3. environment/run_notebooks.py: every notebooks/*.ipynb through the real Java kernel in
#      quick mode (ETLAB_QUICK=1, 120 s each), plus the environment's smoke notebook
# Executed notebooks and their HTML: build/notebooks/. Works from any directory.
#
# Usage: environment/test.sh [--full] [--no-smoke] [--runner-self-test]
#   --full              notebooks at full size (no ETLAB_QUICK, 600 s each)
#   --no-smoke          skip environment/smoke/smoke.ipynb
#   --runner-self-test  also check the notebook runner's own failure detection (~1.5 min)
set -uo pipefail
ETLAB_TAG="test"
# shellcheck source=environment/common.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/common.sh"

smoke=1 full=0 self_test=0
for arg in "$@"; do
  case "$arg" in
    --full) full=1 ;;
    --no-smoke) smoke=0 ;;
    --runner-self-test) self_test=1 ;;
    -h|--help) print_usage "${BASH_SOURCE[0]}"; exit 0 ;;
    *) die "unknown option: $arg (see --help)" ;;
  esac
done
runner_args=()
[ "$smoke" = 1 ] && runner_args+=(--smoke)
[ "$full" = 1 ] && runner_args+=(--full)

t0="$(now_s)"
status_setup="-" status_junit="-" status_notebooks="-" status_selftest="-"
secs_setup=0 secs_junit=0 secs_notebooks=0 secs_selftest=0
failed=0

say "1/3 setup"
s="$(now_s)"
if "$ETLAB_ENV_DIR/setup.sh"; then status_setup=ok; else status_setup=FAILED; failed=1; fi
secs_setup=$(( $(now_s) - s ))

if [ "$status_setup" = ok ]; then
  say "2/3 JUnit tests (mvn -B verify)"
  mvn_args=(-B --no-transfer-progress)
  [ "$(etlab_backend)" = cuda ] && mvn_args+=(-Pcuda)
  platform_arg="$(maven_platform_args)"
  [ -n "$platform_arg" ] && mvn_args+=("$platform_arg")
  s="$(now_s)"
  if (cd "$ETLAB_ROOT" && mvn_clean_output "${mvn_args[@]}" verify); then
    status_junit=ok
  else
    status_junit=FAILED; failed=1
  fi
  secs_junit=$(( $(now_s) - s ))

  say "3/3 notebooks (environment/run_notebooks.py ${runner_args[*]:-})"
  rm -f "$ETLAB_ROOT/build/notebooks/results.json"
  s="$(now_s)"
  # ${a[@]+"${a[@]}"}: an empty array under set -u in bash 3.2 (macOS)
  if "$ETLAB_VENV_PY" "$ETLAB_ENV_DIR/run_notebooks.py" ${runner_args[@]+"${runner_args[@]}"}; then
    status_notebooks=ok
  else
    status_notebooks=FAILED; failed=1
  fi
  secs_notebooks=$(( $(now_s) - s ))

  if [ "$self_test" = 1 ]; then
    say "extra: the notebook runner's self-test"
    s="$(now_s)"
    if "$ETLAB_VENV_PY" "$ETLAB_ENV_DIR/run_notebooks.py" --self-test; then
      status_selftest=ok
    else
      status_selftest=FAILED; failed=1
    fi
    secs_selftest=$(( $(now_s) - s ))
  fi
fi

# Counts: JUnit tests from Surefire's reports, plus one per notebook run.
counts="$("$ETLAB_VENV_PY" - "$ETLAB_ROOT" 2>/dev/null <<'EOF' || echo "0 0 0"
import json, sys, xml.etree.ElementTree as ET
from pathlib import Path
root = Path(sys.argv[1])
passed = failed = skipped = 0
for report in (root / "lib" / "target" / "surefire-reports").glob("TEST-*.xml"):
    suite = ET.parse(report).getroot()
    tests, bad = int(suite.get("tests", 0)), int(suite.get("failures", 0)) + int(suite.get("errors", 0))
    skip = int(suite.get("skipped", 0))
    passed += tests - bad - skip; failed += bad; skipped += skip
results = root / "build" / "notebooks" / "results.json"
if results.is_file():
    for r in json.loads(results.read_text()):
        if r["ok"]: passed += 1
        else: failed += 1
print(passed, failed, skipped)
EOF
)"
read -r n_passed n_failed n_skipped <<<"$counts"
if [ "$failed" = 1 ] && [ "$n_failed" = 0 ]; then n_failed=1; fi  # a step failed before any test could

echo
say "summary"
printf '  %-28s %-8s %6s s\n' "setup" "$status_setup" "$secs_setup" \
  "JUnit (mvn -B verify)" "$status_junit" "$secs_junit" \
  "notebooks" "$status_notebooks" "$secs_notebooks"
[ "$self_test" = 1 ] && printf '  %-28s %-8s %6s s\n' "runner self-test" "$status_selftest" "$secs_selftest"
say "total time $(( $(now_s) - t0 )) s; executed notebooks: build/notebooks/*.html"
if [ "$failed" = 0 ]; then say "all passed"; else say "FAILED"; fi
echo "tests: $n_passed passed, $n_failed failed, $n_skipped skipped"
exit "$failed"
