import { randomUUID } from "node:crypto";
import type { Database } from "../create-database.ts";
import {
  domainEvents,
  streams,
  type ModelSource,
} from "../domain/domain-events.ts";
import { appendModelEvent } from "./append-model-event.ts";
import { ModelAlreadyHostedError } from "./model-hosting-errors.ts";
import type { ModelHostingState } from "../domain/projections/model-hosting.ts";

/** States in which a model is hosted or on its way: a second request is refused. */
const STANDING: readonly ModelHostingState[] = [
  "requested",
  "loading",
  "online",
];

/**
 * Records an administrator's request to host a model from `source` (files
 * that workers read; nothing is uploaded): `model.host_requested` on the
 * model's stream, which workers act on. A model that is requested, loading or
 * online is refused with ModelAlreadyHostedError; one that was refused,
 * failed or unhosted may be requested again (a new request id, so workers
 * that gave up on the last one try again).
 */
export async function requestModelHosting(
  db: Database,
  request: { name: string; source: ModelSource; by: string },
): Promise<{ requestId: string }> {
  const requestId = randomUUID();
  await appendModelEvent(db, request.name, (row) => {
    if (row && STANDING.includes(row.state as ModelHostingState))
      throw new ModelAlreadyHostedError(
        request.name,
        row.state as ModelHostingState,
      );
    return domainEvents.event(
      streams.model(request.name),
      "model.host_requested",
      { ...request, requestId },
    );
  });
  return { requestId };
}
