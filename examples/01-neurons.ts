/**
 * Code Example 1: set some MLP neurons and the model's answer changes.
 * In NNsight:
 *   with lm.trace("The truth is the"):
 *       mlp.input[0][0][:, :, neurons] = 5
 *       logits = lm.output["logits"].save()
 * The neurons were found in PyTorch when the model was built (models/facts/facts.json).
 * The graph is buildNeuronsGraph's (packages/graph/src/examples), the same
 * as the gallery's and the engine's tests.
 *
 *   npx tsx examples/01-neurons.ts [--remote]
 */
import {
  buildForwardGraph,
  buildNeuronsGraph,
  defineScript,
  runIfMain,
  type LoupeModel,
} from "@loupe/sdk";
import type { FactsGpt2 } from "./types/facts-gpt2.ts";
import {
  MODEL_FILES,
  nextToken,
  openBundledModel,
  show,
} from "./bundled-model.ts";

/** The intervention: four neurons of layer 1's MLP set to 10 (02-remote.ts runs it too). */
export const neuronEdit = (lm: LoupeModel<FactsGpt2>) => ({
  prompt: "The Louvre is located in the city of",
  module: lm.transformer.h[1].mlp.c_proj,
  neurons: [89, 349, 422, 458],
  value: 10,
});

const script = defineScript(async ({ loupe, trace, log }) => {
  const { lm, tokenizer } = await openBundledModel(loupe);
  const edit = neuronEdit(lm);

  const before = await lm.run(
    buildForwardGraph(lm.graphs, { prompt: edit.prompt }),
    trace,
  );
  const after = await lm.run(buildNeuronsGraph(lm.graphs, edit), trace);

  log(
    `${edit.module.path}.input[:, :, [${edit.neurons.join(", ")}]] = ${edit.value}`,
  );
  log(`  "${edit.prompt}" ->`);
  log(`  before: ${show(nextToken(before.get("logits"), tokenizer))}`);
  log(`  after:  ${show(nextToken(after.get("logits"), tokenizer))}`);
  return { before: before.get("logits"), after: after.get("logits") };
});

export default script;
await runIfMain(import.meta, script, { modelFiles: MODEL_FILES });
