#!/usr/bin/env python3
"""The Python peers of Loupe's benchmark: PyTorch eager, PyTorch forward hooks
and nnsight, on the same GPT-2-small weights and the same batch as Loupe's
engine suite (bench/suites/gpt2-graphs.ts).

Usage: <peers venv python> peers_bench.py PEER [--rounds N] [--threads T] [--dump DIR]
  PEER: eager | hooks | nnsight

Prints one JSON object on stdout: per task, the wall times of every timed call
(seconds), a checksum of the task's output, and the process's peak resident
memory. One process per peer, so each peer's peak memory is its own. With
--dump, each task's output is also written to DIR/PEER.safetensors (float32
logits, int64 token ids), so bench/contenders can compare them with Loupe's
element by element (and refuse to time a peer that computes something else).
With --rounds 0, only the untimed first call of each task runs. Before each
task it prints "LOUPE_BENCH_PHASE <task>" on stderr, so that the benchmark,
which samples this process's memory, knows what was running.

Module outputs: from transformers 5 a GPT-2 block returns its hidden state as
a plain tensor, before as a tuple (hidden, present, ...); `output[0]` of the
tensor is batch row 0, silently. hidden_of() and with_hidden() take both.

The model is GPT2LMHeadModel with GPT-2 small's config, random init after
torch.manual_seed(0), built by bench/models/export_gpt2_small.py's
make_gpt2_small: the very weights Loupe's ONNX export has. The batch is 32 rows
of 12 token ids from the same 32-bit LCG (seed 1) as tokenRows().

Tasks (the paper's Table 1 task and two more):
  forward   plain forward: the logits at the last position
  patching  activation patching on one MLP (layer 6): the MLP output at the
            last position of rows 0-15 written into rows 16-31; their logits
            at the last position
  lens      logit lens over all 12 layers: top-5 token ids of
            lm_head(ln_f(h_i[:, -1, :])) per layer
  steering  a fixed direction (d_i = sin(0.37 i + 1), scaled to norm 1) times
            4 added to layer 6's
            output at every position; the logits at the last position
  attribution
            attribution patching of every MLP layer (the paper's Table 1
            task): rows 0-15 clean, 16-31 corrupted; metric = logit(1000) -
            logit(2000) at the last position, summed over the clean rows;
            (corrupted - clean MLP output) * d metric / d clean MLP output,
            summed over the hidden dim: [12, 16, 12]. One forward pass, one
            backward pass; weights frozen (no weight gradients), the
            embedding output requires the gradient instead

Every task saves what a researcher would look at (the last position), as
Loupe's graphs do; the model still computes every position.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "models"))
from export_gpt2_small import make_gpt2_small  # noqa: E402

BATCH, TOKENS, LAYERS, VOCAB = 32, 12, 12, 50257
PATCH_LAYER, STEER_LAYER, STEER_SCALE = 6, 6, 4.0
ATTRIBUTION_TOKENS = (1000, 2000)


def token_rows() -> list[list[int]]:
    """The same ids as bench/suites/gpt2-graphs.ts tokenRows()."""
    state = 1
    rows = []
    for _ in range(BATCH):
        row = []
        for _ in range(TOKENS):
            state = (state * 1664525 + 1013904223) & 0xFFFFFFFF
            row.append(state % VOCAB)
        rows.append(row)
    return rows


def steering_direction(torch, width: int):
    """The same direction as gpt2-graphs.ts steeringDirection(): a formula, not
    an RNG, so both languages compute it."""
    d = torch.tensor([math.sin(0.37 * i + 1.0) for i in range(width)], dtype=torch.float64)
    return (d / d.norm()).to(torch.float32)


def hidden_of(output):
    """A block's hidden state, whether the block returns it alone (transformers 5)
    or first in a tuple (transformers 4)."""
    return output[0] if isinstance(output, tuple) else output


def with_hidden(output, hidden):
    """The block's output with its hidden state replaced, in the block's own form."""
    return (hidden,) + tuple(output[1:]) if isinstance(output, tuple) else hidden


def eager_tasks(model, torch, ids):
    def forward():
        return model(ids).logits[:, -1, :]

    return {"forward": forward}


def hook_tasks(model, torch, ids, direction):
    half = BATCH // 2
    mlp = model.transformer.h[PATCH_LAYER].mlp
    blocks = model.transformer.h

    def patching():
        def patch(_module, _inputs, output):
            output = output.clone()
            output[half:, -1, :] = output[:half, -1, :]
            return output

        handle = mlp.register_forward_hook(patch)
        try:
            return model(ids).logits[half:, -1, :]
        finally:
            handle.remove()

    def lens():
        hidden = []
        handles = [
            b.register_forward_hook(lambda _m, _i, out: hidden.append(hidden_of(out)[:, -1, :]))
            for b in blocks
        ]
        try:
            model(ids)
        finally:
            for h in handles:
                h.remove()
        head = model.lm_head
        norm = model.transformer.ln_f
        return torch.stack([head(norm(h)).topk(5).indices for h in hidden])

    def steering():
        def steer(_module, _inputs, output):
            return with_hidden(output, hidden_of(output) + STEER_SCALE * direction)

        handle = blocks[STEER_LAYER].register_forward_hook(steer)
        try:
            return model(ids).logits[:, -1, :]
        finally:
            handle.remove()

    def attribution():
        acts = []

        def keep(_module, _inputs, output):
            output.retain_grad()
            acts.append(output)

        handles = [b.mlp.register_forward_hook(keep) for b in blocks]
        handles.append(model.transformer.wte.register_forward_hook(needs_grad))
        try:
            with torch.inference_mode(False), torch.enable_grad():
                logits = model(ids).logits
                a, b = ATTRIBUTION_TOKENS
                (logits[:half, -1, a] - logits[:half, -1, b]).sum().backward()
                return torch.stack(
                    [((x[half:] - x[:half]) * x.grad[:half]).sum(-1) for x in acts]
                ).detach()
        finally:
            for h in handles:
                h.remove()

    return {
        "patching": patching,
        "lens": lens,
        "steering": steering,
        "attribution": attribution,
    }


def needs_grad(_module, _inputs, output):
    """The embedding's output, with the weights frozen, is where gradients start."""
    return output.requires_grad_()


def freeze(model) -> None:
    """No weight gradients: Loupe computes none, and attribution reads none."""
    for p in model.parameters():
        p.requires_grad_(False)


def nnsight_tasks(model, torch, ids, direction):
    from nnsight import NNsight

    class TokenIdsNNsight(NNsight):
        """NNsight on a bare module batches only one invoke; these two hooks (the
        ones nnsight documents for models that batch) stack invokes' token-id
        tensors on dim 0, as its TransformersModel does for tokenized prompts.
        No tokenizer is needed: no hub is reachable, and the ids are given."""

        def _batch_size(self, *inputs, **kwargs):
            return int(inputs[0].shape[0]) if inputs else 0

        def _batch(self, invokes, fn):
            if len(invokes) == 1:
                return invokes[0]
            return (torch.cat([args[0] for args, _ in invokes]),), {}

    lm = TokenIdsNNsight(model)
    half = BATCH // 2

    def patching():
        # nnsight >= 0.5 runs each invoke's body in its own worker: a value one
        # invoke reads at a module and another writes there crosses a barrier.
        with lm.trace() as tracer:
            barrier = tracer.barrier(2)
            with tracer.invoke(ids[:half]):
                clean = lm.transformer.h[PATCH_LAYER].mlp.output[:, -1, :]
                barrier()
            with tracer.invoke(ids[half:]):
                barrier()
                lm.transformer.h[PATCH_LAYER].mlp.output[:, -1, :] = clean
                logits = lm.lm_head.output[:, -1, :].save()
        return logits

    def lens():
        # Only saved values leave the trace's worker: stack the layers inside.
        with lm.trace(ids):
            tops = torch.stack(
                [
                    lm.lm_head(
                        lm.transformer.ln_f(hidden_of(lm.transformer.h[i].output)[:, -1, :])
                    )
                    .topk(5)
                    .indices
                    for i in range(LAYERS)
                ]
            ).save()
        return tops

    def steering():
        with lm.trace(ids):
            # In place: nnsight's values inside a trace are the module's real outputs.
            hidden_of(lm.transformer.h[STEER_LAYER].output)[:] += STEER_SCALE * direction
            logits = lm.lm_head.output[:, -1, :].save()
        return logits

    def attribution():
        a, b = ATTRIBUTION_TOKENS
        handle = model.transformer.wte.register_forward_hook(needs_grad)
        try:
            with torch.inference_mode(False), torch.enable_grad():
                # One invoke of all 32 rows: nnsight 0.8 keeps only saved
                # values, and reads gradients inside `with metric.backward()`
                # in the order the backward pass reaches them (last layer first).
                with lm.trace(ids):
                    acts = [lm.transformer.h[i].mlp.output for i in range(LAYERS)]
                    logits = lm.lm_head.output
                    metric = (logits[:half, -1, a] - logits[:half, -1, b]).sum()
                    with metric.backward():
                        rows = [
                            ((acts[i][half:] - acts[i][:half]) * acts[i].grad[:half]).sum(-1)
                            for i in reversed(range(LAYERS))
                        ]
                        attr = torch.stack(rows[::-1]).detach().save()
            return attr
        finally:
            handle.remove()

    return {
        "patching": patching,
        "lens": lens,
        "steering": steering,
        "attribution": attribution,
    }


def peak_rss_bytes() -> int:
    """This process's peak resident set (VmHWM). Not getrusage's ru_maxrss:
    Linux carries that over exec from the forking parent (the benchmark's Node
    process, gigabytes), so every child would report at least the parent's."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def phase(name: str) -> None:
    """Tells the benchmark (on stderr) which task runs from now on."""
    print(f"LOUPE_BENCH_PHASE {name}", file=sys.stderr, flush=True)


def checksum(value) -> float:
    value = getattr(value, "value", value)  # nnsight 0.4-style proxies
    return float(value.double().sum())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("peer", choices=["eager", "hooks", "nnsight"])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--dump", type=Path)
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    model = make_gpt2_small()
    freeze(model)
    ids = torch.tensor(token_rows(), dtype=torch.int64)
    direction = steering_direction(torch, model.config.n_embd)

    tasks = {
        "eager": lambda: eager_tasks(model, torch, ids),
        "hooks": lambda: hook_tasks(model, torch, ids, direction),
        "nnsight": lambda: nnsight_tasks(model, torch, ids, direction),
    }[args.peer]()

    results = {}
    outputs = {}
    with torch.inference_mode():
        for name, task in tasks.items():
            phase(name)
            out = task()  # warm-up (and the checksum)
            outputs[name] = getattr(out, "value", out).contiguous()
            times = []
            for _ in range(args.rounds):
                started = time.perf_counter()
                task()
                times.append(time.perf_counter() - started)
            results[name] = {"seconds": times, "checksum": checksum(out)}
        phase("end")

    if args.dump:
        from safetensors.torch import save_file

        args.dump.mkdir(parents=True, exist_ok=True)
        save_file(outputs, str(args.dump / f"{args.peer}.safetensors"))

    print(
        json.dumps(
            {
                "peer": args.peer,
                "threads": args.threads,
                "versions": {
                    "python": sys.version.split()[0],
                    "torch": torch.__version__,
                    **(
                        {"nnsight": __import__("nnsight").__version__}
                        if args.peer == "nnsight"
                        else {}
                    ),
                    "transformers": __import__("transformers").__version__,
                },
                "peakRssBytes": peak_rss_bytes(),
                "tasks": results,
            }
        )
    )


if __name__ == "__main__":
    main()
