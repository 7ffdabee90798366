import type { Graph } from "../format/graph-schema.ts";
import type { ExampleModel } from "./example-model.ts";
import {
  steerHiddenState,
  traceSteeringDirection,
  type SteeringInputs,
} from "./trace-steering-direction.ts";

/** What buildSteeringGraph steers, and by how much. */
export interface SteeringScalesInputs extends SteeringInputs {
  /** Each scale is a trace of its own, its logits saved as `scale<s>`. */
  readonly scales: readonly number[];
}

/**
 * Steering with a session: the first trace finds the direction (see
 * traceSteeringDirection); each later trace adds it, scaled, to the prompt's
 * hidden state at the position and saves the logits.
 *
 * @example
 * buildSteeringGraph(lm, { layer: lm.transformer.h[2], prompt, toward, position: 1, scales: [0, 0.5, 1] });
 */
export function buildSteeringGraph(
  lm: ExampleModel,
  inputs: SteeringScalesInputs,
): Graph {
  const { layer, prompt, position, scales } = inputs;
  return lm.session(() => {
    const direction = traceSteeringDirection(lm, inputs);
    for (const scale of scales)
      lm.trace(prompt, () => {
        steerHiddenState(layer, position, direction, scale);
        lm.output.item("logits").save(`scale${scale}`);
      });
  });
}
