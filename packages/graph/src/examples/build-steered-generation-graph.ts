import type { Graph } from "../format/graph-schema.ts";
import type { ExampleModel } from "./example-model.ts";
import {
  steerHiddenState,
  traceSteeringDirection,
  type SteeringInputs,
} from "./trace-steering-direction.ts";

/** What buildSteeredGenerationGraph steers, and how long it generates. */
export interface SteeredGenerationInputs extends SteeringInputs {
  readonly maxNewTokens: number;
  /** Stop a row after this token id (e.g. end of text). */
  readonly stop: number;
}

/**
 * A steered generation, in a session of three traces: the direction (see
 * traceSteeringDirection); the model's own continuation of the prompt (trace
 * 1); and the continuation with the direction added at step 0 only, where
 * the prompt is read (trace 2). With the key/value cache every later token
 * attends to the steered state.
 *
 * @example
 * buildSteeredGenerationGraph(lm, { layer: lm.transformer.h[2], prompt, toward, position: 1, maxNewTokens: 4, stop: 0 });
 */
export function buildSteeredGenerationGraph(
  lm: ExampleModel,
  inputs: SteeredGenerationInputs,
): Graph {
  const { layer, prompt, position, maxNewTokens, stop } = inputs;
  return lm.session(() => {
    const direction = traceSteeringDirection(lm, inputs);
    lm.generate(prompt, { maxNewTokens, stop }, () => {});
    lm.generate(prompt, { maxNewTokens, stop }, (tracer) => {
      tracer.iter(0, () => steerHiddenState(layer, position, direction));
    });
  });
}
