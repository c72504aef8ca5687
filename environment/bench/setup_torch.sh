#!/usr/bin/env bash
# Creates environment/.venv-torch with PyPI's PyTorch (and, with --peers, lucidrains' performer-pytorch,
# linformer and local-attention) for the side-by-side benchmarks only. Git-ignored; never a dependency
# of the lab, its kernel or CI. About 3 GB on Linux (PyPI's torch wheel brings its CUDA libraries).
#
# Usage: environment/bench/setup_torch.sh [--peers]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
venv="$here/../.venv-torch"
python="${ETLAB_PYTHON:-python3}"
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "torch==2.15.0"
if [ "${1:-}" = "--peers" ]; then
  "$venv/bin/python" -m pip install --quiet "performer-pytorch" "linformer" "local-attention"
fi
"$venv/bin/python" -c 'import torch; print("torch", torch.__version__, "threads", torch.get_num_threads())'
