import { randomUUID } from "node:crypto";
import { listRecentEvents } from "@loupe/db";
import { PLATFORM_TASK_QUEUE, type probeWorkflow } from "@loupe/workflows";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { probeDatabase } from "../../health/probe-database.ts";
import { probeTemporal } from "../../health/probe-temporal.ts";
import { probeWorkers, type WorkerHealth } from "../../health/probe-workers.ts";
import type { PartHealth } from "../../health/part-health.ts";
import { adminProcedure, publicProcedure, router } from "../../trpc.ts";

/** The health of every part, probed live. */
export interface HealthReport {
  readonly checkedAt: string;
  readonly healthy: boolean;
  readonly parts: readonly PartHealth[];
  readonly workers: readonly WorkerHealth[];
}

/** Platform plumbing: live health, the wiring probe, the recent event log. */
export const systemRouter = router({
  health: publicProcedure.query(async ({ ctx }): Promise<HealthReport> => {
    const { db, temporal } = ctx.services;
    const [database, temporalHealth, workers] = await Promise.all([
      probeDatabase(db),
      probeTemporal(temporal.connection, temporal.address),
      probeWorkers(db, temporal.client).catch((): WorkerHealth[] => []),
    ]);
    const workerPart: PartHealth = {
      part: "workers",
      healthy: workers.some((w) => w.healthy),
      detail:
        workers.length === 0
          ? "no worker has reported in the last 10 minutes"
          : `${workers.filter((w) => w.healthy).length} of ${workers.length} healthy`,
      latencyMs: null,
    };
    const parts = [database, temporalHealth, workerPart];
    return {
      checkedAt: new Date().toISOString(),
      healthy: parts.every((p) => p.healthy) && workers.every((w) => w.healthy),
      parts,
      workers,
    };
  }),

  /**
   * Starts the probe workflow and waits for its event: a round trip through
   * every layer. Administrators only: it starts a workflow and writes an event.
   */
  probe: adminProcedure
    .input(z.object({ note: z.string().max(200).optional() }).optional())
    .mutation(async ({ ctx, input }) => {
      const probeId = randomUUID();
      try {
        // Started by type name, not by function reference: bundlers minify function names.
        return await ctx.services.temporal.client.workflow.execute<
          typeof probeWorkflow
        >("probeWorkflow", {
          taskQueue: PLATFORM_TASK_QUEUE,
          workflowId: `probe-${probeId}`,
          args: [
            {
              probeId,
              requestedAt: new Date().toISOString(),
              ...(input?.note ? { note: input.note } : {}),
            },
          ],
          workflowExecutionTimeout: "60 seconds",
        });
      } catch (error) {
        throw new TRPCError({
          code: "SERVICE_UNAVAILABLE",
          message:
            "the probe did not complete: Temporal or the workers are unavailable (see /health)",
          cause: error,
        });
      }
    }),

  /** The newest events of the log. Administrators only: events carry private graphs. */
  recentEvents: adminProcedure
    .input(
      z
        .object({ limit: z.number().int().min(1).max(200).default(20) })
        .optional(),
    )
    .query(async ({ ctx, input }) => {
      const events = await listRecentEvents(ctx.services.db, {
        limit: input?.limit ?? 20,
      });
      return events.map((e) => ({
        position: e.position.toString(),
        stream: e.stream,
        version: e.version,
        type: e.type,
        payload: e.payload,
        time: e.time.toISOString(),
      }));
    }),
});
