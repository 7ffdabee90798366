import {
  ATTRIBUTION_SAVE,
  buildActivationPatchingGraph,
  buildAttributionPatchingGraph,
  buildForwardGraph,
  buildLogitLensGraph,
  buildNeuronsGraph,
  buildPatchingSweepGraph,
  createModel,
  type Envoy,
  type Graph,
  type Model,
  type SavedTensor,
  type TextTokenizer,
} from "@loupe/graph";
import type { LoupeEngine } from "../engine.ts";

/** What the bundled model's facts.json records for the examples (see models/facts). */
export interface PaperFacts {
  readonly neurons: {
    readonly prompt: string;
    readonly module: string;
    readonly neurons: readonly number[];
    readonly value: number;
  };
  readonly activation_patching: {
    readonly edit_prompt: string;
    readonly base_prompt: string;
    readonly layer: number;
    readonly edit_position: number;
    readonly base_position: number;
  };
  readonly logit_lens: { readonly prompt: string };
}

/** A prediction: the top token at the last position and its probability. */
export interface Prediction {
  readonly id: number;
  readonly token: string;
  readonly prob: number;
}

export interface PaperResults {
  /** Code Example 1: set MLP neurons, read the logits. */
  readonly neurons: { before: Prediction; after: Prediction };
  /** Code Example 3: a forward pass on "Hello World", the model's output saved. */
  readonly trace: { shape: readonly number[]; next: Prediction };
  /** Code Example 4: activation patching across two invokes. */
  readonly patching: { before: Prediction; after: Prediction };
  /** Logit lens: each layer's top token at the last position. */
  readonly logitLens: readonly Prediction[];
  /** Attribution patching of every MLP layer, against real activation patching. */
  readonly attribution: AttributionResult;
}

/** The clean and corrupted prompts of attribution patching (same token count). */
export const ATTRIBUTION_PROMPTS = {
  clean: "The Colosseum is located in the city of",
  corrupted: "The Louvre is located in the city of",
  answers: [" Rome", " Paris"],
} as const;

export interface AttributionResult {
  /** logit(Rome) - logit(Paris) on the clean and corrupted prompts. */
  readonly metricClean: number;
  readonly metricCorrupted: number;
  /** [layer][position]: (corrupted - clean MLP output) · d metric / d MLP output. */
  readonly attribution: readonly (readonly number[])[];
  /** [layer][position]: metric with that MLP output patched in from the corrupted run, minus the clean metric. */
  readonly patching: readonly (readonly number[])[];
  /** Pearson correlation of the two over every layer and position. */
  readonly pearson: number;
  /** Spearman correlation of the layers' totals (how the two rank the layers). */
  readonly layerSpearman: number;
  /** Forward passes: 1 (and its backward pass) for attribution, 1 with a row per patch for patching. */
  readonly patches: number;
}

/**
 * The paper's Code Examples 1, 3 and 4, a logit lens and attribution
 * patching, built by @loupe/graph's example builders (the graphs of examples/
 * and the gallery) and run on an engine, locally. The neurons, layer and
 * token positions come from the model's facts (found in PyTorch when it was
 * built).
 */
export async function runPaperExamples(
  engine: LoupeEngine,
  facts: PaperFacts,
): Promise<PaperResults> {
  const tokenizer = engine.tokenizer;
  if (!tokenizer)
    throw new Error("the paper examples need the model's tokenizer");
  const lm = createModel<Envoy>(engine.manifest);
  const layers = blocksOf(lm);
  const predict = async (graph: Graph) =>
    lastPrediction((await engine.run(graph)).saves.logits!, tokenizer);

  const n = facts.neurons;
  const neurons = {
    before: await predict(buildForwardGraph(lm, { prompt: n.prompt })),
    after: await predict(
      buildNeuronsGraph(lm, { ...n, module: moduleAt(lm, n.module) }),
    ),
  };
  const hello = (
    await engine.run(buildForwardGraph(lm, { prompt: "Hello World" }))
  ).saves.logits!;
  const p = facts.activation_patching;
  const patching = {
    before: await predict(buildForwardGraph(lm, { prompt: p.base_prompt })),
    after: await predict(
      buildActivationPatchingGraph(lm, {
        layer: layers[p.layer]!,
        from: { prompt: p.edit_prompt, position: p.edit_position },
        into: { prompt: p.base_prompt, position: p.base_position },
      }),
    ),
  };
  const lens = await engine.run(
    buildLogitLensGraph(lm, {
      prompt: facts.logit_lens.prompt,
      layers,
      norm: lm.transformer!.ln_f!,
      head: lm.lm_head!,
    }),
  );
  return {
    attribution: await attributionPatching(engine, lm),
    neurons,
    trace: { shape: hello.shape, next: lastPrediction(hello, tokenizer) },
    patching,
    logitLens: layers.map((_, i) =>
      lastPrediction(lens.saves[`layer${i}`]!, tokenizer),
    ),
  };
}

/**
 * Attribution patching (Syed et al.; the paper's Table 1 task) of every MLP
 * layer: the first-order estimate from one forward and backward pass, and
 * the real effect of each of those patches (corrupted into clean), every
 * patch an invoke of one trace.
 */
export async function attributionPatching(
  engine: LoupeEngine,
  lm: Model<Envoy>,
): Promise<AttributionResult> {
  const tokenizer = engine.tokenizer!;
  const { clean, corrupted, answers } = ATTRIBUTION_PROMPTS;
  const layers = blocksOf(lm);
  const site = (layer: Envoy) => layer.mlp!.output;
  const estimated = await engine.run(
    buildAttributionPatchingGraph(lm, {
      tokenizer,
      clean,
      corrupted,
      answers,
      layers,
      site,
    }),
  );
  const patched = await engine.run(
    buildPatchingSweepGraph(lm, {
      tokenizer,
      from: { prompt: corrupted, save: "corrupted" },
      into: { prompt: clean, save: "clean" },
      answers,
      layers,
      site,
      save: "patched",
    }),
  );
  const scalar = (t: SavedTensor) => (t.data as Float32Array)[0]!;
  const attribution = matrix(estimated.saves[ATTRIBUTION_SAVE]!);
  const patching = matrix(patched.saves.patched!, scalar(patched.saves.clean!));
  const total = (m: number[][]) =>
    m.map((row) => row.reduce((s, v) => s + v, 0));
  return {
    metricClean: scalar(estimated.saves.metric!),
    metricCorrupted: scalar(patched.saves.corrupted!),
    attribution,
    patching,
    pearson: pearson(attribution.flat(), patching.flat()),
    layerSpearman: pearson(ranks(total(attribution)), ranks(total(patching))),
    patches: attribution.length * attribution[0]!.length,
  };
}

/** The model's blocks (transformer.h.0, .1, …), in order. */
function blocksOf(lm: Model<Envoy>): Envoy[] {
  const count = lm.manifest.modules.filter((m) =>
    /^transformer\.h\.\d+$/.test(m.path),
  ).length;
  return Array.from({ length: count }, (_, i) => lm.transformer!.h![i]!);
}

/** The module at a dotted path (facts.json names Code Example 1's that way). */
function moduleAt(lm: Model<Envoy>, path: string): Envoy {
  return path
    .split(".")
    .reduce<Envoy>((m, part) => m[part]!, lm as unknown as Envoy);
}

/** The top token at the last position of the first row, and its probability. */
function lastPrediction(
  logits: SavedTensor,
  tokenizer: TextTokenizer,
): Prediction {
  const [, seq, vocab] = logits.shape as [number, number, number];
  const row = (logits.data as Float32Array).subarray(
    (seq - 1) * vocab,
    seq * vocab,
  );
  let best = 0;
  let max = -Infinity;
  for (let i = 0; i < vocab; i++) if (row[i]! > max) [max, best] = [row[i]!, i];
  let sum = 0;
  for (let i = 0; i < vocab; i++) sum += Math.exp(row[i]! - max);
  return { id: best, token: tokenizer.decode([best]), prob: 1 / sum };
}

/** A saved [layers, positions] tensor as rows, each value less `offset`. */
function matrix(t: SavedTensor, offset = 0): number[][] {
  const [layers, positions] = t.shape as [number, number];
  return Array.from({ length: layers }, (_, i) =>
    Array.from(
      (t.data as Float32Array).subarray(i * positions, (i + 1) * positions),
      (v) => v - offset,
    ),
  );
}

function pearson(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = y.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/** Ranks (0 = smallest); ties are not expected in measured values. */
function ranks(values: readonly number[]): number[] {
  const order = values
    .map((v, i) => [v, i] as const)
    .sort((p, q) => p[0] - q[0]);
  const r = new Array<number>(values.length);
  order.forEach(([, i], k) => (r[i] = k));
  return r;
}
