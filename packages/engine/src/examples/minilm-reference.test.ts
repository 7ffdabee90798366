import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createModel, type Envoy, type SavedTensor } from "@loupe/graph";
import type { LoupeEngine } from "../engine.ts";
import { loadModelFiles } from "../import/load-model-files.ts";

/**
 * all-MiniLM-L6-v2 (models/minilm), the real pretrained BERT encoder Loupe
 * hosts, run by the engine on its weights as shipped (float16, widened to
 * float32 inside the graph), against what PyTorch computed on the same
 * weights (reference.json, written by models/minilm/make_reference.py).
 */
const dir = path.resolve(
  import.meta.dirname,
  "..",
  "..",
  "..",
  "..",
  "models",
  "minilm",
);
/** Max absolute difference to PyTorch, every value compared. */
const TOLERANCE = 1e-4;
/** The embeddings' output, then each encoder layer's (6: last_hidden_state). */
const LAYERS = 6;

interface Prompt {
  text: string;
  ids: number[];
  tokens: string[];
  hidden_states: { dims: number[][]; norms: number[] }[];
  last_hidden_state?: number[][];
  attentions: number[][][][];
}
const reference = JSON.parse(
  readFileSync(path.join(dir, "reference.json"), "utf8"),
) as { dims: number[]; prompts: Prompt[] };
const HIDDEN = 384;

let engine: LoupeEngine;
beforeAll(async () => {
  engine = await loadModelFiles(path.join(dir, "model.onnx"));
});
afterAll(async () => {
  await engine.close();
});

/** Row `row` of a [batch, seq, hidden] save, positions `from`..`from + n - 1`, as [n][hidden]. */
const positionsOf = (
  saved: SavedTensor,
  row: number,
  from: number,
  n: number,
): Float32Array[] => {
  const [, seq, hidden] = saved.shape as [number, number, number];
  const data = saved.data as Float32Array;
  return Array.from({ length: n }, (_, p) =>
    data.subarray(
      (row * seq + from + p) * hidden,
      (row * seq + from + p + 1) * hidden,
    ),
  );
};

/** Max abs difference of hidden states to the recorded dims and norms. */
const hiddenDiff = (
  got: Float32Array[],
  want: { dims: number[][]; norms: number[] },
): number => {
  let worst = 0;
  got.forEach((vector, p) => {
    reference.dims.forEach((d, k) => {
      worst = Math.max(worst, Math.abs(vector[d]! - want.dims[p]![k]!));
    });
    const norm = Math.sqrt(vector.reduce((s, v) => s + v * v, 0));
    worst = Math.max(worst, Math.abs(norm - want.norms[p]!));
  });
  return worst;
};

/** Saves every layer's hidden state: h0 (embeddings) .. h6 (the model's output). */
const saveHiddenStates = (lm: Envoy) => {
  lm.embeddings!.output.save("h0");
  for (let l = 0; l < LAYERS; l++)
    lm.encoder!.layer![l]!.output.save(`h${l + 1}`);
  lm.output[0]!.save("last_hidden_state");
};

describe("all-MiniLM-L6-v2 against PyTorch (models/minilm/reference.json)", () => {
  it("tokenizes every prompt as Python's tokenizers did, [CLS] and [SEP] included", () => {
    for (const p of reference.prompts) {
      expect(engine.tokenizer!.encode(p.text), p.text).toEqual(p.ids);
      expect(engine.tokenizer!.tokens(p.text), p.text).toEqual(p.tokens);
    }
  });

  it.each(reference.prompts.map((p, i) => [i, p] as const))(
    "prompt %i alone: every layer's output and last_hidden_state",
    async (i, prompt) => {
      const model = createModel<Envoy>(engine.manifest);
      const lm = model as unknown as Envoy;
      const { saves } = await engine.run(
        model.trace(prompt.text, () => saveHiddenStates(lm)),
      );
      const n = prompt.ids.length;
      for (let l = 0; l <= LAYERS; l++) {
        const saved = saves[`h${l}`]!;
        expect(saved.shape, `h${l}`).toEqual([1, n, HIDDEN]);
        expect(
          hiddenDiff(positionsOf(saved, 0, 0, n), prompt.hidden_states[l]!),
          `h${l}`,
        ).toBeLessThan(TOLERANCE);
      }
      const out = positionsOf(saves.last_hidden_state!, 0, 0, n);
      expect(hiddenDiff(out, prompt.hidden_states[LAYERS]!)).toBeLessThan(
        TOLERANCE,
      );
      if (prompt.last_hidden_state) {
        let worst = 0;
        out.forEach((vector, p) =>
          vector.forEach((v, d) => {
            worst = Math.max(
              worst,
              Math.abs(v - prompt.last_hidden_state![p]![d]!),
            );
          }),
        );
        expect(worst).toBeLessThan(TOLERANCE);
      }
    },
  );

  it.each(reference.prompts.map((p, i) => [i, p] as const))(
    "prompt %i alone: every layer's attention probabilities (attention.self's softmax_0, .source)",
    async (i, prompt) => {
      const model = createModel<Envoy>(engine.manifest);
      const lm = model as unknown as Envoy;
      const { saves } = await engine.run(
        model.trace(prompt.text, () => {
          for (let l = 0; l < LAYERS; l++)
            lm.encoder!.layer![
              l
            ]!.attention!.self!.source.softmax_0!.output.save(`a${l}`);
        }),
      );
      const n = prompt.ids.length;
      for (let l = 0; l < LAYERS; l++) {
        const saved = saves[`a${l}`]!;
        const want = prompt.attentions[l]!;
        expect(saved.shape, `a${l}`).toEqual([1, want.length, n, n]);
        const got = saved.data as Float32Array;
        let worst = 0;
        want.forEach((head, h) =>
          head.forEach((row, q) =>
            row.forEach((v, k) => {
              worst = Math.max(worst, Math.abs(got[(h * n + q) * n + k]! - v));
            }),
          ),
        );
        expect(worst, `a${l}`).toBeLessThan(TOLERANCE);
      }
    },
  );

  it("all prompts as one padded invoke: each row's own tokens give the same values", async () => {
    const model = createModel<Envoy>(engine.manifest);
    const lm = model as unknown as Envoy;
    const { saves } = await engine.run(
      model.trace((tracer) => {
        tracer.invoke(
          reference.prompts.map((p) => p.text),
          () => saveHiddenStates(lm),
        );
      }),
    );
    const width = Math.max(...reference.prompts.map((p) => p.ids.length));
    for (let l = 0; l <= LAYERS; l++) {
      const saved = saves[`h${l}`]!;
      expect(saved.shape, `h${l}`).toEqual([
        reference.prompts.length,
        width,
        HIDDEN,
      ]);
      // An invoke sees its rows right-aligned (position -1 is each row's last token).
      reference.prompts.forEach((p, row) => {
        const n = p.ids.length;
        expect(
          hiddenDiff(
            positionsOf(saved, row, width - n, n),
            p.hidden_states[l]!,
          ),
          `h${l}, row ${row}`,
        ).toBeLessThan(TOLERANCE);
      });
    }
  });
});
