import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createModel, type Envoy, type Manifest } from "@loupe/graph";
import { LoupeEngine } from "../engine.ts";
import { importOnnxModel } from "../import/import-onnx-model.ts";
import { maxAbsDiff, maxRelDiff } from "../testing/fixture-engines.ts";
import {
  MATRIX_DIR,
  readMatrixReferences,
  type SavedTensor,
} from "./matrix-reference.ts";

/**
 * `.source` against PyTorch's eager attention (issue 20): layer 0's attention
 * probabilities, read inside the attention module as `source.softmax_0`,
 * equal PyTorch's `attn_weights` (output_attentions=True) within 1e-5, and
 * zeroing one head's pattern there equals a PyTorch hook that zeroes head h
 * in the eager `attn_weights`, within 1e-4 (relative where |logit| > 1). On
 * the matrix's GPT-2, Llama and BERT, through both exporters.
 */
const PROBS_TOLERANCE = 1e-5;
const LOGITS_TOLERANCE = 1e-4;

interface SourceReference {
  readonly prompt: "A" | "B";
  readonly layer: number;
  readonly module: string;
  readonly attention_probs: SavedTensor;
  readonly zero_head: { readonly head: number; readonly logits: SavedTensor };
}

const CASES = readMatrixReferences()
  .filter((r) => (r as unknown as { source?: unknown }).source)
  .flatMap((ref) =>
    (["torchscript", "dynamo"] as const)
      .filter((e) => ref.exports[e].ok)
      .map((exporter) => ({
        name: ref.name,
        exporter,
        ref,
        source: (ref as unknown as { source: SourceReference }).source,
      })),
  );

it("covers at least two architectures", () => {
  expect(new Set(CASES.map((c) => c.name)).size).toBeGreaterThanOrEqual(2);
});

describe.each(CASES)("$name, $exporter export", ({ ref, exporter, source }) => {
  let engine: LoupeEngine;
  let manifest: Manifest;
  beforeAll(async () => {
    const bytes = new Uint8Array(
      readFileSync(
        path.join(MATRIX_DIR, ref.name, ref.exports[exporter].file!),
      ),
    );
    ({ manifest } = await importOnnxModel(bytes, `${ref.name}-${exporter}`));
    engine = await LoupeEngine.load(bytes, manifest);
  });
  afterAll(async () => {
    await engine?.close();
  });

  const trace = (body: (attn: Envoy) => void) => {
    const lm = createModel(manifest);
    return lm.trace({ tokens: [ref.prompts[source.prompt]] }, () => {
      body(
        source.module
          .split(".")
          .reduce<Envoy>((m, part) => m[part]!, lm as unknown as Envoy),
      );
      lm.output.item("logits").save("logits");
    });
  };

  it("the module's softmax is its only one, named softmax_0", () => {
    const call = manifest.modules.find((m) => m.path === source.module)!
      .calls[0]!;
    expect(
      call.source!.filter((s) => s.op === "Softmax").map((s) => s.name),
    ).toEqual(["softmax_0"]);
  });

  it("reads the attention probabilities as PyTorch's eager attn_weights", async () => {
    const { saves } = await engine.run(
      trace((attn) => attn.source.softmax_0!.output.save("probs")),
    );
    const want = source.attention_probs;
    expect(saves.probs!.shape).toEqual(want.shape);
    expect(
      maxAbsDiff(saves.probs!.data as Float32Array, want.values),
    ).toBeLessThanOrEqual(PROBS_TOLERANCE);
  });

  it("zeroing one head's pattern equals PyTorch's hook zeroing it", async () => {
    const h = source.zero_head.head;
    const { saves } = await engine.run(
      trace((attn) => {
        const p = attn.source.softmax_0!.output;
        p.set([":", h], 0);
      }),
    );
    const want = source.zero_head.logits;
    expect(saves.logits!.shape).toEqual(want.shape);
    expect(
      maxRelDiff(saves.logits!.data as Float32Array, want.values),
    ).toBeLessThanOrEqual(LOGITS_TOLERANCE);
    // And it changed them: the plain logits are not the zeroed ones.
    expect(
      maxAbsDiff(ref.cases.plain[source.prompt].logits.values, want.values),
    ).toBeGreaterThan(1e-3);
  });
});
