import type { Envoy, Graph, Model, TensorValue } from "@loupe/graph";

/** The benchmark batch: 32 rows of 12 token ids (fixed pseudo-random ids). */
export const BATCH = 32;
export const TOKENS = 12;
export const LAYERS = 12;
const VOCAB = 50257;

/** Token ids of the batch, the same on every run (a 32-bit LCG from seed 1). */
export function tokenRows(): number[][] {
  let state = 1;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % VOCAB;
  };
  return Array.from({ length: BATCH }, () =>
    Array.from({ length: TOKENS }, next),
  );
}

/** The envoy of a module by its dotted path ("transformer.h.6.mlp"). */
export function moduleAt(lm: Model, path: string): Envoy {
  return path.split(".").reduce<Envoy>((m, part) => {
    const child = m[part];
    if (!child) throw new Error(`the model has no module ${path}`);
    return child;
  }, lm);
}

/** The mlp of a layer, by the manifest's GPT-2 module paths. */
export const mlpPath = (layer: number) => `transformer.h.${layer}.mlp`;

/** A plain forward pass that saves the logits. */
export function plainGraph(lm: Model, rows: number[][]): Graph {
  return lm.trace({ tokens: rows }, () => {
    lm.output.item("logits").save("logits");
  });
}

/**
 * Activation patching on one MLP: two invokes of half the batch; the MLP's
 * output at the last position of invoke 0 replaces it in invoke 1, whose
 * logits are saved.
 */
export function patchingGraph(
  lm: Model,
  rows: number[][],
  layer: number,
): Graph {
  const mlp = moduleAt(lm, mlpPath(layer));
  const half = rows.length / 2;
  return lm.trace((tracer) => {
    let clean: TensorValue | undefined;
    tracer.invoke({ tokens: rows.slice(0, half) }, () => {
      clean = mlp.output.get(":", -1, ":");
    });
    tracer.invoke({ tokens: rows.slice(half) }, () => {
      mlp.output.set([":", -1, ":"], clean!);
      lm.output.item("logits").save("logits");
    });
  });
}

/**
 * Logit lens over every layer: lm_head(ln_f(h_i[:, -1, :])) for each block's
 * hidden state, saving the top-5 token ids per row and layer.
 */
export function logitLensGraph(lm: Model, rows: number[][]): Graph {
  const norm = moduleAt(lm, "transformer.ln_f");
  const head = moduleAt(lm, "lm_head");
  return lm.trace({ tokens: rows }, () => {
    for (let i = 0; i < LAYERS; i++) {
      const h = moduleAt(lm, `transformer.h.${i}`).output[0]!;
      head
        .call(norm.call(h.get(":", -1, ":")))
        .topk(5)
        .indices.save(`layer${i}`);
    }
  });
}
