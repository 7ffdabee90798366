import type { Graph } from "../format/graph-schema.ts";
import type { TensorValue } from "../trace/tensor-value.ts";
import type {
  TransformerBlock,
  ExampleModel,
  PromptPosition,
} from "./example-model.ts";

/** What buildActivationPatchingGraph patches. */
export interface ActivationPatchingInputs {
  /** The block whose hidden state (output[0]) is patched. */
  readonly layer: TransformerBlock;
  /** Where the hidden state is read. */
  readonly from: PromptPosition;
  /** Where it is written; this prompt's logits are saved as "logits". */
  readonly into: PromptPosition;
  /**
   * "invokes" (the default, the paper's form): two invokes of one forward
   * pass. "session": two traces of a session, so two forward passes (the
   * gallery's demo experiment, whose run reports two).
   */
  readonly form?: "invokes" | "session";
}

/**
 * The paper's Code Example 4, activation patching: one prompt's hidden state
 * at a token, written over another prompt's at a token of the same layer. In
 * NNsight:
 * `with tracer.invoke(edit): hidden = layer.output[0][:, 6, :]`;
 * `with tracer.invoke(base): layer.output[0][:, 5, :] = hidden`. Here the
 * first invoke returns what it read: `const hidden = tracer.invoke(edit, …)`.
 *
 * @example
 * buildActivationPatchingGraph(lm, { layer: lm.transformer.h[2], from: { prompt: clean, position: 1 }, into: { prompt: corrupted, position: 1 } });
 */
export function buildActivationPatchingGraph(
  lm: ExampleModel,
  { layer, from, into, form = "invokes" }: ActivationPatchingInputs,
): Graph {
  const read = () => layer.output[0]!.at(`:, ${from.position}, :`);
  const write = (hidden: TensorValue) => {
    layer.output[0]!.set(`:, ${into.position}, :`, hidden);
    lm.output.item("logits").save("logits");
  };
  if (form === "session")
    return lm.session(() => {
      // A trace returns its graph, so the value crosses in a variable.
      let hidden: TensorValue | undefined;
      lm.trace(from.prompt, () => {
        hidden = read();
      });
      lm.trace(into.prompt, () => write(hidden!));
    });
  return lm.trace((tracer) => {
    const hidden = tracer.invoke(from.prompt, read);
    tracer.invoke(into.prompt, () => write(hidden));
  });
}
