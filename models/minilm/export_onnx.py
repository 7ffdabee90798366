#!/usr/bin/env python3
"""Export all-MiniLM-L6-v2 (BertModel, eager attention) to model.onnx, with float16
weights widened to float32 inside the graph, and check it with onnxruntime.

TorchScript exporter (torch.onnx.export(dynamo=False)), opset 14,
do_constant_folding=True, no ORT optimization. Graph inputs input_ids and
attention_mask (int64, [batch, sequence]); token_type_ids are zeros, made inside
the traced forward (input_ids * 0); positions are 0..sequence-1 (BERT's own), so a batch is
padded on the right. Output last_hidden_state (float32, [batch, sequence, 384]).

Size: every weight is stored as float16 under "<name>::float16" and a Cast(to=FLOAT)
node at the top of the graph gives it back under its exported name, so ONNX
Runtime computes in float32 on the weights as shipped (PyTorch parameter names are
kept: "encoder.layer.0.attention.self.query.bias" is the Cast's output). The
model's parameters are rounded to float16 before the export, so every weight
initializer round-trips through float16 exactly; the conversion is lossless and
the reference (make_reference.py) is PyTorch on those rounded weights.

Checks (exit 1 on failure), ONNX vs PyTorch within 1e-4 (max abs diff):
  - inputs and outputs (names, types, dims); onnx.checker
  - every parameter is stored as float16, bitwise equal to the rounded parameter
    (Linear weights of MatMuls under generated names, transposed)
  - each prompt unbatched, and a right-padded batch of them at the real positions,
    with ORT optimizations disabled and at their default
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

from common import HERE, INPUT_NAMES, OPSET, OUTPUT_NAME, PROMPTS, load_model, load_tokenizer, setup_torch

TOL = 1e-4
FLOAT16_SUFFIX = "::float16"
BUILD = HERE / "build"


def export_float32(model, path) -> None:
    """The plain TorchScript export, every weight float32 (build/model-float32.onnx)."""
    original_forward = model.forward

    # The traced forward takes exactly (input_ids, attention_mask); token_type_ids
    # are zeros (one segment), made from input_ids so the graph needs no third input.
    # `input_ids * 0`, not zeros_like: ConstantOfShape would make the
    # token_type_embeddings lookup a constant, and its module would have no
    # boundary in the export (Loupe lists it as unresolved).
    # Overriding forward on the instance keeps the module hierarchy (node scopes).
    def forward(input_ids, attention_mask):
        return original_forward(
            input_ids=input_ids,
            attention_mask=attention_mask,
            token_type_ids=input_ids * 0,
            return_dict=False,
        )[0]

    ids = torch.tensor([[101, 1996, 4937, 2938, 102], [101, 7592, 102, 0, 0]])
    mask = (ids != 0).long()
    model.forward = forward
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # TracerWarnings about python bools in HF code
            with torch.no_grad():
                torch.onnx.export(
                    model,
                    (ids, mask),
                    str(path),
                    input_names=list(INPUT_NAMES),
                    output_names=[OUTPUT_NAME],
                    dynamic_axes={
                        **{name: {0: "batch", 1: "sequence"} for name in INPUT_NAMES},
                        OUTPUT_NAME: {0: "batch", 1: "sequence"},
                    },
                    opset_version=OPSET,
                    do_constant_folding=True,
                    dynamo=False,
                )
    finally:
        del model.forward


def widen_from_float16(proto: onnx.ModelProto) -> list[str]:
    """Stores each float32 weight that float16 holds exactly as float16, behind a Cast.

    Returns the exported names of the weights converted. Scalars and tensors float16
    would change (none in this export) stay float32.
    """
    graph = proto.graph
    casts = []
    converted = []
    for init in graph.initializer:
        if init.data_type != TensorProto.FLOAT or len(init.dims) == 0:
            continue
        value = numpy_helper.to_array(init)
        half = value.astype(np.float16)
        if not np.array_equal(half.astype(np.float32), value):
            continue
        name = init.name
        init.CopyFrom(numpy_helper.from_array(half, name + FLOAT16_SUFFIX))
        casts.append(
            helper.make_node("Cast", [name + FLOAT16_SUFFIX], [name], name=f"Widen_{len(casts)}", to=TensorProto.FLOAT)
        )
        converted.append(name)
    nodes = casts + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    return converted


def check_weights(proto: onnx.ModelProto, model, converted: list[str]) -> list[str]:
    """Every parameter stored as float16, bitwise, by name or (MatMul weights) transposed."""
    problems = []
    stored = {
        i.name[: -len(FLOAT16_SUFFIX)]: numpy_helper.to_array(i)
        for i in proto.graph.initializer
        if i.name.endswith(FLOAT16_SUFFIX)
    }
    by_bytes = {}
    for name, value in stored.items():
        by_bytes.setdefault((value.shape, value.tobytes()), []).append(name)
    for name, p in model.named_parameters():
        half = p.detach().numpy().astype(np.float16)
        if name in stored:
            if not np.array_equal(stored[name], half):
                problems.append(f"{name}: stored value differs")
        elif half.ndim == 2 and (half.T.shape, np.ascontiguousarray(half.T).tobytes()) in by_bytes:
            pass  # a Linear weight stored transposed under a generated name (onnx::MatMul_*)
        else:
            problems.append(f"{name}: not stored as float16")
    floats = [i.name for i in proto.graph.initializer if i.data_type == TensorProto.FLOAT and len(i.dims) > 0]
    if floats:
        problems.append(f"float32 weights left: {floats}")
    return problems


def run_ort(path, feeds: dict, optimize: bool) -> np.ndarray:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.graph_optimization_level = (
        ort.GraphOptimizationLevel.ORT_ENABLE_ALL if optimize else ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    )
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    return session.run([OUTPUT_NAME], feeds)[0]


def main() -> int:
    setup_torch()
    BUILD.mkdir(exist_ok=True)
    model = load_model(as_shipped=True)
    tokenizer = load_tokenizer()
    float32_path = BUILD / "model-float32.onnx"
    export_float32(model, float32_path)
    proto = onnx.load(str(float32_path))
    converted = widen_from_float16(proto)
    out = HERE / "model.onnx"
    onnx.save(proto, str(out))
    problems = check_weights(proto, model, converted)

    onnx.checker.check_model(str(out))
    graph = onnx.load(str(out)).graph
    io = [
        (v.name, v.type.tensor_type.elem_type, [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim])
        for v in list(graph.input) + list(graph.output)
    ]
    expected_io = [
        ("input_ids", TensorProto.INT64, ["batch", "sequence"]),
        ("attention_mask", TensorProto.INT64, ["batch", "sequence"]),
        (OUTPUT_NAME, TensorProto.FLOAT, ["batch", "sequence", 384]),
    ]
    if io != expected_io:
        problems.append(f"inputs/outputs {io}, expected {expected_io}")

    ids = [tokenizer.encode(p, add_special_tokens=False).ids for p in PROMPTS]
    worst = 0.0
    for row in ids:
        x = torch.tensor([row])
        with torch.no_grad():
            want = model(input_ids=x, attention_mask=torch.ones_like(x)).last_hidden_state.numpy()
        feeds = {"input_ids": x.numpy(), "attention_mask": np.ones_like(x.numpy())}
        for optimize in (False, True):
            diff = float(np.abs(run_ort(out, feeds, optimize) - want).max())
            worst = max(worst, diff)
            print(f"  unbatched, {len(row)} tokens, optimize={optimize}: max abs diff {diff:.2e}")
    # Right-padded batch (pad id 0, mask 0 on pads), compared at the real positions.
    width = max(len(r) for r in ids)
    batch = np.array([r + [0] * (width - len(r)) for r in ids], dtype=np.int64)
    mask = np.array([[1] * len(r) + [0] * (width - len(r)) for r in ids], dtype=np.int64)
    for optimize in (False, True):
        got = run_ort(out, {"input_ids": batch, "attention_mask": mask}, optimize)
        for b, row in enumerate(ids):
            x = torch.tensor([row])
            with torch.no_grad():
                want = model(input_ids=x, attention_mask=torch.ones_like(x)).last_hidden_state.numpy()[0]
            diff = float(np.abs(got[b, : len(row)] - want).max())
            worst = max(worst, diff)
        print(f"  right-padded batch of {len(ids)}, optimize={optimize}: max abs diff so far {worst:.2e}")
    # The float32 export and the widened one compute the same thing.
    same = float(
        np.abs(
            run_ort(float32_path, {"input_ids": batch, "attention_mask": mask}, False)
            - run_ort(out, {"input_ids": batch, "attention_mask": mask}, False)
        ).max()
    )
    print(f"  float32 export vs float16-stored export: max abs diff {same:.2e}")
    if worst > TOL:
        problems.append(f"ONNX vs PyTorch: max abs diff {worst:.2e} > {TOL}")

    print(
        f"model.onnx: {out.stat().st_size} bytes, {len(graph.node)} nodes, "
        f"{len(graph.initializer)} initializers ({len(converted)} float16), "
        f"float32 export {float32_path.stat().st_size} bytes"
    )
    for p in problems:
        print("FAIL:", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
