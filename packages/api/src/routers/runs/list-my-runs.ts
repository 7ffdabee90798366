import { RUN_STATUSES } from "@loupe/graph";
import { z } from "zod";
import { scopedProcedure } from "../../trpc.ts";
import { toRunView } from "./run-view.ts";

/** `runs.list`: the caller's runs, newest first, by status and model when asked. */
export const listMyRuns = scopedProcedure("runs:read")
  .input(
    z.object({
      status: z.enum(RUN_STATUSES).optional(),
      model: z.string().optional(),
      limit: z.number().int().min(1).max(200).default(50),
    }),
  )
  .query(async ({ ctx, input }) => {
    const rows = await ctx.services.db.run.findMany({
      where: {
        userId: ctx.principal.userId,
        ...(input.status ? { status: input.status } : {}),
        ...(input.model ? { model: input.model } : {}),
      },
      orderBy: { requestedAt: "desc" },
      take: input.limit,
    });
    return rows.map((r) => toRunView(r, null));
  });
