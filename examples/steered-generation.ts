/**
 * Steering a generation: a direction found by contrasting two prompts (the
 * hidden state of " Colosseum" minus that of " Louvre" at layer 2, at the
 * subject token) is added while the model reads the Louvre prompt, and the
 * continuation follows it: " Paris." becomes " Rome.". The steer is applied
 * at step 0 only (`tracer.iter(0, …)`), where the prompt is read; with the
 * key/value cache, every later token attends to the steered keys and values.
 * Tokens stream to `onToken` as they are generated, here or on the server.
 *
 *   npx tsx examples/steered-generation.ts [--remote]
 */
import { defineScript, runIfMain, Tensor, type TensorValue } from "@loupe/sdk";
import type { FactsGpt2 } from "./types/facts-gpt2.ts";
import { MODEL, MODEL_FILES } from "./bundled-model.ts";

const PROMPT = "The Louvre is located in the city of";
const TOWARD = "The Colosseum is located in the city of";
const SUBJECT = 1; // " Louvre" and " Colosseum" are token 1 of their prompts
const NEW_TOKENS = 4;
const EOS = 0; // <|endoftext|>

const script = defineScript(async ({ loupe, trace, log }) => {
  const lm = await loupe.model<FactsGpt2>(MODEL);
  const layer = lm.transformer.h[2];
  const tokenizer = await lm.tokenizer();
  let streamed = 0;

  const result = await lm.session(
    (session) => {
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
      // Trace 1: the model's own continuation; trace 2: steered.
      session.generate(
        PROMPT,
        { maxNewTokens: NEW_TOKENS, stop: EOS },
        () => {},
      );
      session.generate(
        PROMPT,
        { maxNewTokens: NEW_TOKENS, stop: EOS },
        (tracer) => {
          tracer.iter(0, () => {
            const h = layer.output[0];
            h.set(
              [":", SUBJECT, ":"],
              h.get(":", SUBJECT, ":").add(direction!),
            );
          });
        },
      );
    },
    {
      ...trace,
      onToken: (t) => {
        if (t.trace === 2) streamed++;
      },
    },
  );

  const text = (ids: number[]) =>
    JSON.stringify(tokenizer.decode(ids.filter((id) => id !== EOS)));
  const plain = result.tokens(0, 0, 1);
  const steered = result.tokens(0, 0, 2);
  log(`"${PROMPT}" continued`);
  log(`  by the model:  ${text(plain)}`);
  log(
    `  steered:       ${text(steered)} (toward "${TOWARD}" at ${layer.path})`,
  );
  log(`  (${streamed} steered tokens streamed as they were generated)`);
  const ids = (xs: number[]) =>
    new Tensor({
      dtype: "int64",
      shape: [xs.length],
      data: BigInt64Array.from(xs, (x) => BigInt(x)),
    });
  return { plain: ids(plain), steered: ids(steered) };
});

export default script;
await runIfMain(import.meta, script, { modelFiles: MODEL_FILES });
