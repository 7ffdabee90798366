/**
 * Steering a generation: a direction found by contrasting two prompts (the
 * hidden state of " Colosseum" minus that of " Louvre" at layer 2, at the
 * subject token) is added while the model reads the Louvre prompt, and the
 * continuation follows it: " Paris." becomes " Rome.". The steer is applied
 * at step 0 only (`tracer.iter(0, …)`), where the prompt is read; with the
 * key/value cache, every later token attends to the steered keys and values.
 * Tokens stream to `onToken` as they are generated, here or on the server.
 * The graph is buildSteeredGenerationGraph's (packages/graph/src/examples),
 * the same as the gallery's.
 *
 *   npx tsx examples/steered-generation.ts [--remote]
 */
import {
  buildSteeredGenerationGraph,
  defineScript,
  runIfMain,
  Tensor,
} from "@loupe/sdk";
import { MODEL_FILES, openBundledModel } from "./bundled-model.ts";
import { steering } from "./steering.ts";

const NEW_TOKENS = 4;
const EOS = 0; // <|endoftext|>

const script = defineScript(async ({ loupe, trace, log }) => {
  const { lm, tokenizer } = await openBundledModel(loupe);
  const steer = steering(lm);
  let streamed = 0;

  // Trace 0 finds the direction; trace 1 is the model's own continuation,
  // trace 2 the steered one.
  const result = await lm.run(
    buildSteeredGenerationGraph(lm.graphs, {
      ...steer,
      maxNewTokens: NEW_TOKENS,
      stop: EOS,
    }),
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
  log(`"${steer.prompt}" continued`);
  log(`  by the model:  ${text(plain)}`);
  log(
    `  steered:       ${text(steered)} (toward "${steer.toward}" at ${steer.layer.path})`,
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
