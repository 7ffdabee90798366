import type { Database } from "../create-database.ts";
import { domainEvents, streams } from "../domain/domain-events.ts";
import { appendModelEvent } from "./append-model-event.ts";

/**
 * Records that an administrator unhosted a model (`model.unhosted`): the API
 * admits no more runs on it, and workers stop its task queue and free its
 * memory. Returns false, appending nothing, when it is already unhosted.
 */
export async function unhostModel(
  db: Database,
  request: { name: string; by: string },
): Promise<boolean> {
  const stored = await appendModelEvent(db, request.name, (row) =>
    row?.state === "unhosted"
      ? null
      : domainEvents.event(streams.model(request.name), "model.unhosted", {
          ...request,
        }),
  );
  return stored !== null;
}
