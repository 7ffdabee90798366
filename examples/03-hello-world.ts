/**
 * Code Example 3: a forward pass on "Hello World", the model's output saved.
 * In NNsight:
 *   with model.trace("Hello World"):
 *       output = model.output.save()
 * The graph is buildForwardGraph's (packages/graph/src/examples).
 *
 *   npx tsx examples/03-hello-world.ts [--remote]
 */
import { buildForwardGraph, defineScript, runIfMain } from "@loupe/sdk";
import {
  MODEL_FILES,
  nextToken,
  openBundledModel,
  show,
} from "./bundled-model.ts";

const script = defineScript(async ({ loupe, trace, log }) => {
  const { lm: model, tokenizer } = await openBundledModel(loupe);
  const { saves } = await model.run(
    buildForwardGraph(model.graphs, { prompt: "Hello World", save: "output" }),
    trace,
  );

  const output = saves.output!;
  log(
    `model.trace("Hello World"): output saved, shape [${output.shape.join(", ")}]`,
  );
  log(`  next token: ${show(nextToken(output, tokenizer))}`);
  return { output };
});

export default script;
await runIfMain(import.meta, script, { modelFiles: MODEL_FILES });
