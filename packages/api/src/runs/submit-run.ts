import { randomUUID } from "node:crypto";
import {
  findReusableRun,
  finishRun,
  requestRun,
  serveCachedRun,
} from "@loupe/db";
import type { runWorkflow } from "@loupe/workflows";
import { PLATFORM_TASK_QUEUE } from "@loupe/workflows";
import type { Principal } from "../auth/principal.ts";
import { toApiError } from "../errors.ts";
import type { CheckedGraph } from "../graphs/validate-for-model.ts";
import type { ApiServices } from "../services.ts";
import { estimateRunSeconds } from "./estimate-run.ts";

export interface SubmittedRun {
  readonly runId: string;
  /** `completed` when served from an earlier identical run's result. */
  readonly status: "queued" | "completed";
  readonly cached: boolean;
  readonly cachedFrom: string | null;
}

/**
 * Submits a checked graph as a run. Served from an earlier identical run
 * (same graph hash, same model hash) that the requester may read, when there
 * is one and `reuse` is on: no worker work and no quota. Otherwise the
 * request and its quota reservation are recorded atomically (or rejected with
 * QUOTA_EXCEEDED) and the run's workflow is started; if Temporal refuses the
 * start, the run is ended as failed at once and its reservation released.
 */
export async function submitRun(
  services: ApiServices,
  principal: Principal,
  checked: CheckedGraph,
  options: {
    experiment: { experimentId: string; version: number } | null;
    reuse: boolean;
  },
): Promise<SubmittedRun> {
  const { db } = services;
  const runId = randomUUID();
  const facts = {
    runId,
    userId: principal.userId,
    model: checked.model.name,
    modelHash: checked.model.hash,
    graph: checked.document,
    graphHash: checked.graphHash,
    experiment: options.experiment,
  };
  if (options.reuse) {
    const earlier = await findReusableRun(db, {
      userId: principal.userId,
      graphHash: checked.graphHash,
      modelHash: checked.model.hash,
    });
    if (earlier) {
      await serveCachedRun(db, facts, earlier);
      return {
        runId,
        status: "completed",
        cached: true,
        cachedFrom: earlier.runId,
      };
    }
  }
  await requestRun(db, {
    ...facts,
    estimatedSeconds: estimateRunSeconds(
      checked.graph,
      checked.model.secondsPerToken,
    ),
  }).catch(toApiError);
  const platformTaskQueue = services.runs.platformTaskQueue;
  try {
    await services.temporal.client.workflow.start<typeof runWorkflow>(
      "runWorkflow",
      {
        taskQueue: platformTaskQueue ?? PLATFORM_TASK_QUEUE,
        workflowId: runWorkflowId(runId),
        args: [
          {
            runId,
            userId: principal.userId,
            model: checked.model.name,
            graph: checked.document,
          },
        ],
      },
    );
  } catch (error) {
    await finishRun(db, runId, {
      status: "failed",
      code: "SCHEDULING_FAILED",
      reason: `the run could not be scheduled: ${error instanceof Error ? error.message : String(error)}`,
    });
    throw error;
  }
  return { runId, status: "queued", cached: false, cachedFrom: null };
}

/** The workflow id of a run: one workflow per run, ever. */
export const runWorkflowId = (runId: string) => `run-${runId}`;
