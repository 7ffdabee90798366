/**
 * Steering with a session: the first trace computes a direction (the hidden
 * state of " Colosseum" minus that of " Louvre" at layer 2); later traces of
 * the same session add it, scaled, to the Louvre prompt's subject token. The
 * direction never leaves the server: sessions pass values between traces.
 *
 *   npx tsx examples/steering.ts [--remote]
 */
import {
  defineScript,
  runIfMain,
  type Tensor,
  type TensorValue,
} from "@loupe/sdk";
import type { FactsGpt2 } from "./types/facts-gpt2.ts";
import { MODEL, MODEL_FILES, nextToken, show } from "./bundled-model.ts";

const PROMPT = "The Louvre is located in the city of";
const TOWARD = "The Colosseum is located in the city of";
const SUBJECT = 1; // " Louvre" and " Colosseum" are token 1 of their prompts
const SCALES = [0, 0.25, 0.5, 1];

const script = defineScript(async ({ loupe, trace, log }) => {
  const lm = await loupe.model<FactsGpt2>(MODEL);
  const layer = lm.transformer.h[2];
  const tokenizer = await lm.tokenizer();

  const { saves } = await lm.session((session) => {
    let direction: TensorValue | undefined;
    session.trace((tracer) => {
      let toward: TensorValue | undefined;
      tracer.invoke(TOWARD, () => {
        toward = layer.output[0].get(":", SUBJECT, ":");
      });
      tracer.invoke(PROMPT, () => {
        direction = toward!.sub(layer.output[0].get(":", SUBJECT, ":"));
      });
    });
    for (const scale of SCALES)
      session.trace(PROMPT, () => {
        const h = layer.output[0];
        h.set(
          [":", SUBJECT, ":"],
          h.get(":", SUBJECT, ":").add(direction!.mul(scale)),
        );
        lm.output.item("logits").save(`scale${scale}`);
      });
  }, trace);

  log(`steering "${PROMPT}" toward "${TOWARD}" at ${layer.path}`);
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
