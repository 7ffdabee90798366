import type { Graph } from "../format/graph-schema.ts";
import type { TextTokenizer } from "../tokenize/load-tokenizer.ts";
import { stack, type TensorValue } from "../trace/tensor-value.ts";
import type { ExampleModel } from "./example-model.ts";
import {
  answerIds,
  countPositions,
  logitDifference,
} from "./logit-difference.ts";

/** A prompt of a sweep and the name its unpatched metric is saved under. */
export interface SweepPrompt {
  readonly prompt: string;
  readonly save: string;
}

/** What buildPatchingSweepGraph patches, and where it saves. */
export interface PatchingSweepInputs<Layer> {
  /** Encodes the prompts (whose token counts must agree) and the answers. */
  readonly tokenizer: TextTokenizer;
  /** The prompt whose activations are patched in. */
  readonly from: SweepPrompt;
  /** The prompt patched, one layer and position per invoke. */
  readonly into: SweepPrompt;
  /** The metric is logit(answers[0]) - logit(answers[1]) at the last position. */
  readonly answers: readonly [string, string];
  /** The heatmap's rows. */
  readonly layers: readonly Layer[];
  /** The activation patched at a layer, [batch, position, hidden] (e.g. `(layer) => layer.output[0]`). */
  readonly site: (layer: Layer) => TensorValue;
  /** The name of the [layers, positions] tensor of the patched runs' metrics. */
  readonly save: string;
}

/**
 * An activation-patching sweep: for every layer and token position, `from`'s
 * activation is written into `into`, and the metric of the patched run is
 * recorded. Every patch is an invoke of ONE trace (one forward pass), and
 * the graph stacks the metrics into one [layers, positions] tensor (a saved
 * 2-D tensor named `…[rowAxis,colAxis]` is drawn as a heatmap).
 *
 * @example
 * buildPatchingSweepGraph(lm, { tokenizer, from: { prompt: clean, save: "clean" }, into: { prompt: corrupted, save: "corrupted" }, answers: [" Rome", " Paris"], layers: lm.transformer.h, site: (layer) => layer.output[0], save: "logit_diff[layer,position]" });
 */
export function buildPatchingSweepGraph<Layer>(
  lm: ExampleModel,
  inputs: PatchingSweepInputs<Layer>,
): Graph {
  const { tokenizer, from, into, layers, site } = inputs;
  const ids = answerIds(tokenizer, inputs.answers);
  const positions = countPositions(tokenizer, into.prompt, from.prompt);
  const metric = () => logitDifference(lm, ids);
  return lm.trace((tracer) => {
    const source = tracer.invoke(from.prompt, () => {
      const hidden = layers.map((layer) => site(layer));
      metric().save(from.save);
      return hidden;
    });
    tracer.invoke(into.prompt, () => metric().save(into.save));
    const cells = layers.flatMap((layer, l) =>
      Array.from({ length: positions }, (_, p) =>
        tracer.invoke(into.prompt, () => {
          site(layer).set(`:, ${p}, :`, source[l]!.at(`:, ${p}, :`));
          return metric();
        }),
      ),
    );
    // Still inside the trace: the graph stacks every invoke's scalar into one tensor.
    tracer.invoke(into.prompt, () => {
      stack(cells).reshape(layers.length, positions).save(inputs.save);
    });
  });
}
