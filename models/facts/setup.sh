#!/usr/bin/env bash
# Creates models/facts/.venv (git-ignored) for the build scripts of the bundled model.
# Same toolchain as packages/engine/fixtures: torch and numpy from Debian 12 (apt),
# everything else from PyPI, pinned in requirements.txt. Python is a build tool
# only; Loupe never runs it.
set -euo pipefail
cd "$(dirname "$0")"
apt-get update -qq
apt-get install -y python3-venv python3-torch libopenblas0-pthread
/usr/bin/python3 -m venv --system-site-packages .venv
.venv/bin/pip install -r requirements.txt
