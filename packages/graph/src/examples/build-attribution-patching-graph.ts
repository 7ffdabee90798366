import type { Graph } from "../format/graph-schema.ts";
import type { TextTokenizer } from "../tokenize/load-tokenizer.ts";
import { stack, type TensorValue } from "../trace/tensor-value.ts";
import type { ExampleModel } from "./example-model.ts";
import {
  answerIds,
  countPositions,
  logitDifference,
} from "./logit-difference.ts";

/** The saved heatmap of attribution patching: rows are layers, columns token positions. */
export const ATTRIBUTION_SAVE = "attribution[layer,position]";

/** What buildAttributionPatchingGraph estimates. */
export interface AttributionPatchingInputs<Layer> {
  /** Encodes the prompts (whose token counts must agree) and the answers. */
  readonly tokenizer: TextTokenizer;
  /** The prompt whose metric is differentiated, saved as "metric". */
  readonly clean: string;
  /** The prompt whose activations would be patched in. */
  readonly corrupted: string;
  /** The metric is logit(answers[0]) - logit(answers[1]) at the last position. */
  readonly answers: readonly [string, string];
  /** The heatmap's rows. */
  readonly layers: readonly Layer[];
  /** The activation estimated at a layer, [batch, position, hidden] (e.g. `(layer) => layer.mlp.output`). */
  readonly site: (layer: Layer) => TensorValue;
}

/**
 * Attribution patching (Syed et al.; the paper's Table 1 task): the effect of
 * patching each layer's activation at each position from the corrupted
 * prompt into the clean one, estimated to first order from ONE forward and
 * backward pass as (corrupted - clean) · d metric / d activation, summed over
 * the hidden dimension. Saved as one [layers, positions] tensor,
 * ATTRIBUTION_SAVE.
 *
 * @example
 * buildAttributionPatchingGraph(lm, { tokenizer, clean, corrupted, answers: [" Rome", " Paris"], layers: lm.transformer.h, site: (layer) => layer.mlp.output });
 */
export function buildAttributionPatchingGraph<Layer>(
  lm: ExampleModel,
  inputs: AttributionPatchingInputs<Layer>,
): Graph {
  const { tokenizer, clean, corrupted, layers, site } = inputs;
  const ids = answerIds(tokenizer, inputs.answers);
  const positions = countPositions(tokenizer, clean, corrupted);
  return lm.trace((tracer) => {
    const activations: TensorValue[] = [];
    const grads: TensorValue[] = [];
    tracer.invoke(clean, () => {
      for (const layer of layers) {
        const activation = site(layer);
        activations.push(activation);
        grads.push(activation.grad);
      }
      const metric = logitDifference(lm, ids);
      metric.save("metric");
      metric.backward();
    });
    tracer.invoke(corrupted, () => {
      const rows = layers.map((layer, l) =>
        site(layer).sub(activations[l]!).mul(grads[l]!).sum(-1),
      );
      stack(rows).reshape(layers.length, positions).save(ATTRIBUTION_SAVE);
    });
  });
}
