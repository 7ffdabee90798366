import { listWorkerStatuses } from "@loupe/db";
import { z } from "zod";
import { notFound } from "../errors.ts";
import { tokenizerUrlOf } from "../results/result-download.ts";
import { publicProcedure, router } from "../trpc.ts";

/** The hosted models: what workers registered, and whether any serves them now. */
export const modelsRouter = router({
  list: publicProcedure.query(async ({ ctx }) => {
    const { db } = ctx.services;
    const [models, workers, load] = await Promise.all([
      db.model.findMany({ orderBy: { name: "asc" } }),
      listWorkerStatuses(db, 30_000),
      db.run.groupBy({
        by: ["model", "status"],
        where: { status: { in: ["requested", "queued", "running"] } },
        _count: { _all: true },
      }),
    ]);
    const count = (model: string, statuses: string[]) =>
      load
        .filter((l) => l.model === model && statuses.includes(l.status))
        .reduce((n, l) => n + l._count._all, 0);
    return models.map((m) => ({
      name: m.name,
      hash: m.hash,
      registeredAt: m.registeredAt,
      /** Workers that heartbeated in the last 30 s with this model loaded. */
      workers: workers.filter((w) => w.models.includes(m.name)).length,
      /** Runs waiting for a batch. */
      queued: count(m.name, ["requested", "queued"]),
      running: count(m.name, ["running"]),
    }));
  }),
  manifest: publicProcedure
    .input(z.object({ model: z.string().min(1) }))
    .query(async ({ ctx, input }) => {
      const model = await ctx.services.db.model.findUnique({
        where: { name: input.model },
      });
      if (!model) throw notFound(`model ${input.model}`);
      return {
        name: model.name,
        hash: model.hash,
        manifest: model.manifest,
        /** Serves the model's tokenizer.json; null when it has none. */
        tokenizerUrl: model.tokenizerHash ? tokenizerUrlOf(model.name) : null,
      };
    }),
});
