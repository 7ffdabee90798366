#!/usr/bin/env python3
"""Export checkpoints/model.pt to model.onnx and verify it with onnxruntime.

TorchScript exporter (torch.onnx.export), opset 14, do_constant_folding=True, no
ORT optimization. Graph inputs exactly input_ids, attention_mask, position_ids
(int64, dims batch x sequence); output logits (batch x sequence x vocab).

Checks (exit 1 on failure), ONNX vs PyTorch within 1e-4 (max abs diff):
  - every example prompt unbatched (mask all ones, position_ids 0..n-1)
  - a left-padded batch of prompts of different lengths (pad id 0, mask 0 on
    pads, position_ids = cumsum(mask) - 1 with pads set to 1), all positions
  - the weights read back from model.onnx reproduce the PyTorch logits exactly
    (find_facts.py computes the facts from those weights)

Run after train.py:  python export_onnx.py
"""

from __future__ import annotations

import json
import sys
import warnings

import numpy as np
import torch

from common import CKPT, HERE, left_pad, load_tokenizer, setup_torch
from onnx_weights import model_from_onnx, model_from_checkpoint

OPSET = 14
TOL = 1e-4
PROMPTS = [
    "The Louvre is located in the city of",
    "The Colosseum is located in the city of",
    "The Eiffel Tower is located in the city of",
    "Hello World",
    "The truth is the",
    "The capital of Japan is",
    "People who live in Hungary speak",
]


def export(model, path, example_ids: torch.Tensor) -> None:
    model.config.return_dict = False  # plain tuple output for the tracer
    mask = torch.ones_like(example_ids)
    pos = torch.arange(example_ids.shape[1], dtype=torch.int64)[None]
    # Trace a forward that takes exactly (input_ids, attention_mask, position_ids)
    # positionally (as packages/engine/fixtures/build_fixtures.py does): keyword
    # args to torch.onnx.export could turn defaulted parameters into graph inputs.
    # Overriding forward on the instance keeps the module hierarchy (node scopes).
    original_forward = model.forward

    def forward(input_ids, attention_mask, position_ids):
        return original_forward(input_ids=input_ids, attention_mask=attention_mask,
                                position_ids=position_ids)

    model.forward = forward
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # TracerWarnings about python bools in HF code
            with torch.no_grad():
                torch.onnx.export(
                    model, (example_ids, mask, pos), str(path),
                    input_names=["input_ids", "attention_mask", "position_ids"],
                    output_names=["logits"],
                    dynamic_axes={
                        "input_ids": {0: "batch", 1: "sequence"},
                        "attention_mask": {0: "batch", 1: "sequence"},
                        "position_ids": {0: "batch", 1: "sequence"},
                        "logits": {0: "batch", 1: "sequence"},
                    },
                    opset_version=OPSET,
                    do_constant_folding=True,
                )
    finally:
        del model.forward
    model.config.return_dict = True


def main() -> None:
    import onnx
    import onnxruntime as ort

    setup_torch()
    tok = load_tokenizer()
    model = model_from_checkpoint(CKPT / "model.pt")
    path = HERE / "model.onnx"
    example = torch.tensor([tok.encode(PROMPTS[0]).ids], dtype=torch.int64)
    export(model, path, example)

    m = onnx.load(str(path))
    onnx.checker.check_model(m)
    inputs = [(i.name, onnx.TensorProto.DataType.Name(i.type.tensor_type.elem_type),
               [d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim]) for i in m.graph.input]
    outputs = [(o.name, [d.dim_param or d.dim_value for d in o.type.tensor_type.shape.dim])
               for o in m.graph.output]
    print("inputs:", inputs)
    print("outputs:", outputs)
    failures = []
    want_inputs = [(n, "INT64", ["batch", "sequence"]) for n in ("input_ids", "attention_mask", "position_ids")]
    if inputs != want_inputs:
        failures.append(f"graph inputs {inputs}")
    if outputs != [("logits", ["batch", "sequence", model.config.vocab_size])]:
        failures.append(f"graph outputs {outputs}")

    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    reloaded = model_from_onnx(path)
    report = {"unbatched": {}, "left_padded_batch": {}}

    def run_both(ids, mask, pos):
        with torch.no_grad():
            ref = model(input_ids=ids, attention_mask=mask, position_ids=pos).logits.numpy()
            rel = reloaded(input_ids=ids, attention_mask=mask, position_ids=pos).logits.numpy()
        got = sess.run(["logits"], {"input_ids": ids.numpy(), "attention_mask": mask.numpy(),
                                    "position_ids": pos.numpy()})[0]
        return ref, got, rel

    for p in PROMPTS:
        ids = torch.tensor([tok.encode(p).ids], dtype=torch.int64)
        mask = torch.ones_like(ids)
        pos = torch.arange(ids.shape[1], dtype=torch.int64)[None]
        ref, got, rel = run_both(ids, mask, pos)
        d = float(np.abs(ref - got).max())
        report["unbatched"][p] = {"tokens": ids.shape[1], "max_abs_diff": d,
                                  "reloaded_max_abs_diff": float(np.abs(ref - rel).max())}
        if not d <= TOL:
            failures.append(f"unbatched {p!r}: {d}")
        if not np.array_equal(ref, rel):
            failures.append(f"weights reloaded from model.onnx differ on {p!r}")

    seqs = [tok.encode(p).ids for p in PROMPTS]
    ids, mask, pos = left_pad(seqs)
    ref, got, rel = run_both(ids, mask, pos)
    d_all = float(np.abs(ref - got).max())
    real = mask.numpy().astype(bool)
    d_real = float(np.abs(ref - got)[real].max())
    # the left-padded batch equals the unbatched runs at real positions (model property)
    d_vs_single = 0.0
    for i, s in enumerate(seqs):
        one = torch.tensor([s])
        with torch.no_grad():
            single = model(input_ids=one, attention_mask=torch.ones_like(one)).logits[0].numpy()
        d_vs_single = max(d_vs_single, float(np.abs(got[i, ids.shape[1] - len(s):] - single).max()))
    report["left_padded_batch"] = {
        "shape": list(ids.shape), "lengths": [len(s) for s in seqs],
        "max_abs_diff_all_positions": d_all, "max_abs_diff_real_positions": d_real,
        "onnx_batched_vs_pytorch_unbatched_real_positions": d_vs_single,
    }
    if not d_all <= TOL:
        failures.append(f"left-padded batch: {d_all}")
    if not d_vs_single <= TOL:
        failures.append(f"left-padded batch vs unbatched: {d_vs_single}")
    print(json.dumps(report, indent=1))
    # also with ORT's default optimizations (what a runtime may use)
    sess_opt = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got_opt = sess_opt.run(["logits"], {"input_ids": ids.numpy(), "attention_mask": mask.numpy(),
                                        "position_ids": pos.numpy()})[0]
    d_opt = float(np.abs(ref - got_opt).max())
    print("left-padded batch, ORT default optimizations: max abs diff", d_opt)
    report["left_padded_batch"]["ort_default_optimizations_max_abs_diff"] = d_opt
    (CKPT / "export_report.json").write_text(json.dumps(report, indent=1) + "\n")
    print(f"model.onnx: {path.stat().st_size} bytes, {len(m.graph.node)} nodes, "
          f"{len(m.graph.initializer)} initializers")
    if failures:
        print("FAILURES:", *failures, sep="\n  ")
        sys.exit(1)
    print("export OK")


if __name__ == "__main__":
    main()
