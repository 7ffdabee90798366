/**
 * Steering with a session: the first trace computes a direction (the hidden
 * state of " Colosseum" minus that of " Louvre" at layer 2); later traces of
 * the same session add it, scaled, to the Louvre prompt's subject token. The
 * direction never leaves the server: sessions pass values between traces.
 * The graph is buildSteeringGraph's (packages/graph/src/examples).
 *
 *   npx tsx examples/steering.ts [--remote]
 */
import {
  buildSteeringGraph,
  defineScript,
  runIfMain,
  type LoupeModel,
  type Tensor,
} from "@loupe/sdk";
import type { FactsGpt2 } from "./types/facts-gpt2.ts";
import {
  MODEL_FILES,
  nextToken,
  openBundledModel,
  show,
} from "./bundled-model.ts";

/** The direction and where it is added (steered-generation.ts steers by it too). */
export const steering = (lm: LoupeModel<FactsGpt2>) => ({
  layer: lm.transformer.h[2],
  prompt: "The Louvre is located in the city of",
  toward: "The Colosseum is located in the city of",
  position: 1, // " Louvre" and " Colosseum" are token 1 of their prompts
});
const SCALES = [0, 0.25, 0.5, 1];

const script = defineScript(async ({ loupe, trace, log }) => {
  const { lm, tokenizer } = await openBundledModel(loupe);
  const steer = steering(lm);

  const { saves } = await lm.run(
    buildSteeringGraph(lm.graphs, { ...steer, scales: SCALES }),
    trace,
  );

  log(
    `steering "${steer.prompt}" toward "${steer.toward}" at ${steer.layer.path}`,
  );
  const out: Record<string, Tensor> = {};
  for (const scale of SCALES) {
    const logits = saves[`scale${scale}`]!;
    log(`  scale ${scale}: ${show(nextToken(logits, tokenizer))}`);
    out[`scale${scale}`] = logits;
  }
  return out;
});

export default script;
await runIfMain(import.meta, script, { modelFiles: MODEL_FILES });
