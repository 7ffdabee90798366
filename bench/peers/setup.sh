#!/usr/bin/env bash
# Creates the benchmark's Python peers' virtualenv (PyTorch eager, forward
# hooks, nnsight) at .loupe/cache/bench/peers-venv, once. Debian's PyTorch
# comes from apt (PyPI's torch wheels need the CUDA stack; the CPU wheel index
# is not reachable here); the rest is pinned in requirements.txt.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$root/.loupe/cache/bench/peers-venv"
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "import torch, nnsight" 2>/dev/null; then
  echo "peers venv ready: $venv"
  exit 0
fi
if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
  echo "installing Debian's PyTorch (apt: python3-torch python3-venv libopenblas0-pthread)"
  apt-get install -y --no-install-recommends python3-torch python3-venv libopenblas0-pthread >/dev/null
fi
rm -rf "$venv"
/usr/bin/python3 -m venv --system-site-packages "$venv"
"$venv/bin/pip" install --quiet --no-deps -r "$here/requirements.txt"
"$venv/bin/python" -c "import torch, nnsight, transformers; print('peers venv ready:', '$venv', 'torch', torch.__version__, 'nnsight', nnsight.__version__, 'transformers', transformers.__version__)"
