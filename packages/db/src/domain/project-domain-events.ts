import type { Database } from "../create-database.ts";
import type { Prisma } from "../generated/prisma/client.ts";
import type { StoredEvent, Transaction } from "../events/append-events.ts";
import type { RawTransaction } from "../sql-transaction.ts";
import { domainEvents, type DomainEvent } from "./domain-events.ts";
import { projectModelHosting } from "./project-model-hosting.ts";

/** The read-model tables the domain projection owns (rebuilt from the log). */
export const READ_MODEL_TABLES = [
  "accounts",
  "quotas",
  "api_keys",
  "experiments",
  "experiment_versions",
  "experiment_stars",
  "runs",
  "quota_usage",
  "models",
  "model_hosting",
] as const;

/** A run's status moves forward only: a late `queued` never reopens a finished run. */
const BEFORE: Record<string, string[]> = {
  queued: ["requested"],
  running: ["requested", "queued"],
  finished: ["requested", "queued", "running"],
};

/**
 * Applies domain events to the read models, in the transaction that appends
 * them (pass it as appendEvents' `project`) or while rebuilding. Timestamps come
 * from the events, so a rebuild reproduces the read models exactly.
 */
export async function projectDomainEvents(
  tx: Transaction,
  events: readonly StoredEvent[],
): Promise<void> {
  await project(tx, events, (e, at) => apply(tx, e, at));
}

/**
 * projectDomainEvents for the run path's events (a run's request and its
 * reservation, its steps, its ending and settlement), in raw SQL only, so it
 * runs in sqlTransaction's transactions. Any other event is an error.
 */
export async function projectRunEvents(
  tx: RawTransaction,
  events: readonly StoredEvent[],
): Promise<void> {
  await project(tx, events, (e) => {
    throw new Error(
      `projectRunEvents: ${e.type} is not an event of a run's path (project it with projectDomainEvents)`,
    );
  });
}

/** The run path's events in raw SQL; any other event goes to `other`. */
async function project(
  tx: RawTransaction,
  events: readonly StoredEvent[],
  other: (e: DomainEvent, at: Date) => Promise<void>,
): Promise<void> {
  const parsed = events
    .filter((stored) => domainEvents.has(stored.type))
    .map((stored) => ({ e: domainEvents.parse(stored), at: stored.time }));
  if (await applyRunSteps(tx, parsed)) return;
  for (const { e, at } of parsed)
    if (!(await applyRunEvent(tx, e, at))) await other(e, at);
}

/** The events of a run's life after its request, which a batch appends for many runs at once. */
const RUN_STEPS = new Set([
  "run.queued",
  "run.started",
  "run.completed",
  "run.failed",
  "run.cancelled",
  "quota.settled",
]);

/**
 * A batch's bookkeeping (a claim's run.queued, a start's run.started, the
 * endings with their quota.settled) projected with one statement per event
 * type for every run, not one per event: what a batch costs is then nearly
 * independent of its size. Only when every event is such a step and each
 * run has one of them, or an ending and its settlement (so order between
 * them cannot matter: each updates its own row or columns, settlements add
 * up); false, doing nothing, otherwise (the events are then applied one by one).
 */
async function applyRunSteps(
  tx: RawTransaction,
  events: readonly { e: DomainEvent; at: Date }[],
): Promise<boolean> {
  const byType = new Map<string, { e: DomainEvent; at: Date }[]>();
  const ofRun = new Map<string, string[]>();
  for (const x of events) {
    if (!RUN_STEPS.has(x.e.type)) return false;
    const runId = (x.e.payload as { runId: string }).runId;
    const types = ofRun.get(runId) ?? [];
    types.push(x.e.type);
    ofRun.set(runId, types);
    // One step per run, or an ending with its settlement: anything else
    // (a rebuild's run.queued then run.started) is applied in order.
    if (
      types.length > 2 ||
      (types.length === 2 &&
        (types[1] !== "quota.settled" || types[0] === "quota.settled"))
    )
      return false;
    const list = byType.get(x.e.type) ?? [];
    list.push(x);
    byType.set(x.e.type, list);
  }
  for (const [type, list] of byType) {
    const ids = list.map((x) => (x.e.payload as { runId: string }).runId);
    const ats = list.map((x) => x.at);
    switch (type) {
      case "run.queued": {
        const batches = list.map(
          (x) => (x.e.payload as { batchId: string | null }).batchId,
        );
        await tx.$executeRaw`
          UPDATE runs SET status = 'queued', batch_id = v.batch_id, queued_at = v.at
          FROM unnest(${ids}::text[], ${batches}::text[], ${ats}::timestamptz[]) AS v(id, batch_id, at)
          WHERE runs.id = v.id AND runs.status = ANY(${BEFORE.queued}::text[])`;
        break;
      }
      case "run.started":
        await tx.$executeRaw`
          UPDATE runs SET status = 'running', started_at = v.at
          FROM unnest(${ids}::text[], ${ats}::timestamptz[]) AS v(id, at)
          WHERE runs.id = v.id AND runs.status = ANY(${BEFORE.running}::text[])`;
        break;
      case "run.completed": {
        const p = list.map(
          (x) =>
            x.e.payload as {
              resultHash: string;
              resultBytes: number;
              cached: boolean;
              metrics: unknown;
            },
        );
        await tx.$executeRaw`
          UPDATE runs SET status = 'completed', result_hash = v.hash,
            result_bytes = v.bytes, cached = v.cached, metrics = v.metrics::jsonb,
            finished_at = v.at
          FROM unnest(${ids}::text[], ${p.map((x) => x.resultHash)}::text[],
                      ${p.map((x) => String(x.resultBytes))}::bigint[],
                      ${p.map((x) => x.cached)}::boolean[],
                      ${p.map((x) => JSON.stringify(x.metrics))}::text[],
                      ${ats}::timestamptz[])
            AS v(id, hash, bytes, cached, metrics, at)
          WHERE runs.id = v.id`;
        break;
      }
      case "run.failed": {
        const errors = list.map((x) => {
          const p = x.e.payload as { code: string; reason: string };
          return `${p.code}: ${p.reason}`;
        });
        await tx.$executeRaw`
          UPDATE runs SET status = 'failed', error = v.error, finished_at = v.at
          FROM unnest(${ids}::text[], ${errors}::text[], ${ats}::timestamptz[]) AS v(id, error, at)
          WHERE runs.id = v.id`;
        break;
      }
      case "run.cancelled":
        await tx.$executeRaw`
          UPDATE runs SET status = 'cancelled', finished_at = v.at
          FROM unnest(${ids}::text[], ${ats}::timestamptz[]) AS v(id, at)
          WHERE runs.id = v.id`;
        break;
      case "quota.settled": {
        const p = list.map(
          (x) =>
            x.e.payload as {
              userId: string;
              day: string;
              reservedSeconds: number;
              computeSeconds: number;
              resultBytes: number;
            },
        );
        await tx.$executeRaw`
          UPDATE quota_usage SET active_runs = active_runs - v.n,
            reserved_seconds = reserved_seconds - v.reserved,
            used_seconds = used_seconds + v.used,
            result_bytes = result_bytes + v.bytes
          FROM (
            SELECT user_id, day, count(*)::int AS n, sum(reserved) AS reserved,
              sum(used) AS used, sum(bytes)::bigint AS bytes
            FROM unnest(${p.map((x) => x.userId)}::text[], ${p.map((x) => x.day)}::text[],
                        ${p.map((x) => x.reservedSeconds)}::float8[],
                        ${p.map((x) => x.computeSeconds)}::float8[],
                        ${p.map((x) => String(x.resultBytes))}::bigint[])
              AS u(user_id, day, reserved, used, bytes)
            GROUP BY user_id, day
          ) AS v
          WHERE quota_usage.user_id = v.user_id AND quota_usage.day = v.day`;
        break;
      }
    }
  }
  return true;
}

/**
 * A run-path event in raw SQL: a run's request, its reservation, or one step
 * of its life (applyRunSteps with one event). False for any other event.
 */
async function applyRunEvent(
  tx: RawTransaction,
  e: DomainEvent,
  at: Date,
): Promise<boolean> {
  if (RUN_STEPS.has(e.type)) return applyRunSteps(tx, [{ e, at }]);
  switch (e.type) {
    case "run.requested": {
      // On every submit's path.
      const p = e.payload;
      await tx.$executeRaw`
        INSERT INTO runs (id, user_id, model, model_hash, graph_hash,
          experiment_id, experiment_version, status, request_id, requested_at)
        VALUES (${p.runId}, ${p.userId}, ${p.model}, ${p.modelHash}, ${p.graphHash},
          ${p.experiment?.experimentId ?? null}, ${p.experiment?.version ?? null}::int,
          'requested', ${p.requestId}, ${at})`;
      return true;
    }
    case "quota.reserved": {
      const p = e.payload;
      await tx.$executeRaw`
        INSERT INTO quota_usage (user_id, day, runs, active_runs, reserved_seconds)
        VALUES (${p.userId}, ${p.day}, 1, 1, ${p.computeSeconds}::float8)
        ON CONFLICT (user_id, day) DO UPDATE SET
          runs = quota_usage.runs + 1,
          active_runs = quota_usage.active_runs + 1,
          reserved_seconds = quota_usage.reserved_seconds + excluded.reserved_seconds`;
      await tx.$executeRaw`
        UPDATE runs SET reserved_seconds = ${p.computeSeconds}::float8 WHERE id = ${p.runId}`;
      return true;
    }
  }
  return false;
}

async function apply(tx: Transaction, e: DomainEvent, at: Date): Promise<void> {
  switch (e.type) {
    case "account.created": {
      const p = e.payload;
      await tx.account.create({
        data: {
          id: p.userId,
          email: p.email,
          name: p.name,
          role: p.role,
          // Administrators need no access application.
          access: p.role === "admin" ? "approved" : "none",
          createdAt: at,
          updatedAt: at,
        },
      });
      return;
    }
    case "account.disabled":
      await tx.account.update({
        where: { id: e.payload.userId },
        data: { disabledAt: at, updatedAt: at },
      });
      return;
    case "account.enabled":
      await tx.account.update({
        where: { id: e.payload.userId },
        data: { disabledAt: null, updatedAt: at },
      });
      return;
    // Its effects are operational state (sessions, links, the credential)
    // and the api_key.revoked events beside it.
    case "account.password_reset":
      return;
    case "application.submitted": {
      const { userId, ...application } = e.payload;
      await tx.account.update({
        where: { id: userId },
        data: {
          access: "pending",
          application,
          rejectionReason: null,
          updatedAt: at,
        },
      });
      return;
    }
    case "application.approved":
      await tx.account.update({
        where: { id: e.payload.userId },
        data: { access: "approved", rejectionReason: null, updatedAt: at },
      });
      return;
    case "application.rejected":
      await tx.account.update({
        where: { id: e.payload.userId },
        data: {
          access: "rejected",
          rejectionReason: e.payload.reason,
          updatedAt: at,
        },
      });
      return;
    case "quota.granted": {
      const { userId, by: _by, ...quota } = e.payload;
      const data = {
        ...quota,
        maxResultBytes: BigInt(quota.maxResultBytes),
        maxConstantBytesPerRun: BigInt(quota.maxConstantBytesPerRun),
        maxResultBytesPerRun: BigInt(quota.maxResultBytesPerRun),
        maxRequestBytes: BigInt(quota.maxRequestBytes),
        updatedAt: at,
      };
      await tx.quota.upsert({
        where: { userId },
        create: { userId, ...data },
        update: data,
      });
      return;
    }
    case "api_key.created": {
      const p = e.payload;
      await tx.apiKey.create({
        data: {
          id: p.keyId,
          userId: p.userId,
          name: p.name,
          prefix: p.prefix,
          hash: p.hash,
          scopes: p.scopes,
          createdAt: at,
        },
      });
      return;
    }
    case "api_key.revoked":
      await tx.apiKey.update({
        where: { id: e.payload.keyId },
        data: { revokedAt: at },
      });
      return;
    case "experiment.created": {
      const p = e.payload;
      await tx.experiment.create({
        data: {
          id: p.experimentId,
          ownerId: p.ownerId,
          title: p.title,
          description: p.description,
          visibility: p.visibility,
          license: p.license,
          forkedFromId: p.forkedFrom?.experimentId ?? null,
          forkedFromVersion: p.forkedFrom?.version ?? null,
          tags: p.tags,
          createdAt: at,
          updatedAt: at,
        },
      });
      if (p.forkedFrom)
        await tx.experiment.update({
          where: { id: p.forkedFrom.experimentId },
          data: { forks: { increment: 1 } },
        });
      return;
    }
    case "experiment.described": {
      const p = e.payload;
      await tx.experiment.update({
        where: { id: p.experimentId },
        data: {
          title: p.title,
          description: p.description,
          tags: p.tags,
          license: p.license,
          updatedAt: at,
        },
      });
      return;
    }
    case "experiment.version_committed": {
      const p = e.payload;
      await tx.experimentVersion.create({
        data: {
          experimentId: p.experimentId,
          version: p.version,
          graph: p.graph as Prisma.InputJsonObject,
          graphHash: p.graphHash,
          model: p.model,
          message: p.message,
          authorId: p.authorId,
          createdAt: at,
        },
      });
      await tx.experiment.update({
        where: { id: p.experimentId },
        data: { latestVersion: p.version, model: p.model, updatedAt: at },
      });
      return;
    }
    case "experiment.visibility_changed":
      await tx.experiment.update({
        where: { id: e.payload.experimentId },
        data: { visibility: e.payload.visibility, updatedAt: at },
      });
      return;
    case "experiment.starred":
    case "experiment.unstarred": {
      const key = {
        experimentId: e.payload.experimentId,
        userId: e.payload.userId,
      };
      if (e.type === "experiment.starred")
        await tx.experimentStar.upsert({
          where: { experimentId_userId: key },
          create: key,
          update: {},
        });
      else await tx.experimentStar.deleteMany({ where: key });
      const stars = await tx.experimentStar.count({
        where: { experimentId: key.experimentId },
      });
      await tx.experiment.update({
        where: { id: key.experimentId },
        data: { stars },
      });
      return;
    }
    case "run.tokens": {
      const run = await tx.run.findUnique({
        where: { id: e.payload.runId },
        select: { generated: true },
      });
      if (!run) return;
      await tx.run.update({
        where: { id: e.payload.runId },
        data: {
          generated: mergeTokens(
            (run.generated as GeneratedRows | null) ?? [],
            e.payload.tokens,
          ),
        },
      });
      return;
    }
    case "model.registered": {
      const p = e.payload;
      const data = {
        hash: p.hash,
        manifest: p.manifest as Prisma.InputJsonObject,
        secondsPerToken: p.secondsPerToken,
        tokenizerHash: p.tokenizerHash,
        registeredAt: at,
      };
      await tx.model.upsert({
        where: { name: p.name },
        create: { name: p.name, ...data },
        update: data,
      });
      return;
    }
    case "model.host_requested":
    case "model.loading":
    case "model.online":
    case "model.refused":
    case "model.failed":
    case "model.unhosted":
    case "model.unloaded":
      await projectModelHosting(tx, e, at);
      return;
  }
}

/**
 * Rebuilds every domain read model from the event log: empties the tables and
 * replays all events in the subscriber's order (transaction id, position), in
 * one transaction, so readers never see a half-built state.
 */
export async function rebuildDomainProjections(db: Database): Promise<number> {
  return db.$transaction(
    async (tx) => {
      await tx.$executeRawUnsafe(
        `TRUNCATE ${READ_MODEL_TABLES.map((t) => `"${t}"`).join(", ")}`,
      );
      let count = 0;
      let after = { tx: "0", position: 0n };
      for (;;) {
        const batch = await tx.$queryRaw<(StoredEvent & { tx_id: string })[]>`
          SELECT position, stream, version, type, payload, metadata, time, tx_id::text AS tx_id
          FROM events
          WHERE (tx_id, position) > (${after.tx}::xid8, ${after.position})
          ORDER BY tx_id, position
          LIMIT 1000`;
        if (batch.length === 0) return count;
        await projectDomainEvents(tx, batch);
        count += batch.length;
        const last = batch.at(-1)!;
        after = { tx: last.tx_id, position: last.position };
      }
    },
    { maxWait: 30_000, timeout: 600_000 },
  );
}

/** A generating run's rows as the runs table keeps them. */
type GeneratedRows = {
  trace: number;
  invoke: number;
  row: number;
  ids: number[];
  text: string | null;
}[];

/**
 * Adds streamed tokens to their rows: a token lands at its step, so a retried
 * run's tokens (the same steps again) replace rather than repeat.
 */
function mergeTokens(
  rows: GeneratedRows,
  tokens: readonly {
    trace: number;
    invoke: number;
    row: number;
    step: number;
    id: number;
    text: string | null;
  }[],
): GeneratedRows {
  const out = rows.map((r) => ({ ...r, ids: [...r.ids] }));
  for (const t of tokens) {
    let row = out.find(
      (r) => r.trace === t.trace && r.invoke === t.invoke && r.row === t.row,
    );
    if (!row) {
      row = {
        trace: t.trace,
        invoke: t.invoke,
        row: t.row,
        ids: [],
        text: null,
      };
      out.push(row);
    }
    if (t.step > row.ids.length) continue; // a gap: a retry's earlier steps come first
    row.ids[t.step] = t.id;
    row.ids.length = t.step + 1;
    row.text = t.text;
  }
  return out.sort(
    (a, b) => a.trace - b.trace || a.invoke - b.invoke || a.row - b.row,
  );
}
