import { listWorkerStatuses } from "@loupe/db";
import { z } from "zod";
import { notFound } from "../errors.ts";
import { tokenizerUrlOf } from "../results/result-download.ts";
import { publicProcedure, router } from "../trpc.ts";

/** The hosted models: what workers registered, and whether any serves them now. */
export const modelsRouter = router({
  list: publicProcedure.query(async ({ ctx }) => {
    const { db } = ctx.services;
    const [models, workers] = await Promise.all([
      db.model.findMany({ orderBy: { name: "asc" } }),
      listWorkerStatuses(db, 30_000),
    ]);
    return models.map((m) => ({
      name: m.name,
      hash: m.hash,
      registeredAt: m.registeredAt,
      /** Workers that heartbeated in the last 30 s with this model loaded. */
      workers: workers.filter((w) => w.models.includes(m.name)).length,
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
