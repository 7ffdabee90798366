import { findGraphDocument } from "@loupe/db";
import { z } from "zod";
import { readableRun } from "../../experiments/experiment-access.ts";
import { notFound } from "../../errors/loupe-error.ts";
import { readProcedure } from "../../trpc.ts";

/**
 * `runs.graph`: the graph a run ran, as stored under its hash, for whoever
 * may read the run (anyone else gets NOT_FOUND, as for `runs.status`). The
 * portal labels a run's tokens and prompts with it.
 */
export const readRunGraph = readProcedure("runs:read")
  .input(z.object({ runId: z.string().min(1).max(200) }))
  .query(async ({ ctx, input }) => {
    const { db } = ctx.services;
    const run = await readableRun(db, ctx.principal, input.runId);
    const document = await findGraphDocument(db, run.graphHash);
    if (document === null) throw notFound(`graph ${run.graphHash}`);
    return { graphHash: run.graphHash, document };
  });
