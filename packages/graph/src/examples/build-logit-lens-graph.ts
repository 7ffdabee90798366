import type { Graph } from "../format/graph-schema.ts";
import type { ModuleEnvoy } from "../trace/envoy.ts";
import type { ExampleModel, TransformerBlock } from "./example-model.ts";

/** What buildLogitLensGraph decodes. */
export interface LogitLensInputs {
  readonly prompt: string;
  /** The blocks, in order: layer i's save is named after its index here. */
  readonly layers: readonly TransformerBlock[];
  /** The model's final norm and unembedding (e.g. `ln_f` and `lm_head`). */
  readonly norm: Pick<ModuleEnvoy, "call">;
  readonly head: Pick<ModuleEnvoy, "call">;
  /**
   * Which positions to decode (default [-1], the last, its axis kept so each
   * save is shaped like the model's logits); a number drops the axis.
   */
  readonly position?: number | readonly number[];
  /**
   * Save only the ids of the k most likely tokens, as `layer<i>.top<k>`;
   * without it, the logits, as `layer<i>`.
   */
  readonly top?: number;
}

/**
 * The logit lens: every layer's hidden state decoded with the model's own
 * final norm and unembedding, in one forward pass, to watch the answer form
 * layer by layer.
 *
 * @example
 * buildLogitLensGraph(lm, { prompt, layers: lm.transformer.h, norm: lm.transformer.ln_f, head: lm.lm_head });
 */
export function buildLogitLensGraph(
  lm: ExampleModel,
  { prompt, layers, norm, head, position = [-1], top }: LogitLensInputs,
): Graph {
  return lm.trace(prompt, () => {
    layers.forEach((layer, i) => {
      const hidden = layer.output[0]!.get(":", position, ":");
      const logits = head.call(norm.call(hidden));
      if (top === undefined) logits.save(`layer${i}`);
      else logits.softmax(-1).topk(top).indices.save(`layer${i}.top${top}`);
    });
  });
}
