import type { Graph } from "../format/graph-schema.ts";
import type { ExampleModel } from "./example-model.ts";

/** What buildForwardGraph runs. */
export interface ForwardInputs {
  readonly prompt: string;
  /** The name the logits are saved under (default "logits"). */
  readonly save?: string;
}

/**
 * A forward pass with no intervention, the logits saved: the paper's Code
 * Example 3 ("Hello World") and the baseline that the other examples compare
 * their interventions against.
 *
 * @example
 * buildForwardGraph(lm, { prompt: "Hello World", save: "output" });
 */
export function buildForwardGraph(
  lm: ExampleModel,
  { prompt, save = "logits" }: ForwardInputs,
): Graph {
  return lm.trace(prompt, () => {
    lm.output.item("logits").save(save);
  });
}
