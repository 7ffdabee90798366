import { registerModel, type Database } from "@loupe/db";
import { createModel } from "@loupe/graph";
import type { HostedModel } from "./model-activities.ts";

/** A prompt long enough that a pass's fixed costs do not dominate its per-token time. */
const CALIBRATION_PROMPT =
  "The quick brown fox jumps over the lazy dog while the city sleeps and the river runs";

/**
 * Registers a model this worker hosts (the API validates graphs against the
 * manifest it records) with its measured cost: seconds per token of a warm
 * forward pass, from which the API estimates a run's quota reservation.
 */
export async function registerHostedModel(
  db: Database,
  model: HostedModel,
): Promise<{ secondsPerToken: number; registered: boolean }> {
  const graph = createModel(model.manifest).trace(CALIBRATION_PROMPT, () => {});
  await model.engine.run({ graph }); // compile and warm up
  const { usage } = await model.engine.run({ graph });
  const secondsPerToken = usage.computeSeconds / Math.max(1, usage.tokens);
  const registered = await registerModel(db, {
    name: model.name,
    hash: model.manifest.model.hash ?? model.name,
    manifest: model.manifest,
    secondsPerToken,
  });
  return { secondsPerToken, registered };
}
