#!/usr/bin/env python3
"""Export a GPT-2-small-architecture model to ONNX for the engine benchmark.

Usage: PYTHONPATH=<export overlay> <peers venv python> export_gpt2_small.py OUT.onnx

GPT2LMHeadModel with GPT-2 small's config (12 layers, n_embd 768, 12 heads,
vocab 50257, n_positions 1024), random init after torch.manual_seed(0): no hub
is reachable, and speed does not depend on the weights' values. Exported exactly
like the engine's fixtures (packages/engine/fixtures/build_fixtures.py,
`export_onnx`: TorchScript exporter, opset 14, inputs input_ids, attention_mask,
position_ids, no ORT optimization), by importing that function, so the export
conventions the engine's importer relies on have one definition.

Run it with the peers' virtualenv (bench/peers/setup.sh: PyPI's torch) and the
export overlay first on PYTHONPATH (bench/models/setup-export.sh: the fixtures'
transformers 4.46.3; TorchScript export breaks on transformers 5); `npm run
bench` does. The peers build the same model with transformers 5 from the same
seed: the benchmark checks that their outputs equal Loupe's on this export.
The file (~650 MB) is written to OUT.onnx.tmp, then renamed, so an interrupted
run leaves no partial model behind.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "packages" / "engine" / "fixtures"
SEED = 0


def make_gpt2_small():
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    config = GPT2Config(
        vocab_size=50257,
        n_positions=1024,
        n_embd=768,
        n_layer=12,
        n_head=12,
        n_inner=None,  # 4 * n_embd = 3072
        activation_function="gelu_new",
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
        use_cache=False,
        bos_token_id=50256,
        eos_token_id=50256,
        tie_word_embeddings=True,
        attn_implementation="eager",
    )
    torch.manual_seed(SEED)
    return GPT2LMHeadModel(config).eval()


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: export_gpt2_small.py OUT.onnx")
    out = Path(sys.argv[1]).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)

    import torch

    sys.path.insert(0, str(FIXTURES))
    from build_fixtures import export_onnx

    torch.set_num_threads(min(2, os.cpu_count() or 1))
    started = time.time()
    model = make_gpt2_small()
    example_ids = torch.arange(12, dtype=torch.int64).unsqueeze(0).repeat(2, 1)
    tmp = out.with_name(out.name + ".tmp")
    export_onnx(model, tmp, example_ids)
    tmp.replace(out)
    size = out.stat().st_size / 2**20
    print(f"wrote {out} ({size:.0f} MiB) in {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
