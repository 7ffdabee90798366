import type { Graph } from "../format/graph-schema.ts";
import { buildActivationPatchingGraph } from "./build-activation-patching-graph.ts";
import { buildForwardGraph } from "./build-forward-graph.ts";
import { buildLogitLensGraph } from "./build-logit-lens-graph.ts";
import { buildNeuronsGraph } from "./build-neurons-graph.ts";
import type { Gpt2Small } from "./gpt2-small-model.ts";

/**
 * The paper's code examples and a logit lens on the GPT-2 fixture, built by
 * the same builders as examples/ and the gallery, with the paper's own
 * neurons and positions for GPT-2 small and its standard aliases (`layers`,
 * `ln_final`). The golden files (golden/v1, fixtures/build-golden.ts) hold
 * these graphs.
 */
export const paperExamples: Record<string, (lm: Gpt2Small) => Graph> = {
  /** Code Example 1: set three MLP neurons of layer 5 to 5, save the logits. */
  "example-1-neurons": (lm) =>
    buildNeuronsGraph(lm, {
      prompt: "The truth is the",
      module: lm.layers[5].mlp.down_proj,
      neurons: [394, 2490, 2929],
      value: 5,
    }),

  /** Code Example 3: a forward pass on "Hello World", saving the model's output. */
  "example-3-trace": (lm) =>
    buildForwardGraph(lm, { prompt: "Hello World", save: "output" }),

  /** Code Example 4: activation patching of the subject's last token across two prompts. */
  "example-4-patching": (lm) =>
    buildActivationPatchingGraph(lm, {
      layer: lm.layers[5],
      from: { prompt: "The Colosseum is located in the city of", position: 6 },
      into: { prompt: "The Louvre is located in the city of", position: 5 },
    }),

  /** Logit lens: every layer's last-position hidden state through the final norm and head, its top 5 tokens saved. */
  "logit-lens": (lm) =>
    buildLogitLensGraph(lm, {
      prompt: "The Eiffel Tower is located in the city of",
      layers: lm.layers,
      norm: lm.ln_final,
      head: lm.lm_head,
      position: -1,
      top: 5,
    }),
};
