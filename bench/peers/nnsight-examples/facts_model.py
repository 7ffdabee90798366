"""The bundled model (models/facts) in nnsight, for the nnsight versions of
Loupe's examples: GPT2LMHeadModel with the weights read back from the
committed model.onnx (models/facts/onnx_weights.py) and tokenizer.json, the
counterpart of examples/bundled-model.ts. show_next prints what showNext
prints there; dump writes the tensors a script returns as JSON, where
LOUPE_NNSIGHT_DUMP names a file (bench/peers/compare-nnsight-examples.ts
compares them with Loupe's)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

FACTS = Path(__file__).resolve().parents[3] / "models" / "facts"
sys.path.insert(0, str(FACTS))


def load_facts_model():
    """The bundled model as an nnsight TransformersModel, on the CPU."""
    from nnsight import TransformersModel
    from onnx_weights import model_from_onnx
    from transformers import PreTrainedTokenizerFast

    tokenizer = PreTrainedTokenizerFast(tokenizer_file=str(FACTS / "tokenizer.json"))
    tokenizer.pad_token = "<|endoftext|>"
    model = model_from_onnx(FACTS / "model.onnx")
    return TransformersModel(model, task="text-generation", tokenizer=tokenizer)


def show_next(logits, tokenizer) -> str:
    """The top token after the last position of the first row, and its probability."""
    probs = logits[0, -1].softmax(-1)
    token = tokenizer.decode([int(probs.argmax())])
    return f"{json.dumps(token)} (p = {probs.max().item():.3f})"


def dump(**tensors) -> None:
    """Writes the tensors to the JSON file LOUPE_NNSIGHT_DUMP names, if set."""
    target = os.environ.get("LOUPE_NNSIGHT_DUMP")
    if target:
        values = {k: v.detach().float() for k, v in tensors.items()}
        out = {
            k: {"shape": list(v.shape), "data": v.flatten().tolist()}
            for k, v in values.items()
        }
        Path(target).write_text(json.dumps(out))
