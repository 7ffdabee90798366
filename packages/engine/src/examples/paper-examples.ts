import {
  createModel,
  stack,
  type Envoy,
  type Graph,
  type TensorValue,
} from "@loupe/graph";
import type { LoupeEngine } from "../engine.ts";
import type { SavedTensor } from "@loupe/graph";

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
 * The paper's Code Examples 1, 3 and 4 (and a logit lens) written with Loupe's
 * tracing API and run on an engine, locally. The neurons, layer and token
 * positions come from the model's facts (found in PyTorch when it was built).
 */
export async function runPaperExamples(
  engine: LoupeEngine,
  facts: PaperFacts,
): Promise<PaperResults> {
  const tokenizer = engine.tokenizer;
  if (!tokenizer)
    throw new Error("the paper examples need the model's tokenizer");
  const lm = createModel<Envoy>(engine.manifest);
  const root = lm as unknown as Envoy;
  const at = (path: string) =>
    path.split(".").reduce<Envoy>((m, part) => m[part]!, root);
  const layers = root.transformer!.h!;
  const lastPrediction = (logits: SavedTensor): Prediction => {
    const [, seq, vocab] = logits.shape as [number, number, number];
    const row = (logits.data as Float32Array).subarray(
      (seq - 1) * vocab,
      seq * vocab,
    );
    let best = 0;
    let max = -Infinity;
    for (let i = 0; i < vocab; i++)
      if (row[i]! > max) [max, best] = [row[i]!, i];
    let sum = 0;
    for (let i = 0; i < vocab; i++) sum += Math.exp(row[i]! - max);
    return { id: best, token: tokenizer.decode([best]), prob: 1 / sum };
  };
  const logitsOf = async (graph: Graph, name = "logits") =>
    (await engine.run(graph)).saves[name]!;

  // Code Example 1: mlp.input[0][0][:, :, neurons] = value
  const n = facts.neurons;
  const plain = (prompt: string) =>
    lm.trace(prompt, () => {
      lm.output.item("logits").save("logits");
    });
  const neuronsBefore = lastPrediction(await logitsOf(plain(n.prompt)));
  const neuronsAfter = lastPrediction(
    await logitsOf(
      lm.trace(n.prompt, () => {
        at(n.module).input.set([":", ":", [...n.neurons]], n.value);
        lm.output.item("logits").save("logits");
      }),
    ),
  );

  // Code Example 3: with model.trace("Hello World"): output = model.output.save()
  const hello = await logitsOf(plain("Hello World"));

  // Code Example 4: patch the subject's hidden state from the edit prompt into the base prompt.
  const p = facts.activation_patching;
  const patchingBefore = lastPrediction(await logitsOf(plain(p.base_prompt)));
  const patched = lm.trace((tracer) => {
    let hidden: ReturnType<Envoy["output"]["get"]> | undefined;
    tracer.invoke(p.edit_prompt, () => {
      hidden = layers[p.layer]!.output[0]!.get(":", p.edit_position, ":");
    });
    tracer.invoke(p.base_prompt, () => {
      layers[p.layer]!.output[0]!.set([":", p.base_position, ":"], hidden!);
      lm.output.item("logits").save("logits");
    });
  });
  const patchingAfter = lastPrediction(await logitsOf(patched));

  // Logit lens: lm_head(ln_f(h_L[:, -1])) for every layer, in one pass.
  const layerCount = engine.manifest.modules.filter((m) =>
    /^transformer\.h\.\d+$/.test(m.path),
  ).length;
  const lens = await engine.run(
    lm.trace(facts.logit_lens.prompt, () => {
      for (let i = 0; i < layerCount; i++) {
        const h = layers[i]!.output[0]!.get(":", [-1], ":");
        root.lm_head!.call(root.transformer!.ln_f!.call(h)).save(`layer${i}`);
      }
    }),
  );

  const attribution = await attributionPatching(engine, lm, layerCount);

  return {
    attribution,
    neurons: { before: neuronsBefore, after: neuronsAfter },
    trace: { shape: hello.shape, next: lastPrediction(hello) },
    patching: { before: patchingBefore, after: patchingAfter },
    logitLens: Array.from({ length: layerCount }, (_, i) =>
      lastPrediction(lens.saves[`layer${i}`]!),
    ),
  };
}

/**
 * Attribution patching (Syed et al.; the paper's Table 1 task): the effect of
 * patching each MLP output from a corrupted prompt into the clean one,
 * estimated to first order from ONE forward and backward pass as
 * (corrupted - clean) · gradient, summed over the hidden dimension; and the
 * real effect of each of those patches, every patch an invoke of one trace.
 */
export async function attributionPatching(
  engine: LoupeEngine,
  lm: ReturnType<typeof createModel<Envoy>>,
  layerCount: number,
): Promise<AttributionResult> {
  const tokenizer = engine.tokenizer!;
  const { clean, corrupted, answers } = ATTRIBUTION_PROMPTS;
  const [a] = tokenizer.encode(answers[0]);
  const [b] = tokenizer.encode(answers[1]);
  const positions = tokenizer.encode(clean).length;
  if (tokenizer.encode(corrupted).length !== positions)
    throw new Error("attribution patching needs prompts of equal length");
  const root = lm as unknown as Envoy;
  const mlp = (i: number) => root.transformer!.h![i]!.mlp!;
  const metric = (row: number): TensorValue => {
    const logits = lm.output.item("logits");
    return logits.get(row, -1, a!).sub(logits.get(row, -1, b!));
  };

  const estimated = await engine.run(
    lm.trace((tracer) => {
      const cleanOut: TensorValue[] = [];
      const grads: TensorValue[] = [];
      tracer.invoke(clean, () => {
        for (let i = 0; i < layerCount; i++) {
          const out = mlp(i).output;
          cleanOut.push(out);
          grads.push(out.grad);
        }
        const m = metric(0);
        m.save("clean");
        m.backward();
      });
      tracer.invoke(corrupted, () => {
        const rows = cleanOut.map((c, i) =>
          mlp(i).output.sub(c).mul(grads[i]!).sum(-1),
        );
        stack(rows).reshape(layerCount, positions).save("attribution");
        metric(0).save("corrupted");
      });
    }),
  );

  const patched = await engine.run(
    lm.trace((tracer) => {
      const from: TensorValue[] = [];
      tracer.invoke(corrupted, () => {
        for (let i = 0; i < layerCount; i++) from.push(mlp(i).output);
      });
      tracer.invoke(clean, () => metric(0).save("clean"));
      const cells: TensorValue[] = [];
      for (let i = 0; i < layerCount; i++)
        for (let p = 0; p < positions; p++)
          tracer.invoke(clean, () => {
            mlp(i).output.set([":", p, ":"], from[i]!.get(":", p, ":"));
            cells.push(metric(0));
          });
      tracer.invoke(clean, () => {
        stack(cells).reshape(layerCount, positions).save("patched");
      });
    }),
  );

  const matrix = (t: { data: unknown }, offset = 0) =>
    Array.from({ length: layerCount }, (_, i) =>
      Array.from(
        (t.data as Float32Array).subarray(i * positions, (i + 1) * positions),
        (v) => v - offset,
      ),
    );
  const scalar = (t: { data: unknown }) => (t.data as Float32Array)[0]!;
  const metricClean = scalar(estimated.saves.clean!);
  const attribution = matrix(estimated.saves.attribution!);
  const patching = matrix(patched.saves.patched!, scalar(patched.saves.clean!));
  const total = (m: number[][]) =>
    m.map((row) => row.reduce((s, v) => s + v, 0));
  return {
    metricClean,
    metricCorrupted: scalar(estimated.saves.corrupted!),
    attribution,
    patching,
    pearson: pearson(attribution.flat(), patching.flat()),
    layerSpearman: pearson(ranks(total(attribution)), ranks(total(patching))),
    patches: layerCount * positions,
  };
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
