import {
  domainEvents,
  findModelHosting,
  listModelHosting,
  listWorkerStatuses,
  readStream,
  requestModelHosting,
  streams,
  unhostModel,
  type WorkerStatus,
} from "@loupe/db";
import { LIVE_RUN_STATUSES, WAITING_RUN_STATUSES } from "@loupe/graph";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { notFound } from "../../errors/loupe-error.ts";
import { endRunsOfModel } from "../../models/end-runs-of-model.ts";
import {
  MODEL_NAME,
  parseModelSource,
} from "../../models/parse-model-source.ts";
import { tokenizerUrlOf } from "../../results/result-download.ts";
import { adminScopedProcedure, publicProcedure, router } from "../../trpc.ts";

const modelName = z
  .string()
  .regex(
    MODEL_NAME,
    "a model name is 1-100 of A-Z, a-z, 0-9, '.', '_' and '-', starting with a letter or digit",
  );

/** Engine memory of a model, summed over the workers that host it. */
export interface ModelMemory {
  readonly current: Record<string, number>;
  readonly peak: Record<string, number>;
}

function memoryOf(
  workers: readonly WorkerStatus[],
  model: string,
): ModelMemory | null {
  const parts = workers.flatMap((w) => {
    const m = w.memory?.models[model];
    return m ? [m] : [];
  });
  if (parts.length === 0) return null;
  const sum = (key: "current" | "peak") => {
    const out: Record<string, number> = {};
    for (const p of parts)
      for (const [category, bytes] of Object.entries(p[key]))
        out[category] = (out[category] ?? 0) + bytes;
    return out;
  };
  return { current: sum("current"), peak: sum("peak") };
}

/** The hosting events of a model's stream, as its page lists them. */
const HOSTING_EVENTS = new Set([
  "model.host_requested",
  "model.loading",
  "model.online",
  "model.refused",
  "model.failed",
  "model.unhosted",
  "model.unloaded",
]);

/**
 * The hosted models: what workers registered and where hosting each stands;
 * and, for administrators, hosting and unhosting them while Loupe runs.
 */
export const modelsRouter = router({
  list: publicProcedure.query(async ({ ctx }) => {
    const { db } = ctx.services;
    const [models, hosting, workers, load] = await Promise.all([
      db.model.findMany({ orderBy: { name: "asc" } }),
      listModelHosting(db),
      listWorkerStatuses(db, 30_000),
      db.run.groupBy({
        by: ["model", "status"],
        where: { status: { in: [...LIVE_RUN_STATUSES] } },
        _count: { _all: true },
      }),
    ]);
    const count = (model: string, statuses: readonly string[]) =>
      load
        .filter((l) => l.model === model && statuses.includes(l.status))
        .reduce((n, l) => n + l._count._all, 0);
    const registered = new Map(models.map((m) => [m.name, m]));
    const hostingOf = new Map(hosting.map((h) => [h.name, h]));
    const names = [...new Set([...registered.keys(), ...hostingOf.keys()])];
    return names.sort().map((name) => {
      const m = registered.get(name);
      const h = hostingOf.get(name);
      return {
        name,
        /** Null until a worker has loaded and registered it. */
        hash: m?.hash ?? null,
        registeredAt: m?.registeredAt ?? null,
        /**
         * Where hosting it stands: requested, loading, online, refused,
         * failed or unhosted; null for a model registered by a worker before
         * hosting was recorded.
         */
        state: h?.state ?? null,
        /** Why it was refused or failed. */
        reason: h?.reason ?? null,
        /** While loading: bytes of its files read so far, of the total. */
        loadedBytes: h?.loadedBytes ?? null,
        totalBytes: h?.totalBytes ?? null,
        stateAt: h?.updatedAt ?? null,
        /** Workers that heartbeated in the last 30 s with this model loaded. */
        workers: workers.filter((w) => w.models.includes(name)).length,
        /** Its engines' memory (bytes by category), when the engine reports it. */
        memory: memoryOf(workers, name),
        /** Runs waiting for a batch. */
        queued: count(name, WAITING_RUN_STATUSES),
        running: count(name, ["running"]),
      };
    });
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
        /** The hash of its tokenizer.json (what caches of it are keyed by); null when it has none. */
        tokenizerHash: model.tokenizerHash,
        /** Serves the model's tokenizer.json; null when it has none. */
        tokenizerUrl: model.tokenizerHash ? tokenizerUrlOf(model.name) : null,
      };
    }),

  /**
   * Where hosting a model stands, with the history of its hosting events
   * (each with its worker and reason). Where its files are is shown to
   * administrators only.
   */
  hosting: publicProcedure
    .input(z.object({ model: z.string().min(1) }))
    .query(async ({ ctx, input }) => {
      const { db } = ctx.services;
      const [status, history] = await Promise.all([
        findModelHosting(db, input.model),
        readStream(db, streams.model(input.model)),
      ]);
      if (!status && history.length === 0)
        throw notFound(`model ${input.model}`);
      const admin = ctx.principal?.role === "admin";
      return {
        state: status?.state ?? null,
        reason: status?.reason ?? null,
        source: admin ? (status?.source ?? null) : null,
        events: history
          .filter((e) => HOSTING_EVENTS.has(e.type))
          .map((stored) => {
            const e = domainEvents.parse(stored);
            const p = e.payload as Record<string, unknown>;
            const num = (k: string) => (typeof p[k] === "number" ? p[k] : null);
            return {
              type: e.type.slice("model.".length),
              at: e.time,
              workerId: typeof p.workerId === "string" ? p.workerId : null,
              reason: typeof p.reason === "string" ? p.reason : null,
              loadedBytes: num("loadedBytes"),
              totalBytes: num("totalBytes"),
              weightBytes: num("weightBytes") ?? num("freedBytes"),
              neededBytes: num("neededBytes"),
              availableBytes: num("availableBytes"),
            };
          }),
      };
    }),

  /**
   * Hosts a model while Loupe runs: records the request (where its files
   * are: nothing is uploaded), which the workers that host models on
   * request act on, each step an event on the model's stream. A model that is
   * requested, loading or online already is a CONFLICT.
   */
  host: adminScopedProcedure("models:host")
    .input(
      z.object({
        /** The name in the model's manifest (`loupe models import --name`). */
        name: modelName,
        /** An absolute path the workers can read, or s3://bucket/key.onnx. */
        source: z.string().min(1).max(2000),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const source = parseModelSource(input.source);
      if (!source.ok)
        throw new TRPCError({ code: "BAD_REQUEST", message: source.message });
      const { requestId } = await requestModelHosting(ctx.services.db, {
        name: input.name,
        source: source.value,
        by: ctx.principal.userId,
      });
      return {
        name: input.name,
        requestId,
        state: "requested" as const,
        source: source.value,
      };
    }),

  /**
   * Unhosts a model: no run on it is admitted from now on (MODEL_UNAVAILABLE,
   * naming it), runs still waiting on it fail with MODEL_UNHOSTED, and its
   * workers stop its queue and free its memory.
   */
  unhost: adminScopedProcedure("models:host")
    .input(z.object({ name: z.string().min(1) }))
    .mutation(async ({ ctx, input }) => {
      const { db } = ctx.services;
      const [hosting, registered] = await Promise.all([
        findModelHosting(db, input.name),
        db.model.findUnique({ where: { name: input.name } }),
      ]);
      if (!hosting && !registered) throw notFound(`model ${input.name}`);
      const changed = await unhostModel(db, {
        name: input.name,
        by: ctx.principal.userId,
      });
      const endedRuns = await endRunsOfModel(ctx.services, input.name);
      return {
        name: input.name,
        state: "unhosted" as const,
        /** False when it was unhosted already. */
        changed,
        endedRuns,
      };
    }),
});
