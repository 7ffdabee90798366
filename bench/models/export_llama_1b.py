#!/usr/bin/env python3
"""Export the bench's scale model: a Llama-architecture model of TinyLlama-1.1B's
shape, random init, to ONNX with a key/value cache and external data.

Usage: PYTHONPATH=<export overlay> <peers venv python> export_llama_1b.py OUT_DIR

The export overlay (bench/models/setup-export.sh) puts transformers 4.46.3, the
fixtures' pin, in front of the peers' transformers 5: TorchScript export with a
cache breaks on transformers 5. `npm run bench` runs it so (bench/scale).

The model: LlamaForCausalLM with TinyLlama-1.1B's config (hidden 2048,
intermediate 5632, 22 layers, 32 heads, 4 key/value heads, head dim 64,
vocabulary 32000, untied embeddings; 1,100,048,384 parameters), built offline
from LlamaConfig, random init after torch.manual_seed(0): no hub is reachable,
and speed does not depend on the weights' values. float32.

Writes into OUT_DIR (created; its previous export is replaced only once the new
one is complete):
  model.onnx        the graph (~1 MB), initializers pointing into model.onnx.data
  model.onnx.data   every initializer, one file (~4.4 GB: over protobuf's 2 GB)
  model.safetensors + config.json
                    the same weights for the PyTorch reference
                    (bench/peers/llama_reference.py loads them with
                    LlamaForCausalLM.from_pretrained): the reference and Loupe
                    run the very same numbers, whatever a later transformers
                    does with a seed
  export.json       versions, sizes, seconds per step

The ONNX conventions are the engine's fixtures' (build_kv_exports.export_kv_onnx,
imported, so they have one definition): TorchScript exporter, opset 14, node
names carrying module scopes, inputs input_ids, attention_mask, position_ids,
past_key_values.<i>.key/value [batch, 4, past, 64]; outputs logits,
present.<i>.key/value. A first call passes empty past tensors ([batch, 4, 0, 64]).

No tokenizer: the bench feeds token ids (bench/scale/llama-batch.ts).

Needs ~20 GB of free disk while it runs (the exporter's one file per tensor,
then the single data file, then the safetensors) and ~14 GB of memory.
"""

from __future__ import annotations

import sys

sys.dont_write_bytecode = True  # leave no __pycache__ in the fixtures' folder

import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[2] / "packages" / "engine" / "fixtures"
SEED = 0
DATA_FILE = "model.onnx.data"

# TinyLlama-1.1B's architecture (its config.json), no weights.
CONFIG = dict(
    vocab_size=32000,
    hidden_size=2048,
    intermediate_size=5632,
    num_hidden_layers=22,
    num_attention_heads=32,
    num_key_value_heads=4,
    max_position_embeddings=2048,
    rms_norm_eps=1e-5,
    hidden_act="silu",
    tie_word_embeddings=False,
    bos_token_id=1,
    eos_token_id=2,
    attention_bias=False,
)


def make_llama_1b():
    """LlamaForCausalLM of TinyLlama-1.1B's shape, random init after seed 0, eager attention."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(**CONFIG, use_cache=True, attn_implementation="eager")
    torch.manual_seed(SEED)
    return LlamaForCausalLM(config).eval()


def gather_external_data(exported: Path, out: Path) -> None:
    """The exporter writes each large initializer to a file of its own beside the
    model; rewrite them all into one data file (DATA_FILE) next to `out`."""
    import onnx

    model = onnx.load(str(exported), load_external_data=True)
    onnx.save_model(
        model,
        str(out),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location=DATA_FILE,
        size_threshold=1024,
    )


def check_graph(path: Path, layers: int) -> dict:
    """The inputs and outputs the engine's importer expects, and the model checker."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    inputs = [i.name for i in model.graph.input]
    outputs = [o.name for o in model.graph.output]
    kv = [f"{i}.{k}" for i in range(layers) for k in ("key", "value")]
    want_in = ["input_ids", "attention_mask", "position_ids"] + [f"past_key_values.{n}" for n in kv]
    want_out = ["logits"] + [f"present.{n}" for n in kv]
    if inputs != want_in or outputs != want_out:
        sys.exit(f"export: graph inputs {inputs} / outputs {outputs}, expected {want_in} / {want_out}")
    onnx.checker.check_model(str(path))  # by path: the model is over 2 GB with its data
    external = {
        e.value
        for t in model.graph.initializer
        for e in t.external_data
        if e.key == "location"
    }
    if external != {DATA_FILE}:
        sys.exit(f"export: initializers point into {sorted(external)}, expected only {DATA_FILE}")
    return {"nodes": len(model.graph.node), "initializers": len(model.graph.initializer)}


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: export_llama_1b.py OUT_DIR")
    out_dir = Path(sys.argv[1]).resolve()
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "raw").mkdir(parents=True)

    import torch
    import transformers

    sys.path.insert(0, str(FIXTURES))
    from build_kv_exports import export_kv_onnx

    torch.set_num_threads(min(2, os.cpu_count() or 1))
    seconds: dict[str, float] = {}
    started = time.time()

    def lap(step: str) -> None:
        nonlocal started
        seconds[step] = round(time.time() - started, 1)
        print(f"  {step}: {seconds[step]} s", flush=True)
        started = time.time()

    model = make_llama_1b()
    parameters = sum(p.numel() for p in model.parameters())
    lap("random init")
    model.save_pretrained(str(tmp), safe_serialization=True, max_shard_size="20GB")
    lap("safetensors")
    tracer = export_kv_onnx(model, tmp / "raw" / "model.onnx")
    del model
    lap("onnx export (TorchScript)")
    gather_external_data(tmp / "raw" / "model.onnx", tmp / "model.onnx")
    shutil.rmtree(tmp / "raw")
    lap("external data into one file")
    graph = check_graph(tmp / "model.onnx", CONFIG["num_hidden_layers"])
    lap("check")

    sizes = {f.name: f.stat().st_size for f in sorted(tmp.iterdir()) if f.is_file()}
    report = {
        "parameters": parameters,
        "config": CONFIG,
        "seed": SEED,
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__},
        "seconds": seconds,
        "bytes": sizes,
        "tracer_warnings": len(tracer),
        **graph,
    }
    (tmp / "export.json").write_text(json.dumps(report, indent=2) + "\n")
    shutil.rmtree(out_dir, ignore_errors=True)
    tmp.replace(out_dir)
    total = sum(seconds.values())
    print(
        f"wrote {out_dir}: {parameters:,} parameters, model.onnx {sizes['model.onnx'] / 2**20:.1f} MiB"
        f" + {DATA_FILE} {sizes[DATA_FILE] / 2**30:.2f} GiB, in {total:.0f} s"
    )


if __name__ == "__main__":
    main()
