import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  concat,
  constant,
  createModel,
  fromFloat16Array,
  loadTokenizer,
  stack,
  type Envoy,
  type Model,
  type SavedTensor,
  type TensorValue,
} from "@loupe/graph";
import { LoupeEngine } from "../engine.ts";
import { importOnnxModel } from "../import/import-onnx-model.ts";
import {
  FIXTURES,
  loadFixture,
  type LoadedFixture,
} from "../testing/fixture-engines.ts";

/**
 * Every tensor operation of the graph language, lowered onto a float16 hook
 * (gpt2-tiny-fp16's first block output) and run by ONNX Runtime, against the
 * same graph on gpt2-tiny in float32 (whose interventions parity.test.ts
 * checks against PyTorch). The two models differ by float16's rounding of
 * weights and compute: max|a - b| <= 1e-2 * max|float32 result|. Integer
 * results (argmax, comparisons) must be equal.
 */
const RELATIVE_TOLERANCE = 1e-2;
const PROMPT = "The Colosseum is located in the city of";
const v = Array.from({ length: 64 }, (_, j) => Math.fround(Math.cos(j)));

const OPS: Record<string, (h: TensorValue) => TensorValue> = {
  "add a float32 tensor": (h) => h.add(constant(v, "float32")),
  "add a number": (h) => h.add(0.5),
  "sub, mul, div": (h) => h.sub(1).mul(2).div(3),
  pow: (h) => h.pow(2),
  "maximum, minimum": (h) => h.maximum(-0.5).minimum(0.5),
  matmul: (h) => h.matmul(h.transpose(1, 2)),
  "gt and where": (h) => h.gt(0).where(h, constant(v, "float32")),
  "eq (bool)": (h) => h.eq(h.max(-1, true)),
  "neg, abs": (h) => h.neg().abs(),
  "exp, log": (h) => h.exp().add(1).log(),
  sqrt: (h) => h.abs().sqrt(),
  "tanh, relu, sigmoid": (h) => h.tanh().relu().sigmoid(),
  gelu: (h) => h.gelu(),
  "sum, mean": (h) => h.sum(-1).add(h.mean([1, 2], true).reshape(1, 1)),
  "max, min": (h) => h.max(-1).sub(h.min(-1)),
  "argmax (int64)": (h) => h.argmax(-1),
  softmax: (h) => h.softmax(-1),
  logSoftmax: (h) => h.logSoftmax(1),
  "topk values": (h) => h.topk(5).values,
  "topk indices (int64)": (h) => h.get(0, -1, ":").topk(3).indices,
  norm: (h) => h.norm(2, -1),
  "reshape, permute": (h) => h.reshape(1, 8, 4, 16).permute(0, 2, 1, 3),
  "cast to float32": (h) => h.cast("float32"),
  "concat, stack": (h) =>
    stack([concat([h, h.neg()], -1), concat([h.abs(), h], -1)], 0),
  "indexing with a list": (h) => h.get(":", [1, 5, 6], "::2"),
  // Writes of float32 values into the float16 hook (cast on the way in).
  "set a float32 row": (h) => h.set([":", 2, ":"], constant([v], "float32")),
  "set everything to a float32 tensor": (h) => h.set(constant(v, "float32")),
};

/** Values of a saved tensor as numbers, float16 widened. */
function numbers(t: SavedTensor): number[] {
  if (t.dtype === "float16") return [...fromFloat16Array(t.data)];
  if (t.dtype === "int64") return Array.from(t.data, Number);
  return Array.from(t.data, Number);
}

describe("tensor operations on a float16 hook", () => {
  let half: { engine: LoupeEngine; lm: Model<Envoy & Record<string, Envoy>> };
  let full: LoadedFixture;

  beforeAll(async () => {
    const bytes = new Uint8Array(
      readFileSync(path.join(FIXTURES, "gpt2-tiny-fp16.onnx")),
    );
    const { manifest } = await importOnnxModel(bytes, "gpt2-tiny-fp16");
    const tokenizer = loadTokenizer(
      JSON.parse(readFileSync(path.join(FIXTURES, "tokenizer.json"), "utf8")),
    );
    half = {
      engine: await LoupeEngine.load(bytes, manifest, tokenizer),
      lm: createModel<Envoy & Record<string, Envoy>>(manifest),
    };
    full = await loadFixture("gpt2-tiny");
  });
  afterAll(async () => {
    await half?.engine.close();
    await full?.engine.close();
  });

  it.each(Object.keys(OPS))("%s", async (name) => {
    const run = async (m: typeof half) => {
      const graph = m.lm.trace(PROMPT, () => {
        const block = m.lm.transformer!.h![0]!;
        OPS[name]!(block.output[0]!).save("out");
      });
      const { saves } = await m.engine.run(graph);
      return saves.out!;
    };
    const got = await run(half);
    const want = await run(full);
    expect(got.shape).toEqual(want.shape);
    const a = numbers(got);
    const b = numbers(want);
    if (want.dtype === "int64" || want.dtype === "bool") {
      expect(got.dtype).toBe(want.dtype);
      expect(a).toEqual(b);
      return;
    }
    let diff = 0;
    let scale = 0;
    b.forEach((x, i) => {
      diff = Math.max(diff, Math.abs(a[i]! - x));
      scale = Math.max(scale, Math.abs(x));
    });
    expect(Number.isNaN(diff), "NaN in the float16 result").toBe(false);
    expect(diff / scale).toBeLessThanOrEqual(RELATIVE_TOLERANCE);
  });
});
