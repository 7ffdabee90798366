import { listExperimentRuns } from "@loupe/db";
import { z } from "zod";
import { readableExperiment } from "../../experiments/experiment-access.ts";
import { readProcedure } from "../../trpc.ts";
import { experimentIdInput } from "./experiment-inputs.ts";

/**
 * `experiments.runs`: every run of an experiment (any version), newest
 * first: who may read the experiment may read them.
 */
export const listRuns = readProcedure("experiments:read")
  .input(
    z.object({
      experimentId: experimentIdInput,
      limit: z.number().int().min(1).max(200).default(50),
    }),
  )
  .query(async ({ ctx, input }) => {
    const { db } = ctx.services;
    await readableExperiment(db, ctx.principal, input.experimentId);
    const rows = await listExperimentRuns(db, input.experimentId, input.limit);
    return rows.map((r) => ({
      runId: r.id,
      version: r.experimentVersion,
      status: r.status,
      cached: r.cached,
      requestedAt: r.requestedAt,
      finishedAt: r.finishedAt,
    }));
  });
