#!/usr/bin/env python3
"""Export checkpoints/model.pt to model.onnx, with a key/value cache, and verify it
with onnxruntime.

model.onnx is exported with a key/value cache so that generation is fast (each
step feeds only the new tokens); an empty past (length 0) gives the plain forward
pass. TorchScript exporter (torch.onnx.export), opset 14, do_constant_folding=True,
no ORT optimization. Graph inputs, in this order:
  input_ids [batch, sequence], attention_mask [batch, total_sequence],
  position_ids [batch, sequence] (int64), then per layer i = 0..5
  past_key_values.{i}.key, past_key_values.{i}.value
  [batch, 4, past_sequence, 32] (float32);
outputs: logits [batch, sequence, 1302], then per layer present.{i}.key,
present.{i}.value [batch, 4, total_sequence, 32], total_sequence =
past_sequence + sequence (optimum's names and layout). A first call (or a plain
forward pass) passes empty past tensors [batch, 4, 0, 32] and attention_mask /
position_ids as without a cache; a next call passes the new tokens only, the
previous presents as the past, the mask of past + new positions and the new
tokens' positions.

This is the export of packages/engine/fixtures/build_kv_exports.py
(export_kv_onnx, the same code and example input): that script re-exports the
weights read back from model.onnx and reproduces the file byte for byte.

Checks (exit 1 on failure), ONNX vs PyTorch within 1e-4 (max abs diff):
  - graph inputs and outputs exactly as above; onnx.checker
  - every parameter is an initializer under its PyTorch name, bitwise equal to the
    checkpoint (plus the tied lm_head's transposed copy of wte: 77 initializers),
    and the weights read back from model.onnx reproduce the PyTorch logits exactly
    (find_facts.py computes the facts from those weights)
  - every example prompt unbatched, empty past (mask all ones, position_ids 0..n-1)
  - a left-padded batch of prompts of different lengths (pad id 0, mask 0 on
    pads, position_ids = cumsum(mask) - 1 with pads set to 1), empty past, all
    positions; also with ORT's default optimizations
  - incremental decoding of that batch, one token per call (past lengths 0..n-1),
    onnxruntime (no optimizations, and default) feeding back its own presents:
    logits vs PyTorch without a cache on the whole prefix, presents vs PyTorch's
    past_key_values (use_cache=True)
  - a chunk: past length 4, then the remaining tokens in one call

Run after train.py:  python export_onnx.py
"""

from __future__ import annotations

import json
import sys
import warnings

import numpy as np
import torch

from common import CKPT, HERE, left_pad, load_tokenizer, ort_feed, setup_torch
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
# Example input of the trace, as build_kv_exports.py: batch 2, past length 5, 3 new
# tokens, random values from seed 0 (nothing of them reaches the file). Every length
# is > 1 and they differ, so no length traced from a shape can stand for another.
TRACE_SEED, TRACE_BATCH, TRACE_PAST, TRACE_SEQ = 0, 2, 5, 3
CHUNK_PAST = 4


def cache_dims(model) -> tuple[int, int, int]:
    """(layers, heads, head dim)."""
    c = model.config
    return c.num_hidden_layers, c.num_attention_heads, c.hidden_size // c.num_attention_heads


def past_names(n_layers: int) -> list[str]:
    return [f"past_key_values.{i}.{kv}" for i in range(n_layers) for kv in ("key", "value")]


def present_names(n_layers: int) -> list[str]:
    return [f"present.{i}.{kv}" for i in range(n_layers) for kv in ("key", "value")]


def export(model, path) -> dict[str, str]:
    """torch.onnx.export with flat past/present tensors (see the module docstring);
    returns the TracerWarnings, {file:line: message} (none for this model)."""
    n_layers, heads, head_dim = cache_dims(model)
    pasts, presents = past_names(n_layers), present_names(n_layers)
    g = torch.Generator().manual_seed(TRACE_SEED)
    b, p, s = TRACE_BATCH, TRACE_PAST, TRACE_SEQ
    ids = torch.randint(1, model.config.vocab_size, (b, s), generator=g)
    mask = torch.ones(b, p + s, dtype=torch.int64)
    positions = torch.arange(p, p + s, dtype=torch.int64).expand(b, s).contiguous()
    past = [torch.randn(b, heads, p, head_dim, generator=g) for _ in pasts]
    kwargs = dict(
        input_names=["input_ids", "attention_mask", "position_ids"] + pasts,
        output_names=["logits"] + presents,
        dynamic_axes={
            "input_ids": {0: "batch", 1: "sequence"},
            "attention_mask": {0: "batch", 1: "total_sequence"},
            "position_ids": {0: "batch", 1: "sequence"},
            **{n: {0: "batch", 2: "past_sequence"} for n in pasts},
            "logits": {0: "batch", 1: "sequence"},
            **{n: {0: "batch", 2: "total_sequence"} for n in presents},
        },
        opset_version=OPSET,
        do_constant_folding=True,
    )
    if int(torch.__version__.split(".")[0]) >= 2:
        kwargs["dynamo"] = False  # TorchScript exporter: node names carry module scopes
    # Trace a forward that takes exactly the graph inputs positionally (keyword args to
    # torch.onnx.export could turn defaulted parameters into graph inputs), overridden on
    # the instance so that node names keep the module hierarchy. The flat past becomes
    # the legacy tuple of (key, value) pairs per layer; the returned pairs are flattened.
    original_forward = model.forward

    def forward(input_ids, attention_mask, position_ids, *flat_past):
        pkv = tuple((flat_past[2 * i], flat_past[2 * i + 1]) for i in range(n_layers))
        out = original_forward(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
                               past_key_values=pkv, use_cache=True, return_dict=False)
        logits, present = out[0], out[1]
        assert len(present) == n_layers
        return (logits,) + tuple(t for kv in present for t in kv)

    model.forward = forward
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with torch.no_grad():
                torch.onnx.export(model, (ids, mask, positions, *past), str(path), **kwargs)
    finally:
        del model.forward  # back to the class method
    return {f"{w.filename.split('site-packages/')[-1]}:{w.lineno}": str(w.message).split(".")[0]
            for w in caught if issubclass(w.category, torch.jit.TracerWarning)}


def graph_io(m) -> tuple[list, list]:
    import onnx

    def fmt(v):
        t = v.type.tensor_type
        return (v.name, onnx.TensorProto.DataType.Name(t.elem_type), [d.dim_param or d.dim_value for d in t.shape.dim])
    return [fmt(i) for i in m.graph.input], [fmt(o) for o in m.graph.output]


def main() -> None:
    import onnx
    import onnxruntime as ort
    from onnx import numpy_helper

    setup_torch()
    tok = load_tokenizer()
    model = model_from_checkpoint(CKPT / "model.pt")
    n_layers, heads, head_dim = cache_dims(model)
    vocab = model.config.vocab_size
    path = HERE / "model.onnx"
    tracer = export(model, path)
    for where, msg in tracer.items():
        print(f"TracerWarning {where}: {msg}")

    m = onnx.load(str(path))
    onnx.checker.check_model(m)
    inputs, outputs = graph_io(m)
    print("inputs:", inputs)
    print("outputs:", outputs)
    failures = []
    want_inputs = [("input_ids", "INT64", ["batch", "sequence"]),
                   ("attention_mask", "INT64", ["batch", "total_sequence"]),
                   ("position_ids", "INT64", ["batch", "sequence"])]
    want_inputs += [(n, "FLOAT", ["batch", heads, "past_sequence", head_dim]) for n in past_names(n_layers)]
    want_outputs = [("logits", "FLOAT", ["batch", "sequence", vocab])]
    want_outputs += [(n, "FLOAT", ["batch", heads, "total_sequence", head_dim]) for n in present_names(n_layers)]
    if inputs != want_inputs:
        failures.append(f"graph inputs {inputs}")
    if outputs != want_outputs:
        failures.append(f"graph outputs {outputs}")

    # Weights: every parameter under its PyTorch name (onnx_weights.model_from_onnx reads
    # them by name), bitwise; plus the tied lm_head's transposed copy of wte.
    inits = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    state = model.state_dict()
    wrong = [k for k, t in state.items() if k != "lm_head.weight"
             and (k not in inits or not np.array_equal(inits[k], t.numpy()))]
    if wrong:
        failures.append(f"parameters not stored bitwise under their names: {wrong}")
    if len(inits) != len(state):  # 76 parameters + the lm_head copy (lm_head.weight is wte)
        failures.append(f"{len(inits)} initializers, expected {len(state)}")

    def session(optimize: bool):
        so = ort.SessionOptions()
        if not optimize:
            so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        so.intra_op_num_threads = 1
        return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])

    sessions = {"no opts": session(False), "default opts": session(True)}
    sess = sessions["no opts"]
    out_names = ["logits"] + present_names(n_layers)
    reloaded = model_from_onnx(path)
    report = {"graph": {"bytes": path.stat().st_size, "nodes": len(m.graph.node),
                        "initializers": len(m.graph.initializer), "tracer_warnings": tracer},
              "unbatched": {}, "left_padded_batch": {}}

    def run_both(ids, mask, pos):
        """PyTorch, onnxruntime with an empty past, PyTorch on the weights read back."""
        with torch.no_grad():
            ref = model(input_ids=ids, attention_mask=mask, position_ids=pos).logits.numpy()
            rel = reloaded(input_ids=ids, attention_mask=mask, position_ids=pos).logits.numpy()
        got = sess.run(["logits"], ort_feed(sess, ids, mask, pos))[0]
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
    if not np.array_equal(ref, rel):
        failures.append("weights reloaded from model.onnx differ on the left-padded batch")
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
    # also with ORT's default optimizations (what a runtime may use)
    so = sessions["default opts"]
    got_opt = so.run(["logits"], ort_feed(so, ids, mask, pos))[0]
    d_opt = float(np.abs(ref - got_opt).max())
    report["left_padded_batch"]["ort_default_optimizations_max_abs_diff"] = d_opt
    if not d_opt <= TOL:
        failures.append(f"left-padded batch, ORT default optimizations: {d_opt}")

    def torch_step(cols, upto, past):
        """PyTorch with use_cache=True on columns `cols`, mask of the first `upto` columns."""
        pkv = None if past is None else tuple((past[2 * i], past[2 * i + 1]) for i in range(n_layers))
        with torch.no_grad():
            o = model(input_ids=ids[:, cols], attention_mask=mask[:, :upto], position_ids=pos[:, cols],
                      past_key_values=pkv, use_cache=True)
        return [o.logits.numpy()] + [t.numpy() for kv in o.past_key_values for t in kv]

    def worst(want, got) -> tuple[float, float]:
        assert [w.shape for w in want] == [g.shape for g in got], "output shapes differ"
        d = [float(np.abs(w - g).max()) for w, g in zip(want, got)]
        return d[0], max(d[1:])

    # Incremental decoding: one column per call, past lengths 0..n-1; each runtime feeds
    # back its own presents. Logits also vs PyTorch without a cache on the whole prefix
    # (recomputed per step: at pad positions whose row has no real token yet, the
    # prefix's logits differ from the whole batch's, meaningless values either way).
    n = ids.shape[1]
    with torch.no_grad():
        prefix = [model(input_ids=ids[:, :t + 1], attention_mask=mask[:, :t + 1],
                        position_ids=pos[:, :t + 1]).logits[:, -1].numpy() for t in range(n)]
    report["incremental"] = {}
    for label, se in sessions.items():
        past, t_past, dl, dp, dc = None, None, 0.0, 0.0, 0.0
        for t in range(n):
            cols = slice(t, t + 1)
            got = se.run(out_names, ort_feed(se, ids[:, cols], mask[:, :t + 1], pos[:, cols], past))
            want = torch_step(cols, t + 1, None if t_past is None else [torch.from_numpy(a) for a in t_past])
            past, t_past = got[1:], want[1:]
            dl = max(dl, float(np.abs(got[0][:, -1] - prefix[t]).max()))
            wl, wp = worst(want, got)
            dc, dp = max(dc, wl), max(dp, wp)
        report["incremental"][label] = {"past_lengths": [0, n - 1], "logits_vs_pytorch_without_cache": dl,
                                        "logits_vs_pytorch_cached": dc, "presents_vs_pytorch": dp}
        if not max(dl, dc, dp) <= TOL:
            failures.append(f"incremental decoding, ORT {label}: logits {dl} / {dc}, presents {dp}")
    # A chunk: past length CHUNK_PAST from a first call, then all remaining tokens at once.
    first = slice(0, CHUNK_PAST)
    rest = slice(CHUNK_PAST, n)
    t_first = torch_step(first, CHUNK_PAST, None)
    want = torch_step(rest, n, [torch.from_numpy(a) for a in t_first[1:]])
    report["chunk"] = {}
    for label, se in sessions.items():
        o = se.run(out_names, ort_feed(se, ids[:, first], mask[:, :CHUNK_PAST], pos[:, first]))
        got = se.run(out_names, ort_feed(se, ids[:, rest], mask, pos[:, rest], o[1:]))
        dl, dp = worst(want, got)
        d_full = float(np.abs(got[0] - ref[:, rest]).max())
        report["chunk"][label] = {"past": CHUNK_PAST, "tokens": n - CHUNK_PAST, "logits_vs_pytorch_cached": dl,
                                  "presents_vs_pytorch": dp, "logits_vs_pytorch_without_cache": d_full}
        if not max(dl, dp, d_full) <= TOL:
            failures.append(f"chunk, ORT {label}: logits {dl} / {d_full}, presents {dp}")

    print(json.dumps(report, indent=1))
    (CKPT / "export_report.json").write_text(json.dumps(report, indent=1) + "\n")
    print(f"model.onnx: {path.stat().st_size} bytes, {len(m.graph.node)} nodes, "
          f"{len(m.graph.initializer)} initializers")
    if failures:
        print("FAILURES:", *failures, sep="\n  ")
        sys.exit(1)
    print("export OK")


if __name__ == "__main__":
    main()
