import {
  findModelHosting,
  ModelUnavailableError,
  type Database,
} from "@loupe/db";

/**
 * Refuses a run on a model that is not online (unhosted, or requested,
 * loading, refused or failed) before anything is stored or queued, with
 * MODEL_UNAVAILABLE naming the model and its state. A model without a hosting
 * record (registered by a worker before hosting was recorded) is runnable.
 */
export async function assertModelRunnable(
  db: Database,
  model: string,
): Promise<void> {
  const hosting = await findModelHosting(db, model);
  if (!hosting || hosting.state === "online") return;
  throw new ModelUnavailableError(model, hosting.state, hosting.reason);
}
