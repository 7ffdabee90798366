#!/usr/bin/env bash
# Rebuilds everything in models/facts from scratch (after ./setup.sh).
#   PYTHON=/path/to/python ./build.sh    to use another virtualenv
set -euo pipefail
cd "$(dirname "$0")"
PY="${PYTHON:-.venv/bin/python}"
"$PY" generate_corpus.py   # data/: knowledge.json, train.txt, eval_heldout.jsonl, eval_train.jsonl
"$PY" train.py             # tokenizer.json, config.json, checkpoints/model.pt
"$PY" export_onnx.py       # model.onnx, with a key/value cache (+ onnxruntime vs PyTorch checks)
"$PY" find_facts.py        # facts.json (computed on the weights inside model.onnx)
