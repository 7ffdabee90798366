"""Writes float16-pairs.json: float32 values and the float16 NumPy rounds them to.

float16.test.ts checks `toFloat16Bits` (packages/graph/src/ir/float16.ts)
against these pairs: NumPy's float32 -> float16 cast (`astype(np.float16)`)
rounds to nearest, ties to even, with subnormals and overflow to infinity, so
it is an independent reference for the encoder. Run from this folder with any
Python that has NumPy (the pairs were written with NumPy 2.4.6):

    /work/.venvs/torch/bin/python make_float16_pairs.py

Each pair is [float32 bits, float16 bits] as unsigned integers. The output is
deterministic (seeded generator).
"""

import json
from pathlib import Path

import numpy as np

rng = np.random.default_rng(20260)


def f32(bits: int) -> np.float32:
    return np.array([bits], np.uint32).view(np.float32)[0]


def bits32(x) -> int:
    return int(np.array([x], np.float32).view(np.uint32)[0])


values: list[int] = []

# Named edges: zeros, infinities, NaNs, the largest half and overflow, the
# smallest normal and subnormal halves, values that round into the subnormal
# range or to zero, and round-to-nearest-even ties around 1.
named = [
    0.0, -0.0, np.inf, -np.inf,
    65504.0, 65519.0, 65519.99609375, 65520.0, 65536.0, -65520.0, 1e10, 3.4028234663852886e38,
    2.0**-14, 2.0**-14 - 2.0**-24, 2.0**-14 - 2.0**-25, 1023 * 2.0**-24,
    2.0**-24, -(2.0**-24), 2.0**-25, 3 * 2.0**-25, 1.5 * 2.0**-25, 2.0**-26, 1e-45,
    1.0, 1 + 2.0**-11, 1 + 3 * 2.0**-11, 1 + 2.0**-10, 1 + 2.0**-11 + 2.0**-23, 2 - 2.0**-12,
    -1.0, 0.1, 1 / 3, np.pi, 1000.5, 2049.0, 2051.0,
]
values += [bits32(v) for v in named]
values += [0x7FC00000, 0xFFC00000, 0x7F800001, 0x7FBFFFFF, 0x7FFFFFFF, 0x00000001, 0x80000001, 0x007FFFFF]

# Around random halves (both signs): the half itself, the midpoint to the next
# half, and one float32 step either side of that midpoint.
halves = rng.choice(0x7BFF, size=1000, replace=False).astype(np.uint16)
for h in halves:
    lo = float(np.array([h], np.uint16).view(np.float16)[0])
    hi = float(np.array([h + 1], np.uint16).view(np.float16)[0])
    mid = np.float32((lo + hi) / 2)  # exact: halves have 11 significant bits
    sign = 0x80000000 if rng.random() < 0.5 else 0
    m = bits32(mid)
    for b in (bits32(lo), m - 1, m, m + 1):
        values.append(b | sign)

# Random float32 bit patterns over the whole range, and log-uniform values in
# the half range (most random bit patterns overflow or flush to zero).
values += [int(b) for b in rng.integers(0, 2**32, size=500, dtype=np.uint64)]
mags = np.exp2(rng.uniform(-27, 17, size=1000)).astype(np.float32)
signs = np.where(rng.random(1000) < 0.5, -1, 1).astype(np.float32)
values += [bits32(v) for v in mags * signs]

x = np.array(values, np.uint32).view(np.float32)
with np.errstate(over="ignore"):
    h = x.astype(np.float16).view(np.uint16)
pairs = [[int(a), int(b)] for a, b in zip(values, h)]
out = {
    "generator": {
        "script": "packages/graph/src/ir/__golden__/make_float16_pairs.py",
        "numpy": np.__version__,
        "method": "np.float32 bits -> .astype(np.float16) bits",
    },
    "pairs": pairs,
}
# Laid out as Prettier formats JSON, so `prettier --check` passes unchanged.
head = json.dumps(out["generator"], indent=2).replace("\n", "\n  ")
rows = ",\n".join(f"    [{a}, {b}]" for a, b in pairs)
text = f'{{\n  "generator": {head},\n  "pairs": [\n{rows}\n  ]\n}}'
path = Path(__file__).resolve().parent / "float16-pairs.json"
path.write_text(text + "\n", encoding="utf-8")
print(f"{path.name}: {len(pairs)} pairs, {path.stat().st_size} bytes")
