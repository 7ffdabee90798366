import type { ModelBase } from "../trace/model.ts";
import type { TupleValue } from "../trace/envoy.ts";

/**
 * What the example builders need of a model: its tracing methods and an
 * output whose `logits` element they save. Any `createModel` model fits,
 * whatever its module tree, and so does the SDK's `lm.graphs` (the SDK's own
 * `lm` runs what it traces, so scripts pass `lm.graphs` and run the graph).
 */
export type ExampleModel = Pick<ModelBase, "trace" | "session" | "generate"> & {
  readonly output: TupleValue;
};

/** A transformer block: its output is a tuple whose first element is the hidden state. */
export interface TransformerBlock {
  readonly output: TupleValue;
}

/** A prompt and one of its token positions (0-based; negative counts from the end). */
export interface PromptPosition {
  readonly prompt: string;
  readonly position: number;
}
