import {
  constant,
  stack,
  type Envoy,
  type Graph,
  type Model,
  type TensorValue,
  type Tracer,
} from "@loupe/graph";

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

/**
 * Activation patching at the last position, inside a trace: two invokes of
 * half the batch each; `module`'s output at the last position of invoke 0
 * replaces it in invoke 1, which then saves what `read` saves. For any
 * model: the caller names the module and what the task reads.
 */
export function patchLastPosition(
  tracer: Tracer,
  module: Envoy,
  rows: number[][],
  read: () => void,
): void {
  const half = rows.length / 2;
  let clean: TensorValue | undefined;
  tracer.invoke({ tokens: rows.slice(0, half) }, () => {
    clean = module.output.get(":", -1, ":");
  });
  tracer.invoke({ tokens: rows.slice(half) }, () => {
    module.output.set([":", -1, ":"], clean!);
    read();
  });
}

/** The logits at the last position, saved under `name`: what a researcher reads off a run. */
export const saveLastLogits = (lm: Model, name = "logits") =>
  lm.output.item("logits").get(":", -1, ":").save(name);

/** A plain forward pass that saves the logits. */
export function plainGraph(lm: Model, rows: number[][]): Graph {
  return lm.trace({ tokens: rows }, () => {
    lm.output.item("logits").save("logits");
  });
}

/**
 * Activation patching on one MLP (patchLastPosition): invoke 1, with invoke
 * 0's MLP output at the last position, saves its logits at every position.
 */
export function patchingGraph(
  lm: Model,
  rows: number[][],
  layer: number,
): Graph {
  const mlp = moduleAt(lm, mlpPath(layer));
  return lm.trace((tracer) =>
    patchLastPosition(tracer, mlp, rows, () => {
      lm.output.item("logits").save("logits");
    }),
  );
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

/** Steering: this multiple of steeringDirection() is added to this layer's output. */
export const STEER_LAYER = 6;
export const STEER_SCALE = 4;
/** Attribution patching's metric: logit(A) - logit(B) at the last position, summed over the clean rows. */
export const ATTRIBUTION_TOKENS = [1000, 2000] as const;

/**
 * A fixed unit direction in the residual stream, d_i = sin(0.37 i + 1) scaled
 * to norm 1: a formula rather than an RNG, so that the Python peers
 * (bench/peers/peers_bench.py) compute the very same numbers.
 */
export function steeringDirection(width = 768): number[] {
  const d = Array.from({ length: width }, (_, i) => Math.sin(0.37 * i + 1));
  const norm = Math.hypot(...d);
  return d.map((x) => x / norm);
}

/**
 * The tasks Loupe is compared on with PyTorch hooks and nnsight (and through
 * the platform), each saving what the peers' tasks return: the last
 * position's logits, or the lens's top-5 ids. See peers_bench.py.
 */
export function comparisonGraphs(
  lm: Model,
  rows: number[][],
): Record<"forward" | "patching" | "lens" | "steering" | "attribution", Graph> {
  const half = rows.length / 2;
  const mlp = moduleAt(lm, mlpPath(6));
  const block = moduleAt(lm, `transformer.h.${STEER_LAYER}`);
  return {
    forward: lm.trace({ tokens: rows }, () => saveLastLogits(lm)),
    patching: lm.trace((tracer) =>
      patchLastPosition(tracer, mlp, rows, () => saveLastLogits(lm)),
    ),
    lens: logitLensGraph(lm, rows),
    steering: lm.trace({ tokens: rows }, () => {
      const h = block.output[0]!;
      h.set(h.add(constant(steeringDirection()).mul(STEER_SCALE)));
      saveLastLogits(lm);
    }),
    // Rows 0-15 clean, 16-31 corrupted: for every MLP layer, (corrupted -
    // clean output) · d metric / d clean output, summed over the hidden dim.
    attribution: lm.trace((tracer) => {
      const clean: TensorValue[] = [];
      const grads: TensorValue[] = [];
      const mlps = Array.from({ length: LAYERS }, (_, l) =>
        moduleAt(lm, mlpPath(l)),
      );
      tracer.invoke({ tokens: rows.slice(0, half) }, () => {
        for (const m of mlps) {
          clean.push(m.output);
          grads.push(m.output.grad);
        }
        const logits = lm.output.item("logits");
        const [a, b] = ATTRIBUTION_TOKENS;
        logits
          .get(":", -1, a)
          .sub(logits.get(":", -1, b))
          .sum()
          .backward();
      });
      tracer.invoke({ tokens: rows.slice(half) }, () => {
        stack(
          mlps.map((m, l) => m.output.sub(clean[l]!).mul(grads[l]!).sum(-1)),
        ).save("attribution");
      });
    }),
  };
}
