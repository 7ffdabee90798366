import { finishRun, queuePosition, streams } from "@loupe/db";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { notFound } from "../errors.ts";
import {
  readableExperiment,
  readableRun,
} from "../experiments/experiment-access.ts";
import { checkGraphForModel } from "../graphs/validate-for-model.ts";
import { assertModelRunnable } from "../models/assert-model-runnable.ts";
import { submitRun } from "../runs/submit-run.ts";
import {
  approvedProcedure,
  readProcedure,
  router,
  scopedProcedure,
} from "../trpc.ts";

const id = z.string().min(1).max(200);

const NO_VALIDATION_LIMITS = {
  maxNodes: Infinity,
  maxConstantBytes: Infinity,
  maxSavedBytes: Infinity,
};

type RunRow = Awaited<ReturnType<typeof readableRun>>;

const view = (run: RunRow, position: number | null) => ({
  runId: run.id,
  userId: run.userId,
  model: run.model,
  modelHash: run.modelHash,
  graphHash: run.graphHash,
  experiment:
    run.experimentId === null
      ? null
      : { experimentId: run.experimentId, version: run.experimentVersion! },
  status: run.status as
    "requested" | "queued" | "running" | "completed" | "failed" | "cancelled",
  /** Runs of the same model ahead of this one in the queue (null once it runs). */
  queuePosition: position,
  cached: run.cached,
  metrics: run.metrics as {
    batchId: string | null;
    forwardPasses: number;
    batchRows: number;
    runRows: number;
    computeSeconds: number;
    warnings?: string[];
  } | null,
  reservedSeconds: run.reservedSeconds,
  resultBytes: run.resultBytes === null ? null : Number(run.resultBytes),
  /** Streams the saved values as safetensors, for whoever may read this run. */
  resultUrl: run.status === "completed" ? `/api/runs/${run.id}/result` : null,
  error: run.error,
  requestedAt: run.requestedAt,
  /** When a worker claimed it into a batch (null: not yet, or never). */
  queuedAt: run.queuedAt,
  startedAt: run.startedAt,
  finishedAt: run.finishedAt,
  /** A generating run's tokens so far, per prompt row (null: not a generation, or none yet). */
  generated: run.generated as GeneratedRow[] | null,
  /** Changes whenever the state, queue position or generated tokens do (see status's long poll). */
  changeKey: `${run.status}:${position ?? ""}${run.generated ? `:${generatedCount(run.generated)}` : ""}`,
});

/** One prompt row of a generating run, as the runs table keeps it. */
export interface GeneratedRow {
  trace: number;
  invoke: number;
  row: number;
  ids: number[];
  /** The row's generated text (null: the model has no tokenizer). */
  text: string | null;
}

const generatedCount = (generated: unknown) =>
  ((generated as GeneratedRow[] | null) ?? []).reduce(
    (n, r) => n + r.ids.length,
    0,
  );

/** The longest a status long poll is held. */
const MAX_WAIT_MS = 20_000;
const TERMINAL = new Set(["completed", "failed", "cancelled"]);
const WAITING = new Set(["requested", "queued"]);

/** Runs: submit a graph (ad hoc or an experiment version), follow it, cancel it. */
export const runsRouter = router({
  submit: approvedProcedure("runs:write")
    .input(
      z
        .object({
          /** An ad-hoc graph on a model ... */
          model: z.string().min(1).optional(),
          graph: z.unknown().optional(),
          /** ... or a committed experiment version. */
          experimentId: id.optional(),
          version: z.number().int().min(1).optional(),
          /** Serve from an earlier identical run the caller may read (default on). */
          reuse: z.boolean().default(true),
          /**
           * The client's id for this request (the SDK makes one per call and
           * sends it again on retries): the same id from the same user returns
           * the same run, however often it is sent.
           */
          requestId: z
            .string()
            .min(8)
            .max(100)
            .regex(/^[A-Za-z0-9_.:-]+$/, "letters, digits and _ . : -")
            .optional(),
        })
        .refine(
          (i) =>
            (i.graph !== undefined && i.model !== undefined) !==
            (i.experimentId !== undefined && i.version !== undefined),
          "give either model and graph, or experimentId and version",
        ),
    )
    .mutation(async ({ ctx, input }) => {
      const { db } = ctx.services;
      let model = input.model!;
      let document = input.graph;
      let experiment = null;
      if (input.experimentId !== undefined) {
        await readableExperiment(db, ctx.principal, input.experimentId);
        const v = await db.experimentVersion.findUnique({
          where: {
            experimentId_version: {
              experimentId: input.experimentId,
              version: input.version!,
            },
          },
        });
        if (!v)
          throw notFound(
            `version ${input.version} of experiment ${input.experimentId}`,
          );
        model = v.model;
        document = v.graph;
        experiment = {
          experimentId: input.experimentId,
          version: input.version!,
        };
      }
      await assertModelRunnable(db, model);
      // Size limits are the user's run limits (enforced by name in submitRun).
      const checked = await checkGraphForModel(db, model, document, {
        results: ctx.services.results,
        limits: NO_VALIDATION_LIMITS,
      });
      return submitRun(ctx.services, ctx.principal, checked, {
        experiment,
        reuse: input.reuse,
        requestId: input.requestId,
      });
    }),

  /**
   * A run's status. A long poll with `waitMs` and `unlessChanged` (the
   * `changeKey` of the status the caller has): while the run's key still
   * equals it, the answer is held until the run's next event or `waitMs`,
   * so a client learns of a change as it happens without polling on a timer.
   * With `until: "ended"`, the answer is held until the run ends (or
   * `waitMs`), whatever changes on the way: a script that only wants the
   * result asks once, not once per step of the run's life.
   */
  status: readProcedure("runs:read")
    .input(
      z.object({
        runId: id,
        unlessChanged: z.string().max(100).optional(),
        until: z.enum(["changed", "ended"]).default("changed"),
        waitMs: z.number().int().min(0).max(MAX_WAIT_MS).optional(),
      }),
    )
    .query(async ({ ctx, input }) => {
      const { db, streamWaiter } = ctx.services;
      const read = async () => {
        const run = await readableRun(db, ctx.principal, input.runId);
        // Only a waiting run has a position (one query saved on every other).
        const position = WAITING.has(run.status)
          ? await queuePosition(db, run.id)
          : null;
        // The run left the queue between the two reads (a batch that starts
        // at once makes that common): read it again, so a waiting status
        // always comes with its position.
        if (position === null && WAITING.has(run.status))
          return view(await readableRun(db, ctx.principal, input.runId), null);
        return view(run, position);
      };
      let status = await read();
      const deadline = Date.now() + (input.waitMs ?? 0);
      const waiting = () =>
        (input.until === "ended" || input.unlessChanged === status.changeKey) &&
        !TERMINAL.has(status.status) &&
        Date.now() < deadline;
      // Waiting for the end, a wake-up reads only the run's status (one
      // small query) until it has ended; the full status is read once, to answer.
      const ended = async () => {
        const [row] = await db.sql.$queryRaw<{ status: string }[]>`
          SELECT status FROM runs WHERE id = ${status.runId}`;
        return row !== undefined && TERMINAL.has(row.status);
      };
      while (waiting()) {
        // Watch, then read: an event between the last read and the watch is
        // seen by this read, so none is missed.
        const watch = await streamWaiter.watch(
          streams.run(status.runId),
          deadline - Date.now(),
        );
        try {
          if (input.until === "ended") {
            // An event that did not end it: watch again, then check again.
            if (!(await ended()) && (await watch.event)) continue;
            status = await read();
            continue;
          }
          status = await read();
          if (waiting()) {
            await watch.event;
            status = await read();
          }
        } finally {
          watch.cancel();
        }
      }
      return status;
    }),

  /** The caller's runs, newest first. */
  list: scopedProcedure("runs:read")
    .input(
      z.object({
        status: z
          .enum([
            "requested",
            "queued",
            "running",
            "completed",
            "failed",
            "cancelled",
          ])
          .optional(),
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
      return rows.map((r) => view(r, null));
    }),

  /**
   * Cancels a run that has not ended: `run.cancelled` and the release of its
   * reservation are recorded, exactly once, racing a completion safely. A run
   * still requested is then never claimed; a run in a batch is skipped if its
   * batch has not started it, its generation stops at its next token, and its
   * result is not recorded. Returns how the run ended (an earlier ending wins).
   */
  cancel: scopedProcedure("runs:write")
    .input(z.object({ runId: id }))
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
    }),
});
