import { ApplicationFailure } from "@temporalio/activity";
import { appendEvent, VersionConflictError, type Database } from "@loupe/db";
import type { PlatformActivities, ProbeResult } from "@loupe/workflows";
import { z } from "zod";

const probeInputSchema = z.object({
  probeId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, "expected 1-64 letters, digits, _ or -"),
  requestedAt: z.iso.datetime(),
  note: z.string().max(200).optional(),
});

/** Builds the platform activities over their dependencies (Temporal samples style). */
export function createActivities(deps: {
  db: Database;
  workerId: string;
}): PlatformActivities {
  return {
    async recordProbe(raw) {
      const parsed = probeInputSchema.safeParse(raw);
      if (!parsed.success) {
        throw ApplicationFailure.nonRetryable(
          `invalid probe input: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
          "InvalidProbeInput",
        );
      }
      const input = parsed.data;
      const stream = `probe-${input.probeId}`;
      try {
        const event = await appendEvent(
          deps.db,
          {
            stream,
            type: "ProbeRecorded",
            payload: {
              v: 1,
              probeId: input.probeId,
              requestedAt: input.requestedAt,
              workerId: deps.workerId,
              ...(input.note === undefined ? {} : { note: input.note }),
            },
          },
          0,
        );
        return toResult(input.probeId, event, deps.workerId);
      } catch (error) {
        // A retry after a successful append finds the event already there.
        if (!(error instanceof VersionConflictError)) throw error;
        const existing = await deps.db.event.findUniqueOrThrow({
          where: { stream_version: { stream, version: 1 } },
        });
        const writer = (existing.payload as { workerId?: unknown }).workerId;
        return toResult(
          input.probeId,
          existing,
          typeof writer === "string" ? writer : deps.workerId,
        );
      }
    },
  };
}

function toResult(
  probeId: string,
  event: { stream: string; position: bigint; version: number; time: Date },
  workerId: string,
): ProbeResult {
  return {
    probeId,
    stream: event.stream,
    position: event.position.toString(),
    version: event.version,
    workerId,
    recordedAt: event.time.toISOString(),
  };
}
