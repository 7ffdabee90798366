import { registerModel, type Database, type ResultStorage } from "@loupe/db";
import { createModel } from "@loupe/graph";
import type { HostedModel } from "./model-activities.ts";

/** A prompt long enough that a pass's fixed costs do not dominate its per-token time. */
const CALIBRATION_PROMPT =
  "The quick brown fox jumps over the lazy dog while the city sleeps and the river runs";

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
  const graph = createModel(model.manifest).trace(CALIBRATION_PROMPT, () => {});
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
