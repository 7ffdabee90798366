/**
 * Code Example 3: a forward pass on "Hello World", the model's output saved.
 * In NNsight:
 *   with model.trace("Hello World"):
 *       output = model.output.save()
 *
 *   npx tsx examples/03-hello-world.ts [--remote]
 */
import { defineScript, runIfMain } from "@loupe/sdk";
import type { FactsGpt2 } from "./types/facts-gpt2.ts";
import { MODEL, MODEL_FILES, nextToken, show } from "./bundled-model.ts";

const script = defineScript(async ({ loupe, trace, log }) => {
  const model = await loupe.model<FactsGpt2>(MODEL);
  const { saves } = await model.trace(
    "Hello World",
    () => {
      model.output.item("logits").save("output");
    },
    trace,
  );

  const output = saves.output!;
  log(
    `model.trace("Hello World"): output saved, shape [${output.shape.join(", ")}]`,
  );
  log(`  next token: ${show(nextToken(output, await model.tokenizer()))}`);
  return { output };
});

export default script;
await runIfMain(import.meta, script, { modelFiles: MODEL_FILES });
