import { registerModel, type Database, type ResultStorage } from "@loupe/db";
import { createModel } from "@loupe/graph";
import type { HostedModel } from "./batch-activities.ts";

/**
 * The calibration pass's input: token ids, not text, so that a model hosted
 * without a tokenizer calibrates too; 16 tokens (ids 0-15, in every
 * vocabulary), long enough that a pass's fixed costs do not dominate its
 * per-token time.
 */
const CALIBRATION_TOKENS = [Array.from({ length: 16 }, (_, i) => i)];

/**
 * Registers a model this worker hosts (the API validates graphs against the
 * manifest it records) with its measured cost: seconds per token of a warm
 * forward pass, from which the API estimates a run's quota reservation. The
 * model's tokenizer.json goes into the result store (content-addressed), so
 * SDKs can fetch it and decode token ids of remote results.
 */
export async function registerHostedModel(
  db: Database,
  model: HostedModel,
  files: { results: ResultStorage; tokenizer: unknown } | null = null,
): Promise<{ secondsPerToken: number; registered: boolean }> {
  const graph = createModel(model.manifest).trace(
    { tokens: CALIBRATION_TOKENS },
    () => {},
  );
  await model.engine.run({ graph }); // compile and warm up
  const { usage } = await model.engine.run({ graph });
  const secondsPerToken = usage.computeSeconds / Math.max(1, usage.tokens);
  const tokenizerHash =
    files && files.tokenizer !== undefined && files.tokenizer !== null
      ? (
          await files.results.put(
            new TextEncoder().encode(JSON.stringify(files.tokenizer)),
          )
        ).hash
      : null;
  const registered = await registerModel(db, {
    name: model.name,
    hash: model.manifest.model.hash ?? model.name,
    manifest: model.manifest,
    secondsPerToken,
    tokenizerHash,
  });
  return { secondsPerToken, registered };
}
