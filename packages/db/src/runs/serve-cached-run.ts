import type { Database } from "../create-database.ts";
import {
  appendInTransaction,
  TRANSACTION_OPTIONS,
} from "../events/append-events.ts";
import { storeGraph } from "./graphs.ts";
import { storeRunSources } from "./run-sources.ts";
import { domainEvents, streams } from "../domain/domain-events.ts";
import { projectDomainEvents } from "../domain/project-domain-events.ts";
import type { GeneratedRows } from "../domain/projections/merge-generated-tokens.ts";
import type { RunRequestFacts } from "./request-run.ts";

/** An earlier completed run whose result a new run may reuse. */
export interface ReusableRun {
  readonly runId: string;
  readonly resultHash: string;
  readonly resultBytes: number;
  /** Its generated tokens per prompt row (null: it generated nothing). */
  readonly generated: GeneratedRows | null;
}

/**
 * The earliest completed run of the same graph on the same model (same model
 * hash) that `userId` may read: one of their own runs, or a run of a public
 * experiment. Another user's private (or unlisted) runs are never reused:
 * reusing them would leak that someone ran this exact graph, and its result.
 */
export async function findReusableRun(
  db: Database,
  q: { userId: string; graphHash: string; modelHash: string },
): Promise<ReusableRun | null> {
  const rows = await db.$queryRaw<
    {
      id: string;
      result_hash: string;
      result_bytes: bigint;
      generated: GeneratedRows | null;
    }[]
  >`
    SELECT r.id, r.result_hash, r.result_bytes, r.generated
    FROM runs r
    LEFT JOIN experiments e ON e.id = r.experiment_id
    WHERE r.graph_hash = ${q.graphHash}
      AND r.model_hash = ${q.modelHash}
      AND r.status = 'completed'
      AND r.result_hash IS NOT NULL
      AND (r.user_id = ${q.userId} OR e.visibility = 'public')
    ORDER BY r.requested_at
    LIMIT 1`;
  const row = rows[0];
  return row
    ? {
        runId: row.id,
        resultHash: row.result_hash,
        resultBytes: Number(row.result_bytes),
        generated: row.generated,
      }
    : null;
}

/**
 * Records a run served from an earlier run's result: requested and completed
 * in one append (with the earlier run's generated tokens, if any, as one
 * `run.tokens` event between), with no reservation and no worker work. A cache hit costs no
 * quota: it uses no compute, stores no new bytes, and never occupies a
 * concurrency slot (the requester still has to be approved to submit at all).
 */
export async function serveCachedRun(
  db: Database,
  facts: Omit<RunRequestFacts, "estimatedSeconds">,
  from: ReusableRun,
): Promise<void> {
  const stream = streams.run(facts.runId);
  const { graph, sources, ...requested } = facts;
  await db.$transaction(async (tx) => {
    await storeGraph(tx, facts.graphHash, facts.modelHash, graph);
    if (sources)
      await storeRunSources(tx, facts.runId, facts.graphHash, sources);
    await appendInTransaction(
      tx,
      [
        {
          stream,
          expectedVersion: 0,
          events: [
            domainEvents.event(stream, "run.requested", requested),
            ...(from.generated?.some((r) => r.ids.length > 0)
              ? [
                  domainEvents.event(stream, "run.tokens", {
                    runId: facts.runId,
                    tokens: from.generated.flatMap((r) =>
                      r.ids.map((id, step) => ({
                        trace: r.trace,
                        invoke: r.invoke,
                        row: r.row,
                        step,
                        id,
                        text: step === r.ids.length - 1 ? r.text : null,
                      })),
                    ),
                  }),
                ]
              : []),
            domainEvents.event(stream, "run.completed", {
              runId: facts.runId,
              resultHash: from.resultHash,
              resultBytes: from.resultBytes,
              cached: true,
              metrics: {
                batchId: null,
                forwardPasses: 0,
                batchRows: 0,
                runRows: 0,
                computeSeconds: 0,
              },
            }),
          ],
        },
      ],
      projectDomainEvents,
    );
  }, TRANSACTION_OPTIONS);
}
