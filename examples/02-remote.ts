/**
 * Code Example 2: the same intervention as Code Example 1, on the server. In
 * NNsight the only change is `remote=True`; here it is `{ remote: true }`.
 * This one always runs remotely (it needs a running Loupe and an API key:
 * `loupe login`, or LOUPE_URL and LOUPE_API_KEY), and prints the run it made.
 *
 *   npx tsx examples/02-remote.ts
 */
import { defineScript, describeStatus, runIfMain } from "@loupe/sdk";
import type { FactsGpt2 } from "./types/facts-gpt2.ts";
import { MODEL, showNext } from "./bundled-model.ts";

const PROMPT = "The Louvre is located in the city of";

const script = defineScript(async ({ loupe, trace, log }) => {
  const lm = (await loupe.model<FactsGpt2>(MODEL)).withOptions(trace);
  const result = await lm.trace(
    PROMPT,
    () => {
      lm.transformer.h[1].mlp.c_proj.input.set(":, :, [89, 349, 422, 458]", 10);
      lm.output.logits.save("logits");
    },
    { remote: true },
  );

  const run = result.run!;
  log(`run ${run.runId} on ${run.model}: ${describeStatus(run)}`);
  log(`  after:  ${showNext(result.get("logits"), await lm.tokenizer())}`);
  return { logits: result.get("logits") };
});

export default script;
// No model files: the manifest and the tokenizer come from the server, and the
// local engine is never loaded.
await runIfMain(import.meta, script);
