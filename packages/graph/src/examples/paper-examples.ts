import type { Graph } from "../format/graph-schema.ts";
import type { TensorValue } from "../trace/tensor-value.ts";
import type { Gpt2Small } from "./gpt2-small-model.ts";

/**
 * The paper's code examples and a logit lens, written with the TypeScript API.
 * They run against any manifest with the standard aliases (`layers`, `ln_final`,
 * `lm_head`); the golden files hold their graphs on the GPT-2 fixture.
 */
export const paperExamples: Record<string, (lm: Gpt2Small) => Graph> = {
  /** Code Example 1: set three MLP neurons of layer 5 to 5, save the logits. */
  "example-1-neurons": (lm) =>
    lm.trace("The truth is the", () => {
      lm.layers[5].mlp.down_proj.input.set([":", ":", [394, 2490, 2929]], 5);
      lm.output.logits.save("logits");
    }),

  /** Code Example 3: a forward pass on "Hello World", saving the model's output. */
  "example-3-trace": (lm) =>
    lm.trace("Hello World", () => {
      lm.output.logits.save("output");
    }),

  /** Code Example 4: activation patching of the subject's last token across two prompts. */
  "example-4-patching": (lm) =>
    lm.trace((tracer) => {
      let hidden: TensorValue | undefined;
      tracer.invoke("The Colosseum is located in the city of", () => {
        hidden = lm.layers[5].output[0].get(":", 6, ":");
      });
      tracer.invoke("The Louvre is located in the city of", () => {
        lm.layers[5].output[0].set([":", 5, ":"], hidden!);
        lm.output.logits.save("logits");
      });
    }),

  /** Logit lens: decode every layer's last-position hidden state through the final norm and head. */
  "logit-lens": (lm) =>
    lm.trace("The Eiffel Tower is located in the city of", () => {
      const layerCount = lm.manifest.modules.filter((m) =>
        /^transformer\.h\.\d+$/.test(m.path),
      ).length;
      for (let i = 0; i < layerCount; i++) {
        const hidden = lm.layers[i]!.output[0].get(":", -1, ":");
        const logits = lm.lm_head.call(lm.ln_final.call(hidden));
        logits.softmax(-1).topk(5).indices.save(`layer${i}.top5`);
      }
    }),
};
