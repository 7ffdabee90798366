import { readFileSync } from "node:fs";
import path from "node:path";
import {
  createModel,
  type Envoy,
  type Manifest,
  type Model,
} from "@loupe/graph";
import { LoupeEngine, type EngineOptions } from "../engine.ts";
import { importOnnxModel } from "../import/import-onnx-model.ts";
import { loadTokenizer } from "@loupe/graph";

/** The engine's test fixtures folder. */
export const FIXTURES = path.resolve(
  import.meta.dirname,
  "..",
  "..",
  "fixtures",
);

/** The fixture models: random-init GPT-2 and Llama exports (see fixtures/README.md). */
export const FIXTURE_MODELS = ["gpt2-tiny", "llama-tiny"] as const;
/** Those, and gpt2-tiny as first exported, without a position_ids input (no batch axis on its position embeddings). */
export type FixtureModel = (typeof FIXTURE_MODELS)[number] | "gpt2-tiny-nopos";

/** A fixture model loaded into an engine, with its manifest and a tracing model. */
export interface LoadedFixture {
  readonly engine: LoupeEngine;
  readonly manifest: Manifest;
  readonly lm: Model<Envoy & Record<string, Envoy>>;
}

/** Imports a fixture ONNX file, loads it with the fixtures' tokenizer. */
export async function loadFixture(
  name: FixtureModel,
  options: EngineOptions = {},
): Promise<LoadedFixture> {
  const bytes = new Uint8Array(
    readFileSync(path.join(FIXTURES, `${name}.onnx`)),
  );
  const { manifest } = await importOnnxModel(bytes, name);
  const tokenizer = loadTokenizer(
    JSON.parse(readFileSync(path.join(FIXTURES, "tokenizer.json"), "utf8")),
  );
  const engine = await LoupeEngine.load(bytes, manifest, tokenizer, options);
  return {
    engine,
    manifest,
    lm: createModel<Envoy & Record<string, Envoy>>(manifest),
  };
}

/** The largest absolute difference between two arrays of the same length. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length)
    throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++)
    max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/**
 * The largest difference between values and a reference, relative to the
 * reference's magnitude where it is above 1 (the tolerance rule of the
 * PyTorch references: 1e-4 * max(1, |reference|)).
 */
export function maxRelDiff(
  got: ArrayLike<number>,
  want: readonly number[],
): number {
  if (got.length !== want.length)
    throw new Error(`lengths differ: ${got.length} vs ${want.length}`);
  let max = 0;
  for (let i = 0; i < want.length; i++)
    max = Math.max(
      max,
      Math.abs(got[i]! - want[i]!) / Math.max(1, Math.abs(want[i]!)),
    );
  return max;
}
