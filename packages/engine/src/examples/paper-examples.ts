import { createModel, type Envoy, type Graph } from "@loupe/graph";
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

  return {
    neurons: { before: neuronsBefore, after: neuronsAfter },
    trace: { shape: hello.shape, next: lastPrediction(hello) },
    patching: { before: patchingBefore, after: patchingAfter },
    logitLens: Array.from({ length: layerCount }, (_, i) =>
      lastPrediction(lens.saves[`layer${i}`]!),
    ),
  };
}
