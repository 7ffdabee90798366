import type { TensorValue } from "../trace/tensor-value.ts";
import type { ExampleModel, TransformerBlock } from "./example-model.ts";

/** Where a steering direction is found and applied. */
export interface SteeringInputs {
  /** The block whose hidden state (output[0]) is steered. */
  readonly layer: TransformerBlock;
  /** The prompt steered. */
  readonly prompt: string;
  /** The prompt steered toward: the direction is its hidden state minus the prompt's. */
  readonly toward: string;
  /** The token (the subject) whose hidden states are contrasted and steered, in both prompts. */
  readonly position: number;
}

/**
 * Traces the steering direction: `toward`'s hidden state at the position
 * minus `prompt`'s, at the layer, in one trace of two invokes. Call it inside
 * `lm.session(…)`: later traces of the session use the direction, which never
 * leaves the run.
 */
export function traceSteeringDirection(
  lm: ExampleModel,
  { layer, prompt, toward, position }: SteeringInputs,
): TensorValue {
  let direction: TensorValue | undefined;
  lm.trace((tracer) => {
    let target: TensorValue | undefined;
    tracer.invoke(toward, () => {
      target = layer.output[0]!.get(":", position, ":");
    });
    tracer.invoke(prompt, () => {
      direction = target!.sub(layer.output[0]!.get(":", position, ":"));
    });
  });
  return direction!;
}

/**
 * Adds the direction (times `scale`, when given) to the layer's hidden state
 * at the position, in the invoke being written.
 */
export function steerHiddenState(
  layer: TransformerBlock,
  position: number,
  direction: TensorValue,
  scale?: number,
): void {
  const hidden = layer.output[0]!;
  const current = hidden.get(":", position, ":");
  hidden.set(
    [":", position, ":"],
    current.add(scale === undefined ? direction : direction.mul(scale)),
  );
}
