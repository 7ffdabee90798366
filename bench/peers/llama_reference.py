#!/usr/bin/env python3
"""The PyTorch reference of the bench's scale phase: PyTorch with forward hooks
on the 1.1B Llama-architecture model (bench/models/export_llama_1b.py), the
very weights Loupe's ONNX export has (model.safetensors beside it, loaded with
LlamaForCausalLM.from_pretrained; float32, SDPA attention: transformers'
default, what a researcher gets).

Usage: <peers venv python> llama_reference.py MODEL_DIR [--rounds N] [--threads T] [--dump DIR]

The batch and the tasks are bench/scale/llama-batch.ts's (restated here):
4 prompts of 16 token ids from a 32-bit LCG (seed 1) modulo 32000.
  forward   logits at the last position                         float32 [4, 32000]
  patching  model.layers.11.mlp's output at the last position of rows 0-1
            written into rows 2-3 (a forward hook); their logits at the last
            position                                            float32 [2, 32000]
  lens      the logits lm_head(model.norm(h_i[:, -1, :])) for every decoder
            layer's output h_i (forward hooks)                  float32 [22, 4, 32000]
  generate  16 greedy new tokens per prompt with the key/value cache (the
            prompt in one call, then one token per call)        int64 [4, 16]

Prints one JSON object on stdout (as peers_bench.py: per task the wall seconds
of every timed call after one untimed warm-up call, a checksum, the peak
resident set) and "LOUPE_BENCH_PHASE <task>" on stderr as each task starts, so
that the benchmark files its memory samples by task. With --dump, writes each
task's output to DIR/pytorch.safetensors.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers_bench import checksum, freeze, hidden_of, peak_rss_bytes, phase  # noqa: E402

BATCH, TOKENS, NEW_TOKENS, VOCAB = 4, 16, 16, 32000
PATCH_LAYER = 11


def token_rows() -> list[list[int]]:
    """The same ids as bench/scale/llama-batch.ts scaleTokenRows()."""
    state = 1
    rows = []
    for _ in range(BATCH):
        row = []
        for _ in range(TOKENS):
            state = (state * 1664525 + 1013904223) & 0xFFFFFFFF
            row.append(state % VOCAB)
        rows.append(row)
    return rows


def reference_tasks(model, torch, ids):
    half = BATCH // 2
    layers = model.model.layers

    def forward():
        return model(ids).logits[:, -1, :]

    def patching():
        def patch(_module, _inputs, output):
            output = output.clone()
            output[half:, -1, :] = output[:half, -1, :]
            return output

        handle = layers[PATCH_LAYER].mlp.register_forward_hook(patch)
        try:
            return model(ids).logits[half:, -1, :]
        finally:
            handle.remove()

    def lens():
        hidden = []
        handles = [
            layer.register_forward_hook(lambda _m, _i, out: hidden.append(hidden_of(out)[:, -1, :]))
            for layer in layers
        ]
        try:
            model(ids)
        finally:
            for h in handles:
                h.remove()
        return torch.stack([model.lm_head(model.model.norm(h)) for h in hidden])

    # transformers 5.25 renamed the key/value cache `cache` (argument and
    # output field); `past_key_values` before (and, deprecated, still).
    cache_name = "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"

    def generate():
        out = model(ids, use_cache=True)
        token = out.logits[:, -1, :].argmax(-1)
        tokens = [token]
        for _ in range(NEW_TOKENS - 1):
            out = model(token[:, None], use_cache=True, **{cache_name: getattr(out, cache_name)})
            token = out.logits[:, -1, :].argmax(-1)
            tokens.append(token)
        return torch.stack(tokens, dim=1)

    return {"forward": forward, "patching": patching, "lens": lens, "generate": generate}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model_dir", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--dump", type=Path)
    args = parser.parse_args()

    import torch
    import transformers
    from transformers import LlamaForCausalLM

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    started = time.perf_counter()
    model = LlamaForCausalLM.from_pretrained(
        str(args.model_dir), dtype=torch.float32, attn_implementation="sdpa"
    ).eval()
    freeze(model)
    load_seconds = time.perf_counter() - started
    ids = torch.tensor(token_rows(), dtype=torch.int64)
    tasks = reference_tasks(model, torch, ids)

    results = {}
    outputs = {}
    with torch.inference_mode():
        for name, task in tasks.items():
            phase(name)
            out = task()  # warm-up (and the output)
            outputs[name] = out.contiguous()
            times = []
            for _ in range(args.rounds):
                t = time.perf_counter()
                task()
                times.append(time.perf_counter() - t)
            results[name] = {"seconds": times, "checksum": checksum(out)}
        phase("end")

    if args.dump:
        from safetensors.torch import save_file

        args.dump.mkdir(parents=True, exist_ok=True)
        save_file(outputs, str(args.dump / "pytorch.safetensors"))

    print(
        json.dumps(
            {
                "peer": "pytorch",
                "threads": args.threads,
                "versions": {
                    "python": sys.version.split()[0],
                    "torch": torch.__version__,
                    "transformers": transformers.__version__,
                },
                "loadSeconds": load_seconds,
                "peakRssBytes": peak_rss_bytes(),
                "tasks": results,
            }
        )
    )


if __name__ == "__main__":
    main()
