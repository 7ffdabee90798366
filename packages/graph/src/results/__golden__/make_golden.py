"""Writes golden.safetensors with Python's `safetensors` (the reference writer).

from-safetensors.test.ts reads it and checks that toSafetensors writes the same
bytes. Run from this folder with the engine fixtures' virtualenv
(packages/engine/fixtures/.venv, which has safetensors 0.8.0 and numpy 1.24.2):

    ../../../fixtures/.venv/bin/python make_golden.py

The output is deterministic: one metadata key only, since the reference writer
emits `__metadata__` in hash order.
"""

import numpy as np
import safetensors
from safetensors.numpy import save_file

nan, inf = float("nan"), float("inf")
tensors = {
    # Every dtype, with values at the edges of their ranges.
    "logits": np.array([[nan, -0.0, inf], [-inf, 1e-45, 3.4e38]], np.float32),
    "half": np.array([1.0, -2.5, nan, 65504.0], np.float16),
    "ids": np.array([[-(2**63), 2**63 - 1], [2**53 + 1, -1]], np.int64),
    "positions": np.array([-(2**31), 0, 2**31 - 1], np.int32),
    "mask": np.array([[True, False], [False, True]], np.bool_),
    # Scalars (shape []) and zero-size tensors.
    "scalar.f32": np.array(0.5, np.float32),
    "scalar.f16": np.array(-1.0, np.float16),
    "scalar.i64": np.array(7, np.int64),
    "scalar.i32": np.array(-7, np.int32),
    "scalar.bool": np.array(True, np.bool_),
    "empty.f32": np.zeros((0, 3), np.float32),
    "empty.bool": np.zeros((0,), np.bool_),
    "empty.i64": np.zeros((2, 0), np.int64),
    # A name a JS object would reorder, and two that sort differently by UTF-16.
    "0": np.array([1], np.int32),
    "x\U0001F600": np.array([1.0], np.float32),
    "x\uFB01": np.array([2.0], np.float32),
}
metadata = {"loupe": 'golden "file"\n\u2713'}

save_file(tensors, "golden.safetensors", metadata=metadata)
print(f"wrote golden.safetensors with safetensors {safetensors.__version__}")
