import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LoupeEngine } from "../engine.ts";
import { importOnnxModel } from "../import/import-onnx-model.ts";
import { loadModelFiles, manifestPathOf } from "../import/load-model-files.ts";
import {
  runPaperExamples,
  type PaperFacts,
  type PaperResults,
} from "./paper-examples.ts";

/**
 * The paper's examples on Loupe's bundled model (models/facts), run by the
 * engine, against what PyTorch computed when the model was built (facts.json).
 */
const dir = path.resolve(
  import.meta.dirname,
  "..",
  "..",
  "..",
  "..",
  "models",
  "facts",
);
const onnxPath = path.join(dir, "model.onnx");
type Top = { top1: { id: number; token: string; prob: number } };
const facts = JSON.parse(
  readFileSync(path.join(dir, "facts.json"), "utf8"),
) as PaperFacts & {
  neurons: { before: Top; after: Top };
  activation_patching: { before: Top; after: Top };
  hello_world: { top5: { id: number; prob: number }[] };
  logit_lens: { layers: { top5: { id: number; prob: number }[] }[] };
  example_prompts: Record<string, { tokens: { id: number }[] }>;
};
const PROB_TOLERANCE = 1e-4;

let engine: LoupeEngine;
let results: PaperResults;
beforeAll(async () => {
  engine = await loadModelFiles(onnxPath);
  results = await runPaperExamples(engine, facts);
});
afterAll(async () => {
  await engine.close();
});

describe("the paper's examples on the bundled model", () => {
  it("tokenizes every recorded prompt exactly as Python's tokenizers did", () => {
    const prompts = Object.entries(facts.example_prompts);
    expect(prompts.length).toBeGreaterThanOrEqual(3);
    for (const [text, { tokens }] of prompts)
      expect(engine.tokenizer!.encode(text), text).toEqual(
        tokens.map((t) => t.id),
      );
  });

  it("Code Example 4: the Louvre is in Paris; patching in the Colosseum's subject makes it Rome", () => {
    expect(results.patching.before.token).toBe(" Paris");
    expect(results.patching.before.prob).toBeGreaterThanOrEqual(0.5);
    expect(results.patching.after.token).toBe(" Rome");
    const { before, after } = facts.activation_patching;
    expect(results.patching.before.prob).toBeCloseTo(before.top1.prob, 4);
    expect(
      Math.abs(results.patching.after.prob - after.top1.prob),
    ).toBeLessThan(PROB_TOLERANCE);
  });

  it("Code Example 1: setting the neurons found in PyTorch flips the prediction the same way", () => {
    expect(results.neurons.before.id).toBe(facts.neurons.before.top1.id);
    expect(results.neurons.after.id).toBe(facts.neurons.after.top1.id);
    expect(results.neurons.after.id).not.toBe(results.neurons.before.id);
    expect(
      Math.abs(results.neurons.after.prob - facts.neurons.after.top1.prob),
    ).toBeLessThan(PROB_TOLERANCE);
  });

  it("Code Example 3: a forward pass on Hello World gives the model's output", () => {
    expect(results.trace.shape[0]).toBe(1);
    expect(results.trace.next.id).toBe(facts.hello_world.top5[0]!.id);
    expect(
      Math.abs(results.trace.next.prob - facts.hello_world.top5[0]!.prob),
    ).toBeLessThan(PROB_TOLERANCE);
  });

  it("the logit lens agrees with PyTorch at every layer", () => {
    expect(results.logitLens.map((p) => p.id)).toEqual(
      facts.logit_lens.layers.map((l) => l.top5[0]!.id),
    );
  });
  it("attribution patching equals PyTorch's, and ranks the MLP layers as real activation patching does", () => {
    const grads = JSON.parse(
      readFileSync(
        path.join(import.meta.dirname, "..", "..", "fixtures", "grads.json"),
        "utf8",
      ),
    ) as {
      models: Record<string, { cases: { attribution: unknown } }>;
    };
    const ref = grads.models["facts-gpt2"]!.cases.attribution as {
      attribution: { shape: number[]; values: number[] };
      patching: { shape: number[]; values: number[] };
      pearson: number;
      metric_clean: number;
    };
    const a = results.attribution;
    expect([a.attribution.length, a.attribution[0]!.length]).toEqual(
      ref.attribution.shape,
    );
    const close = (got: number[], want: number[]) =>
      got.every(
        (v, i) =>
          Math.abs(v - want[i]!) <= 1e-4 * Math.max(1, Math.abs(want[i]!)),
      );
    expect(Math.abs(a.metricClean - ref.metric_clean)).toBeLessThan(1e-4);
    expect(close(a.attribution.flat(), ref.attribution.values)).toBe(true);
    expect(close(a.patching.flat(), ref.patching.values)).toBe(true);
    // The estimate tracks the real effect: PyTorch's correlation, and the layers ranked alike.
    expect(Math.abs(a.pearson - ref.pearson)).toBeLessThan(1e-3);
    expect(a.pearson).toBeGreaterThan(0.95);
    // Layers by their total effect, strongest first: the estimate finds the
    // same four strongest layers in the same order (0, 5, 3, 2); the last two
    // (1 and 4) swap, a near tie in the estimate (-0.266 against -0.259).
    const order = (m: readonly (readonly number[])[]) =>
      m
        .map((row, i) => [row.reduce((x, y) => x + y, 0), i] as const)
        .sort((p, q) => p[0] - q[0])
        .map(([, i]) => i);
    expect(order(a.attribution).slice(0, 4)).toEqual(
      order(a.patching).slice(0, 4),
    );
    expect(a.layerSpearman).toBeGreaterThan(0.9);
  });
});

it("the committed manifest is what the importer writes for the committed model", async () => {
  const committed = JSON.parse(
    readFileSync(manifestPathOf(onnxPath), "utf8"),
  ) as {
    manifest: unknown;
  };
  const { manifest } = await importOnnxModel(
    new Uint8Array(readFileSync(onnxPath)),
    "facts-gpt2",
  );
  expect(committed.manifest).toEqual(manifest);
});
