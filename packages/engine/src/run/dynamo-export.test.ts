import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createModel, type Envoy } from "@loupe/graph";
import { LoupeEngine } from "../engine.ts";
import { importOnnxModel } from "../import/import-onnx-model.ts";
import { FIXTURES, maxAbsDiff } from "../testing/fixture-engines.ts";

/** The same GPT-2 fixture, exported by the dynamo exporter (fixtures/dynamo), run by the engine. */
const dir = path.join(FIXTURES, "dynamo");
const reference = JSON.parse(
  readFileSync(path.join(dir, "reference.json"), "utf8"),
) as {
  prompt: { input_ids: number[] };
  logits: { values: number[] };
  hooks: Record<"mlp" | "block", { values: number[] }>;
};
let engine: LoupeEngine;
let lm: ReturnType<typeof createModel<Envoy>>;

beforeAll(async () => {
  const bytes = new Uint8Array(
    readFileSync(path.join(dir, "gpt2-tiny-dynamo.onnx")),
  );
  const { manifest } = await importOnnxModel(bytes, "gpt2-tiny-dynamo");
  engine = await LoupeEngine.load(bytes, manifest);
  lm = createModel<Envoy>(manifest);
});
afterAll(async () => {
  await engine.close();
});

it("runs a dynamo export with hooks, equal to PyTorch within 1e-4", async () => {
  const { saves } = await engine.run(
    lm.trace({ tokens: reference.prompt.input_ids }, () => {
      lm.transformer!.h![0]!.mlp!.output.save("mlp");
      lm.transformer!.h![1]!.output[0]!.save("block");
      lm.output.item("logits").save("logits");
    }),
  );
  expect(
    maxAbsDiff(saves.logits!.data as Float32Array, reference.logits.values),
  ).toBeLessThan(1e-4);
  expect(
    maxAbsDiff(saves.mlp!.data as Float32Array, reference.hooks.mlp.values),
  ).toBeLessThan(1e-4);
  expect(
    maxAbsDiff(saves.block!.data as Float32Array, reference.hooks.block.values),
  ).toBeLessThan(1e-4);
});
