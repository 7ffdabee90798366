"""Shared helpers of the build scripts (tokenizer, model config, batching, evaluation)."""

from __future__ import annotations

import hashlib
import json
import os
import platform
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
CKPT = HERE / "checkpoints"
EOS = "<|endoftext|>"
PAD_ID = 0
SEED = 0
THREADS = 1  # measured: 2 intra-op threads are 6-10x SLOWER on this 2-core VM (see MODEL_CARD.md)

# Architecture of the bundled model (GPT2LMHeadModel).
MODEL_CONFIG = dict(
    n_positions=64,
    n_embd=128,
    n_layer=6,
    n_head=4,
    n_inner=None,  # 4 * n_embd = 512
    activation_function="gelu_new",
    resid_pdrop=0.0,
    embd_pdrop=0.0,
    attn_pdrop=0.0,
    use_cache=False,
    tie_word_embeddings=True,
)


def setup_torch() -> None:
    torch.set_num_threads(THREADS)
    torch.manual_seed(SEED)
    np.random.seed(SEED)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def versions() -> dict:
    import onnx
    import onnxruntime
    import tokenizers
    import transformers

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "tokenizers": tokenizers.__version__,
        "onnx": onnx.__version__,
        "onnxruntime": onnxruntime.__version__,
        "numpy": np.__version__,
        "torch_threads": torch.get_num_threads(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
    }


def load_tokenizer():
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(HERE / "tokenizer.json"))


def make_model(vocab_size: int, dropout: float = 0.0):
    from transformers import GPT2Config, GPT2LMHeadModel

    cfg = dict(MODEL_CONFIG)
    cfg.update(resid_pdrop=dropout, embd_pdrop=dropout, attn_pdrop=dropout)
    config = GPT2Config(vocab_size=vocab_size, bos_token_id=PAD_ID, eos_token_id=PAD_ID,
                        pad_token_id=PAD_ID, attn_implementation="eager", **cfg)
    return GPT2LMHeadModel(config)


def left_pad(seqs: list[list[int]]):
    """Left-padded batch as Loupe builds it: pad id 0, mask 0 on pads,
    position_ids = cumsum(mask) - 1 with pads set to 1."""
    n = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), n), PAD_ID, dtype=torch.int64)
    mask = torch.zeros((len(seqs), n), dtype=torch.int64)
    for i, s in enumerate(seqs):
        ids[i, n - len(s):] = torch.tensor(s)
        mask[i, n - len(s):] = 1
    pos = mask.cumsum(-1) - 1
    pos = pos.masked_fill(mask == 0, 1)
    return ids, mask, pos


def ort_feed(sess, input_ids, attention_mask, position_ids, past=None) -> dict:
    """onnxruntime feed for model.onnx (the export with a key/value cache): the three
    int64 inputs (numpy or torch) and, per layer, past_key_values.{i}.key / .value. Without
    `past` (a list of arrays in the graph's input order, e.g. the previous call's
    present.* outputs) the past is empty, [batch, heads, 0, head_dim]: the plain forward
    pass, attention_mask and position_ids exactly as without a cache."""
    as_np = lambda x: x.numpy() if isinstance(x, torch.Tensor) else x  # noqa: E731
    feed = {"input_ids": as_np(input_ids), "attention_mask": as_np(attention_mask),
            "position_ids": as_np(position_ids)}
    pasts = [i for i in sess.get_inputs() if i.name.startswith("past_key_values.")]
    if past is None:
        batch = feed["input_ids"].shape[0]
        past = [np.zeros((batch, i.shape[1], 0, i.shape[3]), dtype=np.float32) for i in pasts]
    assert len(past) == len(pasts), (len(past), len(pasts))
    feed.update((i.name, as_np(a)) for i, a in zip(pasts, past))
    return feed


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(l) for l in path.read_text(encoding="utf-8").splitlines() if l.strip()]


@torch.no_grad()
def evaluate(model, tok, rows: list[dict], batch_size: int = 256) -> dict:
    """Top-1 accuracy of the answer's first token (" " + answer) after the prompt."""
    model.eval()
    correct = 0
    per_rel: dict[str, list[int]] = {}
    wrong = []
    for i in range(0, len(rows), batch_size):
        chunk = rows[i:i + batch_size]
        ids, mask, pos = left_pad([tok.encode(r["prompt"]).ids for r in chunk])
        logits = model(input_ids=ids, attention_mask=mask, position_ids=pos).logits[:, -1]
        pred = logits.argmax(-1).tolist()
        for r, p in zip(chunk, pred):
            target = tok.encode(" " + r["answer"]).ids[0]
            ok = int(p == target)
            correct += ok
            per_rel.setdefault(r["relation"], [0, 0])
            per_rel[r["relation"]][0] += ok
            per_rel[r["relation"]][1] += 1
            if not ok:
                wrong.append({"prompt": r["prompt"], "answer": r["answer"], "got": tok.decode([p])})
    return {
        "accuracy": correct / len(rows),
        "correct": correct,
        "total": len(rows),
        "per_relation": {k: round(v[0] / v[1], 4) for k, v in per_rel.items()},
        "wrong": wrong,
    }
