import { randomUUID } from "node:crypto";
import {
  findReusableRun,
  findRequestedRun,
  QuotaExceededError,
  runLimitsOf,
  serveCachedRun,
  requestRun,
  type Database,
  type RunLimits,
} from "@loupe/db";
import type { Principal } from "../auth/principal.ts";
import { LoupeError } from "../errors/loupe-error.ts";
import type { CheckedGraph } from "../graphs/validate-for-model.ts";
import type { ApiServices } from "../services.ts";
import { enforceRunLimits, measureRun } from "./enforce-run-limits.ts";
import { estimateRunSeconds } from "./estimate-run.ts";

export interface SubmittedRun {
  readonly runId: string;
  /** `completed` when served from an earlier identical run's result. */
  readonly status: string;
  readonly cached: boolean;
  readonly cachedFrom: string | null;
  /** True when the request id had been submitted before: this is that run. */
  readonly duplicate: boolean;
}

/**
 * Submits a checked graph as a run, once per request id:
 * 1. the user's run limits (rows, tokens, nodes, constants, result bytes) and
 *    the model's (vocabulary, positions) are enforced, by name, before anything
 *    is recorded;
 * 2. a request id this user submitted before returns that run (a client's
 *    retry never makes a second, charged run; PostgreSQL enforces it);
 * 3. with `reuse`, an earlier identical run (same graph hash, same model hash)
 *    the requester may read serves the result: no worker work, no quota;
 * 4. otherwise the request, its graph (stored once, by hash) and its quota
 *    reservation are recorded atomically (or refused with QUOTA_EXCEEDED),
 *    and the workers hosting the model are notified in the same transaction:
 *    one of them claims the run into its next batch (claimRuns). Nothing on
 *    this path talks to Temporal, so a stalled Temporal never holds a
 *    submit: the run waits, recorded and reserved, until a worker can start
 *    its batch.
 */
export async function submitRun(
  services: ApiServices,
  principal: Principal,
  checked: CheckedGraph,
  options: {
    experiment: { experimentId: string; version: number } | null;
    reuse: boolean;
    requestId?: string | undefined;
  },
): Promise<SubmittedRun> {
  const { db } = services;
  const userId = principal.userId;
  const requestId = options.requestId ?? null;
  // The model's limits now; the user's under their quota lock, as the run
  // is recorded (one read of the quota, not two).
  const size = await measureRun(checked);
  enforceRunLimits(checked, size);
  const admit = (limits: RunLimits) => enforceRunLimits(checked, size, limits);
  const runId = randomUUID();
  const facts = {
    runId,
    userId,
    model: checked.model.name,
    modelHash: checked.model.hash,
    graph: { json: checked.json, types: Object.fromEntries(checked.types) },
    graphHash: checked.graphHash,
    ...(checked.sources && { sources: checked.sources }),
    experiment: options.experiment,
    requestId,
  };
  if (options.reuse) {
    if (requestId !== null) {
      const first = await findRequestedRun(db, userId, requestId);
      if (first) return repeated(services, checked, requestId, first);
    }
    await enforceQuotaLimits(db, userId, admit);
    const earlier = await findReusableRun(db, {
      userId,
      graphHash: checked.graphHash,
      modelHash: checked.model.hash,
    });
    if (earlier) {
      try {
        await serveCachedRun(db, facts, earlier);
      } catch (error) {
        // A concurrent request with the same id recorded its run first.
        if (requestId === null || !isUniqueViolation(error)) throw error;
        const first = await findRequestedRun(db, userId, requestId);
        if (!first) throw error;
        return repeated(services, checked, requestId, first);
      }
      return {
        runId,
        status: "completed",
        cached: true,
        cachedFrom: earlier.runId,
        duplicate: false,
      };
    }
  }
  const requested = await requestRun(db, {
    ...facts,
    admit,
    estimatedSeconds: estimateRunSeconds(
      checked.graph,
      checked.model.secondsPerToken,
    ),
  });
  if (requested.duplicate)
    return repeated(services, checked, requestId!, requested);
  return {
    runId,
    status: "requested",
    cached: false,
    cachedFrom: null,
    duplicate: false,
  };
}

/** The run an earlier request with this id made (refused if it was for another graph). */
async function repeated(
  services: ApiServices,
  checked: CheckedGraph,
  requestId: string,
  earlier: { runId: string; graphHash: string },
): Promise<SubmittedRun> {
  if (earlier.graphHash !== checked.graphHash)
    throw new LoupeError(
      { code: "REQUEST_ID_REUSED", requestId, runId: earlier.runId },
      `request id ${requestId} was already used for run ${earlier.runId}, of another graph; use a new request id for a new run`,
    );
  const run = await services.db.run.findUniqueOrThrow({
    where: { id: earlier.runId },
  });
  return {
    runId: run.id,
    status: run.status,
    cached: run.cached,
    cachedFrom: null,
    duplicate: true,
  };
}

/** Checks the user's run limits (their quota's); QUOTA_EXCEEDED without a quota. */
async function enforceQuotaLimits(
  db: Database,
  userId: string,
  admit: (limits: RunLimits) => void,
): Promise<void> {
  const quota = await db.quota.findUnique({ where: { userId } });
  if (!quota) throw new QuotaExceededError("none", 0, 0);
  admit(runLimitsOf(quota));
}

const isUniqueViolation = (error: unknown) =>
  error instanceof Error &&
  /unique constraint|23505|P2002/i.test(error.message);
