#!/usr/bin/env bash
# Creates the export overlay at .loupe/cache/bench/export-overlay, once: the
# pinned packages of requirements-export.txt (transformers 4.46.3 and what it
# needs that the peers' virtualenv has in another version), installed with
# --no-deps into a folder that the export scripts get first on PYTHONPATH. The
# peers' virtualenv (bench/peers/setup.sh) provides torch and everything else,
# so a fresh machine downloads PyPI's torch once. Prints the overlay's path.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$root/.loupe/cache/bench/peers-venv"
overlay="$root/.loupe/cache/bench/export-overlay"
stamp="$overlay/.requirements"
if [ ! -x "$venv/bin/python" ]; then
  echo "no peers virtualenv at $venv: run bench/peers/setup.sh first" >&2
  exit 1
fi
if [ -f "$stamp" ] && cmp -s "$stamp" "$here/requirements-export.txt" &&
  PYTHONPATH="$overlay" "$venv/bin/python" -c "import transformers, sys; sys.exit(transformers.__version__ != '4.46.3')" 2>/dev/null; then
  echo "$overlay"
  exit 0
fi
rm -rf "$overlay"
"$venv/bin/pip" install --quiet --no-deps --target "$overlay" -r "$here/requirements-export.txt" >&2
cp "$here/requirements-export.txt" "$stamp"
PYTHONPATH="$overlay" "$venv/bin/python" -c "import torch, transformers; print('export overlay ready: torch', torch.__version__, 'transformers', transformers.__version__)" >&2
echo "$overlay"
