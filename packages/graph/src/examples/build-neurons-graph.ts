import type { Graph } from "../format/graph-schema.ts";
import type { TensorValue } from "../trace/tensor-value.ts";
import type { ExampleModel } from "./example-model.ts";

/** What buildNeuronsGraph sets. */
export interface NeuronsInputs {
  readonly prompt: string;
  /** The module whose input holds the neurons (an MLP's down projection). */
  readonly module: { readonly input: TensorValue };
  /** The neurons: indices into the input's last axis. */
  readonly neurons: readonly number[];
  readonly value: number;
}

/**
 * The paper's Code Example 1: set some MLP neurons at every position and save
 * the logits, to see the answer change. In NNsight:
 * `mlp.input[:, :, neurons] = value; logits = lm.output["logits"].save()`.
 *
 * @example
 * buildNeuronsGraph(lm, { prompt, module: lm.transformer.h[1].mlp.c_proj, neurons: [89, 349], value: 10 });
 */
export function buildNeuronsGraph(
  lm: ExampleModel,
  { prompt, module, neurons, value }: NeuronsInputs,
): Graph {
  return lm.trace(prompt, () => {
    module.input.set(`:, :, [${neurons.join(", ")}]`, value);
    lm.output.item("logits").save("logits");
  });
}
