#!/usr/bin/env bash
# Rebuilds model.onnx, tokenizer.json and reference.json (after ./setup.sh), then
# the manifest Loupe reads (model.manifest.json) with Loupe's own importer.
#   PYTHON=/path/to/python ./build.sh    to use another virtualenv
set -euo pipefail
cd "$(dirname "$0")"
PY="${PYTHON:-.venv/bin/python}"
"$PY" export_onnx.py       # model.onnx (float16 weights widened in the graph) + onnxruntime vs PyTorch checks
"$PY" make_reference.py    # tokenizer.json (the package's), reference.json (PyTorch on the weights as shipped)
cd ../..
node packages/sdk/bin/loupe.mjs models import models/minilm/model.onnx \
  --name all-minilm-l6-v2 --tokenizer models/minilm/tokenizer.json \
  --tuple 'encoder=true' --tuple 'encoder.layer.*.attention=true' --tuple 'encoder.layer.*.attention.self=true'
