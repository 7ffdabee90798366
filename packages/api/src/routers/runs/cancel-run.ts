import { finishRun } from "@loupe/db";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { readableRun } from "../../experiments/experiment-access.ts";
import { scopedProcedure } from "../../trpc.ts";

/**
 * `runs.cancel`: cancels a run that has not ended: `run.cancelled` and the
 * release of its reservation are recorded, exactly once, racing a completion
 * safely. A run still requested is then never claimed; a run in a batch is
 * skipped if its batch has not started it, its generation stops at its next
 * token, and its result is not recorded. Returns how the run ended (an
 * earlier ending wins).
 */
export const cancelRun = scopedProcedure("runs:write")
  .input(z.object({ runId: z.string().min(1).max(200) }))
  .mutation(async ({ ctx, input }) => {
    const { db } = ctx.services;
    const run = await readableRun(db, ctx.principal, input.runId);
    if (run.userId !== ctx.principal.userId && ctx.principal.role !== "admin")
      throw new TRPCError({
        code: "FORBIDDEN",
        message: `only the requester may cancel run ${run.id}`,
      });
    const ended = await finishRun(db, run.id, {
      status: "cancelled",
      by: ctx.principal.userId,
    });
    return { runId: run.id, status: ended.status };
  });
