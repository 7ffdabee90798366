"""Build the PyTorch GPT2LMHeadModel of the bundled model, from the training
checkpoint or from the weights stored in the committed model.onnx (so facts are
computed on exactly the committed weights). model.onnx is the export with a
key/value cache; its weights are stored as in an export without one."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from common import HERE


def _config():
    from transformers import GPT2Config

    cfg = json.loads((HERE / "config.json").read_text())
    return GPT2Config(**cfg)


def _model():
    from transformers import GPT2LMHeadModel

    model = GPT2LMHeadModel(_config())
    model.config.return_dict = True
    return model.eval()


def model_from_checkpoint(path: Path):
    model = _model()
    model.load_state_dict(torch.load(path, map_location="cpu"))
    return model.eval()


def model_from_onnx(path: Path):
    """Every parameter is an initializer named like the PyTorch parameter; the tied
    lm_head is a constant-folded transposed copy of transformer.wte.weight."""
    import onnx
    from onnx import numpy_helper

    m = onnx.load(str(path))
    inits = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    model = _model()
    state = model.state_dict()
    new = {}
    for name, t in state.items():
        if name == "lm_head.weight" or name.endswith(".attn.bias") or name.endswith(".attn.masked_bias"):
            continue  # tied to wte / non-parameter buffers
        if name not in inits:
            raise KeyError(f"{name} is not an initializer of {path}")
        arr = inits[name]
        if tuple(arr.shape) != tuple(t.shape):
            raise ValueError(f"{name}: {arr.shape} vs {tuple(t.shape)}")
        new[name] = torch.from_numpy(np.array(arr, copy=True))
    missing, unexpected = model.load_state_dict(new, strict=False)
    assert not unexpected, unexpected
    model.tie_weights()
    wte = model.transformer.wte.weight.detach().numpy()
    head = [a for n, a in inits.items() if n not in state and a.shape == wte.T.shape]
    assert any(np.array_equal(a, wte.T) for a in head), "lm_head (wte^T) initializer not found"
    return model.eval()
