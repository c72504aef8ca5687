#!/usr/bin/env bash
# Sets up everything the lab needs, inside the project folder. Safe to re-run: steps whose
# inputs did not change are skipped, so a second run takes a few seconds.
#
#   1. checks the prerequisites: JDK 17+ (java, javac, jshell), Maven 3.8+, Python 3.10+ with venv
#   2. environment/.venv: JupyterLab, JJava (the Java kernel), nbclient, nbconvert, eSpeak NG, pinned
#   3. builds the library: lib/target/etlab.jar + lib/target/dependency/*.jar
#      (the first build downloads ND4J, about 175 MB, into ~/.m2)
#   4. data/corpus, data/series: fetches and verifies the text corpus and the real time series;
#      data/speech: synthesises the spoken digits with eSpeak NG, once (data/README.md)
#   5. registers the Jupyter kernel `java` in environment/.jupyter/data/kernels/java
#
# Usage: environment/setup.sh [--cuda | --cpu] [--force]
#   --cuda   build with ND4J's CUDA 11.6 backend (see README, "GPU"); remembered for later runs
#   --cpu    back to the CPU backend (the default)
#   --force  rebuild the library and reinstall the Python packages even if nothing changed
# Env: ETLAB_PYTHON (default python3), JAVA_HOME (else the java on PATH),
#      ETLAB_KERNEL_JVM_OPTS (extra JVM options for the kernel, e.g. -Xmx8g).
set -euo pipefail
ETLAB_TAG=setup
# shellcheck source=environment/common.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/common.sh"

backend_file="$ETLAB_ENV_DIR/.cache/backend"
backend=""
force=0
for arg in "$@"; do
  case "$arg" in
    --cuda) backend=cuda ;;
    --cpu) backend=cpu ;;
    --force) force=1 ;;
    -h|--help) print_usage "${BASH_SOURCE[0]}"; exit 0 ;;
    *) die "unknown option: $arg (see --help)" ;;
  esac
done
if [ -z "$backend" ]; then
  backend="$(cat "$backend_file" 2>/dev/null || true)"
  [ "$backend" = cuda ] || backend=cpu
fi
mkdir -p "$ETLAB_ENV_DIR/.cache"
printf '%s\n' "$backend" >"$backend_file"
if [ "$backend" = cuda ]; then
  say "backend: CUDA (nd4j-cuda-11.6; kept for later runs until 'environment/setup.sh --cpu')"
fi

t0="$(now_s)"

# ---------------------------------------------------------------- 1. prerequisites
JDK_HINT="Install a JDK 17 or newer (not just a JRE): macOS 'brew install openjdk@17' or
  https://adoptium.net (Temurin 17); Debian/Ubuntu 'sudo apt install openjdk-17-jdk'.
  If several are installed, point JAVA_HOME at the JDK 17+ to use."

if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
  java_cmd="$JAVA_HOME/bin/java"
elif command -v java >/dev/null 2>&1; then
  java_cmd="$(command -v java)"
else
  die "java not found. $JDK_HINT"
fi
java_props="$("$java_cmd" -XshowSettings:properties -version 2>&1 || true)"
java_spec="$(printf '%s\n' "$java_props" | sed -n 's/^ *java\.specification\.version = //p' | head -n 1)"
java_home="$(printf '%s\n' "$java_props" | sed -n 's/^ *java\.home = //p' | head -n 1)"
java_major="${java_spec#1.}"; java_major="${java_major%%.*}"
case "$java_major" in ''|*[!0-9]*) die "could not read the version of $java_cmd. $JDK_HINT" ;; esac
[ "$java_major" -ge 17 ] || die "$java_cmd is Java $java_spec; the lab needs 17 or newer. $JDK_HINT"
java_bin="$java_home/bin/java"
[ -x "$java_bin" ] || java_bin="$java_cmd"
[ -x "$java_home/bin/javac" ] || die "no javac beside $java_bin (a JRE, not a JDK). $JDK_HINT"
"$java_bin" --list-modules 2>/dev/null | grep -q '^jdk\.jshell@' \
  || die "$java_bin has no jdk.jshell module, which the Java kernel needs. $JDK_HINT"
# Every lab JVM is started with --add-modules=jdk.incubator.vector, which fails if the module is absent.
"$java_bin" --list-modules 2>/dev/null | grep -q '^jdk\.incubator\.vector@' \
  || die "$java_bin has no jdk.incubator.vector module, which the lab's JVMs load. $JDK_HINT"
# Maven and the kernel use this same JDK.
export JAVA_HOME="$java_home"
say "java $java_spec ($java_home)"

command -v mvn >/dev/null 2>&1 || die "mvn (Apache Maven 3.8+) not found. Install it: macOS 'brew install maven';
  Debian/Ubuntu 'sudo apt install maven'; or https://maven.apache.org/download.cgi (unpack, add bin/ to PATH)."
mvn_version="$(mvn -v -B 2>/dev/null | grep -oE 'Apache Maven [0-9]+\.[0-9]+(\.[0-9]+)?' | head -n 1 | sed 's/Apache Maven //')"
mvn_major="${mvn_version%%.*}"; mvn_minor="${mvn_version#*.}"; mvn_minor="${mvn_minor%%.*}"
case "$mvn_major$mvn_minor" in ''|*[!0-9]*) die "could not read Maven's version ('mvn -v' failed?)" ;; esac
if [ "$mvn_major" -lt 3 ] || { [ "$mvn_major" -eq 3 ] && [ "$mvn_minor" -lt 8 ]; }; then
  die "Maven $mvn_version is too old; the lab needs 3.8 or newer (https://maven.apache.org/download.cgi)."
fi
say "maven $mvn_version"

python_cmd="${ETLAB_PYTHON:-python3}"
PY_HINT="Install Python 3.10 or newer with its venv module: macOS 'brew install python@3.12' or
  https://www.python.org/downloads/; Debian/Ubuntu 'sudo apt install python3 python3-venv'.
  To use a particular interpreter: ETLAB_PYTHON=/path/to/python3 environment/setup.sh"
command -v "$python_cmd" >/dev/null 2>&1 || die "$python_cmd not found. $PY_HINT"
py_version="$("$python_cmd" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" \
  || die "$python_cmd does not run. $PY_HINT"
"$python_cmd" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' \
  || die "$python_cmd is Python $py_version; JupyterLab 4.6 needs 3.10 or newer. $PY_HINT"
"$python_cmd" -c 'import venv, ensurepip' 2>/dev/null \
  || die "$python_cmd ($py_version) lacks the venv/ensurepip modules. $PY_HINT"
say "python $py_version ($(command -v "$python_cmd"))"

# ---------------------------------------------------------------- 2. Python venv
if ! "$ETLAB_VENV_PY" -c 'import sys' >/dev/null 2>&1; then
  [ -d "$ETLAB_VENV" ] && { say "environment/.venv is broken (Python moved or upgraded?): recreating"; rm -rf "$ETLAB_VENV"; }
  say "creating environment/.venv"
  "$python_cmd" -m venv "$ETLAB_VENV"
fi
venv_py_version="$("$ETLAB_VENV_PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
# JupyterLab's pinned set needs Python 3.11+ (IPython 9); 3.10 has its own lock file.
if [ "$venv_py_version" = "3.10" ]; then
  lock="$ETLAB_ENV_DIR/requirements-py3.10.lock"
else
  lock="$ETLAB_ENV_DIR/requirements.lock"
fi
req_stamp="$ETLAB_VENV/.etlab-requirements"
req_sum="$(cat "$ETLAB_ENV_DIR/requirements.txt" "$lock" | cksum) py$venv_py_version"
if [ "$force" = 1 ] || [ "$(cat "$req_stamp" 2>/dev/null || true)" != "$req_sum" ]; then
  say "installing JupyterLab, JJava, nbclient, nbconvert, eSpeak NG into environment/.venv (pinned: $(basename "$lock"))"
  "$ETLAB_VENV_PY" -m pip install --disable-pip-version-check --quiet \
    -r "$ETLAB_ENV_DIR/requirements.txt" -c "$lock" \
    || die "pip install failed (see above). Is PyPI reachable? Re-run environment/setup.sh when it is."
  printf '%s\n' "$req_sum" >"$req_stamp"
else
  say "environment/.venv up to date"
fi

# ---------------------------------------------------------------- 3. the library
target="$ETLAB_ROOT/lib/target"
build_stamp="$target/.etlab-build"
platform="$(javacpp_platform)"
build_id="backend=$backend platform=$platform java=$java_home"
mvn_args=(-B -q -DskipTests)
[ "$backend" = cuda ] && mvn_args+=(-Pcuda)
platform_arg="$(maven_platform_args)"
[ -n "$platform_arg" ] && mvn_args+=("$platform_arg")

needs_build=0
if [ "$force" = 1 ] || [ ! -f "$target/etlab.jar" ] || [ ! -d "$target/dependency" ] \
   || [ "$(cat "$build_stamp" 2>/dev/null || true)" != "$build_id" ]; then
  needs_build=1
elif [ -n "$(find "$ETLAB_ROOT/pom.xml" "$ETLAB_ROOT/lib/pom.xml" "$ETLAB_ROOT/lib/src/main" -newer "$build_stamp" 2>/dev/null | head -n 1)" ]; then
  needs_build=1
fi
if [ "$needs_build" = 1 ]; then
  if [ ! -d "${HOME}/.m2/repository/org/nd4j/nd4j-native" ] && [ "$backend" = cpu ]; then
    say "building the library (first build: Maven downloads ND4J, ~150 MB; this can take a few minutes)"
  elif [ "$backend" = cuda ]; then
    say "building the library with the CUDA backend (-Pcuda; the first build downloads nd4j-cuda-11.6, ~600 MB+)"
  else
    say "building the library (mvn package)"
  fi
  # Stale jars from another backend or an older dependency version must not linger.
  rm -rf "$target/dependency" "$build_stamp"
  b0="$(now_s)"
  (cd "$ETLAB_ROOT" && mvn_clean_output "${mvn_args[@]}" package) \
    || die "the Maven build failed (see above). Re-run it verbosely: (cd '$ETLAB_ROOT' && mvn -B -DskipTests package)"
  printf '%s\n' "$build_id" >"$build_stamp"
  say "built lib/target/etlab.jar + $(find "$target/dependency" -name '*.jar' | wc -l | tr -d ' ') dependency jars in $(( $(now_s) - b0 )) s"
else
  say "library up to date (lib/target/etlab.jar; backend $backend)"
fi

# ---------------------------------------------------------------- 4. corpus, real series, synthesised speech
"$ETLAB_VENV_PY" "$ETLAB_ENV_DIR/fetch_corpus.py" --root "$ETLAB_ROOT"
"$ETLAB_VENV_PY" "$ETLAB_ENV_DIR/fetch_series.py" --root "$ETLAB_ROOT"
"$ETLAB_VENV_PY" "$ETLAB_ENV_DIR/make_speech.py" --root "$ETLAB_ROOT"

# ---------------------------------------------------------------- 5. kernelspec
mkdir -p "$JUPYTER_DATA_DIR" "$JUPYTER_RUNTIME_DIR" "$JUPYTER_CONFIG_DIR" "$ETLAB_ENV_DIR/.javacpp"
"$ETLAB_VENV_PY" "$ETLAB_ENV_DIR/write_kernelspec.py" --java "$java_bin" --java-major "$java_major"

say "ready in $(( $(now_s) - t0 )) s. Open the lab: environment/lab.sh   Test: environment/test.sh"
