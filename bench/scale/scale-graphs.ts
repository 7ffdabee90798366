import type { Envoy, Graph, Model, SavedTensor } from "@loupe/graph";
import {
  moduleAt,
  patchLastPosition,
  saveLastLogits,
} from "../suites/gpt2-graphs.ts";
import {
  SCALE_LAYERS,
  SCALE_NEW_TOKENS,
  SCALE_PATCH_LAYER,
  type ScaleTask,
} from "./llama-batch.ts";

/**
 * The 1.1B phase's tasks as intervention graphs on the Llama manifest's
 * paths (what bench/peers/llama_reference.py does with hooks), for Loupe's
 * engine in process and through the platform alike.
 */
export function scaleGraphs(
  lm: Model,
  rows: number[][],
): Record<ScaleTask, Graph> {
  const lastLogits = () => saveLastLogits(lm, "out");
  return {
    forward: lm.trace({ tokens: rows }, lastLogits),
    patching: lm.trace((tracer) =>
      patchLastPosition(
        tracer,
        moduleAt(lm, `model.layers.${SCALE_PATCH_LAYER}.mlp`),
        rows,
        lastLogits,
      ),
    ),
    lens: lm.trace({ tokens: rows }, () => {
      const norm = moduleAt(lm, "model.norm");
      const head = moduleAt(lm, "lm_head");
      for (let i = 0; i < SCALE_LAYERS; i++) {
        const layer: Envoy = moduleAt(lm, `model.layers.${i}`);
        head
          .call(norm.call(layer.output[0]!.get(":", -1, ":")))
          .save(`layer${i}`);
      }
    }),
    generate: lm.generate(
      { tokens: rows },
      { maxNewTokens: SCALE_NEW_TOKENS },
      () => {},
    ),
  };
}

/** What a task dumps, named and shaped as llama-batch.ts says, from its run's saves. */
export function scaleOutput(
  task: ScaleTask,
  saves: Readonly<Record<string, SavedTensor>>,
  rows: number,
): SavedTensor {
  if (task === "forward" || task === "patching") return saves.out!;
  if (task === "lens") {
    const layers = Array.from(
      { length: SCALE_LAYERS },
      (_, i) => saves[`layer${i}`]!,
    );
    const size = layers[0]!.data.length;
    const data = new Float32Array(size * SCALE_LAYERS);
    layers.forEach((l, i) => data.set(l.data as Float32Array, i * size));
    return {
      dtype: "float32",
      shape: [SCALE_LAYERS, ...layers[0]!.shape],
      data,
    };
  }
  const data = new BigInt64Array(rows * SCALE_NEW_TOKENS);
  for (let r = 0; r < rows; r++)
    data.set(
      saves[`generated/0/0/${r}`]!.data as BigInt64Array,
      r * SCALE_NEW_TOKENS,
    );
  return { dtype: "int64", shape: [rows, SCALE_NEW_TOKENS], data };
}
