import type { Prisma } from "../../generated/prisma/client.ts";
import type { Transaction } from "../../events/append-events.ts";
import {
  eachEvent,
  type DomainEventOf,
  type Projection,
} from "./projection.ts";

/**
 * The hosting events that change where a model's hosting stands
 * (`model.unloaded` does not: a worker freeing its memory leaves it as it is).
 */
type ModelHostingEvent = DomainEventOf<
  | "model.host_requested"
  | "model.loading"
  | "model.online"
  | "model.refused"
  | "model.failed"
  | "model.unhosted"
>;

/** The hosting states a model moves through (the `model_hosting.state` column). */
export const MODEL_HOSTING_STATES = [
  "requested",
  "loading",
  "online",
  "refused",
  "failed",
  "unhosted",
] as const;
export type ModelHostingState = (typeof MODEL_HOSTING_STATES)[number];

/**
 * The `model_hosting` read model: where hosting each model stands. The row
 * follows the standing request: a worker's report about an earlier request,
 * or any report after the model was unhosted, changes nothing (a slow worker
 * cannot bring an unhosted model back); a worker's own configuration
 * (LOUPE_MODELS, requestId null) always can. Once a model is online, another
 * worker's loading, refusal or failure is kept in the stream but does not
 * take it offline: a worker serves it.
 */
export const modelHostingProjection: Projection<ModelHostingEvent["type"]> = {
  "model.host_requested": eachEvent<"model.host_requested">(applyHostingEvent),
  "model.loading": eachEvent<"model.loading">(applyHostingEvent),
  "model.online": eachEvent<"model.online">(applyHostingEvent),
  "model.refused": eachEvent<"model.refused">(applyHostingEvent),
  "model.failed": eachEvent<"model.failed">(applyHostingEvent),
  "model.unhosted": eachEvent<"model.unhosted">(applyHostingEvent),
};

/** Applies a hosting event to its model's row (see modelHostingProjection). */
async function applyHostingEvent(
  tx: Transaction,
  e: ModelHostingEvent,
  at: Date,
): Promise<void> {
  const p = e.payload;
  const row = await tx.modelHosting.findUnique({ where: { name: p.name } });
  const write = (
    data: Omit<Prisma.ModelHostingUncheckedCreateInput, "name" | "updatedAt">,
  ) =>
    tx.modelHosting.upsert({
      where: { name: p.name },
      create: { name: p.name, ...data, updatedAt: at },
      update: { ...data, updatedAt: at },
    });
  const cleared = { reason: null, loadedBytes: null, totalBytes: null };
  switch (e.type) {
    case "model.host_requested":
      await write({
        state: "requested",
        ...cleared,
        source: e.payload.source,
        requestId: e.payload.requestId,
        requestedBy: e.payload.by,
        workerId: null,
      });
      return;
    case "model.unhosted":
      await write({ state: "unhosted", ...cleared, workerId: null });
      return;
    case "model.online": {
      const { requestId, workerId, source } = e.payload;
      if (requestId !== null && !answersStandingRequest(row, requestId)) return;
      await write({ state: "online", ...cleared, workerId, source });
      return;
    }
    case "model.loading":
    case "model.refused":
    case "model.failed": {
      const { requestId, workerId } = e.payload;
      if (
        requestId === null
          ? row?.state === "unhosted"
          : !answersStandingRequest(row, requestId)
      )
        return;
      if (row?.state === "online" && row.workerId !== workerId) return;
      if (e.type === "model.loading")
        await write({
          state: "loading",
          reason: null,
          workerId,
          loadedBytes: BigInt(e.payload.loadedBytes),
          totalBytes: BigInt(e.payload.totalBytes),
        });
      else
        await write({
          state: e.type === "model.refused" ? "refused" : "failed",
          ...cleared,
          reason: e.payload.reason,
          workerId,
        });
      return;
    }
  }
}

/** Whether a worker's report is about the request that stands now (not unhosted since). */
function answersStandingRequest(
  row: { state: string; requestId: string | null } | null,
  requestId: string,
): boolean {
  return (
    row !== null && row.state !== "unhosted" && row.requestId === requestId
  );
}
