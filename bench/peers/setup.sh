#!/usr/bin/env bash
# Creates the benchmark's Python peers' virtualenv (PyTorch eager, forward
# hooks, nnsight, the 1.1B model's PyTorch reference) at
# .loupe/cache/bench/peers-venv, once: PyPI's current torch, transformers and
# nnsight, pinned in requirements.txt, i.e. what a researcher installs today.
# The first run downloads several GB (PyPI's torch is the CUDA build; it runs
# on CPU). Rebuilt when requirements.txt changes. PYTHON picks the interpreter
# (default: python3; 3.10 to 3.13).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$root/.loupe/cache/bench/peers-venv"
stamp="$venv/.requirements"
python="${PYTHON:-python3}"
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && cmp -s "$stamp" "$here/requirements.txt" &&
  "$venv/bin/python" -c "import torch, nnsight, transformers" 2>/dev/null; then
  echo "peers venv ready: $venv"
  exit 0
fi
if ! "$python" -m venv --help >/dev/null 2>&1; then
  echo "$python has no venv module: install python3-venv (apt) or set PYTHON" >&2
  exit 1
fi
echo "creating the peers' virtualenv $venv from bench/peers/requirements.txt (PyPI; several GB the first time)"
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
cp "$here/requirements.txt" "$stamp"
"$venv/bin/python" -c "import torch, nnsight, transformers; print('peers venv ready:', '$venv', 'torch', torch.__version__, 'nnsight', nnsight.__version__, 'transformers', transformers.__version__)"
