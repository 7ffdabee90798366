import {
  mergeGeneratedTokens,
  type GeneratedRows,
} from "./merge-generated-tokens.ts";
import { eachEvent, type Projection } from "./projection.ts";

/** A run's status moves forward only: a late `queued` or `started` never moves it back. */
const BEFORE = {
  queued: ["requested"],
  running: ["requested", "queued"],
};

/** The steps of a run's life after its request, which a batch records for many runs at once. */
type RunStepType =
  | "run.queued"
  | "run.started"
  | "run.completed"
  | "run.failed"
  | "run.cancelled";

const runIdsOf = (events: readonly { e: { payload: { runId: string } } }[]) =>
  events.map((x) => x.e.payload.runId);
const timesOf = (events: readonly { at: Date }[]) => events.map((x) => x.at);

/**
 * The `runs` read model: each run's request, reservation, status and its
 * times, its batch, its result or error, and the tokens it generated so far.
 * A run's steps and endings are one statement for all the events of a type,
 * however many runs a batch claimed, started or ended.
 */
export const runsProjection: Projection<
  "run.requested" | "quota.reserved" | RunStepType | "run.tokens"
> = {
  // On every submit's path.
  "run.requested": eachEvent(async (tx, { payload: p }, at) => {
    await tx.$executeRaw`
      INSERT INTO runs (id, user_id, model, model_hash, graph_hash,
        experiment_id, experiment_version, status, request_id, requested_at)
      VALUES (${p.runId}, ${p.userId}, ${p.model}, ${p.modelHash}, ${p.graphHash},
        ${p.experiment?.experimentId ?? null}, ${p.experiment?.version ?? null}::int,
        'requested', ${p.requestId}, ${at})`;
  }),
  "quota.reserved": eachEvent(async (tx, { payload: p }) => {
    await tx.$executeRaw`
      UPDATE runs SET reserved_seconds = ${p.computeSeconds}::float8 WHERE id = ${p.runId}`;
  }),
  "run.queued": async (tx, events) => {
    const batches = events.map((x) => x.e.payload.batchId);
    await tx.$executeRaw`
      UPDATE runs SET status = 'queued', batch_id = v.batch_id, queued_at = v.at
      FROM unnest(${runIdsOf(events)}::text[], ${batches}::text[], ${timesOf(events)}::timestamptz[]) AS v(id, batch_id, at)
      WHERE runs.id = v.id AND runs.status = ANY(${BEFORE.queued}::text[])`;
  },
  "run.started": async (tx, events) => {
    await tx.$executeRaw`
      UPDATE runs SET status = 'running', started_at = v.at
      FROM unnest(${runIdsOf(events)}::text[], ${timesOf(events)}::timestamptz[]) AS v(id, at)
      WHERE runs.id = v.id AND runs.status = ANY(${BEFORE.running}::text[])`;
  },
  "run.completed": async (tx, events) => {
    const p = events.map((x) => x.e.payload);
    await tx.$executeRaw`
      UPDATE runs SET status = 'completed', result_hash = v.hash,
        result_bytes = v.bytes, cached = v.cached, metrics = v.metrics::jsonb,
        finished_at = v.at
      FROM unnest(${runIdsOf(events)}::text[], ${p.map((x) => x.resultHash)}::text[],
                  ${p.map((x) => String(x.resultBytes))}::bigint[],
                  ${p.map((x) => x.cached)}::boolean[],
                  ${p.map((x) => JSON.stringify(x.metrics))}::text[],
                  ${timesOf(events)}::timestamptz[])
        AS v(id, hash, bytes, cached, metrics, at)
      WHERE runs.id = v.id`;
  },
  "run.failed": async (tx, events) => {
    const errors = events.map(
      (x) => `${x.e.payload.code}: ${x.e.payload.reason}`,
    );
    await tx.$executeRaw`
      UPDATE runs SET status = 'failed', error = v.error, finished_at = v.at
      FROM unnest(${runIdsOf(events)}::text[], ${errors}::text[], ${timesOf(events)}::timestamptz[]) AS v(id, error, at)
      WHERE runs.id = v.id`;
  },
  "run.cancelled": async (tx, events) => {
    await tx.$executeRaw`
      UPDATE runs SET status = 'cancelled', finished_at = v.at
      FROM unnest(${runIdsOf(events)}::text[], ${timesOf(events)}::timestamptz[]) AS v(id, at)
      WHERE runs.id = v.id`;
  },
  // Tokens of a run the log has no request of change nothing.
  "run.tokens": eachEvent(async (tx, { payload: p }) => {
    const run = await tx.run.findUnique({
      where: { id: p.runId },
      select: { generated: true },
    });
    if (!run) return;
    await tx.run.update({
      where: { id: p.runId },
      data: {
        generated: mergeGeneratedTokens(
          (run.generated as GeneratedRows | null) ?? [],
          p.tokens,
        ),
      },
    });
  }),
};
