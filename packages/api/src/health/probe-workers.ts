import {
  listWorkerStatuses,
  type Database,
  type WorkerMemory,
} from "@loupe/db";
import type { Client } from "@temporalio/client";
import proto from "@temporalio/proto";

// @temporalio/proto is CommonJS without static named exports: use its default export.
const { TaskQueueKind, TaskQueueType } = proto.temporal.api.enums.v1;

/** A worker as the health page shows it. */
export interface WorkerHealth {
  readonly id: string;
  readonly hostname: string;
  readonly pid: number;
  readonly taskQueues: readonly string[];
  /** Models loaded on the worker; empty means none. */
  readonly models: readonly string[];
  /**
   * Its memory budget, what its models take of it, and each model's engine
   * memory (current and peak bytes by category); null from a worker that does
   * not report it.
   */
  readonly memory: WorkerMemory | null;
  readonly lastSeenSecondsAgo: number;
  /** Whether Temporal lists this worker among the pollers of its task queues. */
  readonly pollingTemporal: boolean | "unknown";
  readonly healthy: boolean;
  readonly detail: string;
}

/** A worker that has not reported for this long is shown as unhealthy. */
export const WORKER_STALE_AFTER_MS = 15_000;
/** Workers silent for longer than this are no longer listed. */
export const WORKER_FORGET_AFTER_MS = 10 * 60_000;

/**
 * Lists workers from their heartbeats in PostgreSQL and cross-checks each with
 * Temporal's pollers of its task queues (when Temporal answers).
 */
export async function probeWorkers(
  db: Database,
  client: Client,
  timeoutMs = 2000,
): Promise<WorkerHealth[]> {
  const statuses = await listWorkerStatuses(db, WORKER_FORGET_AFTER_MS);
  const queues = [...new Set(statuses.flatMap((s) => s.taskQueues))];
  const pollers = await pollersOf(client, queues, timeoutMs);
  const now = Date.now();
  return statuses.map((s) => {
    const silentMs = now - s.lastSeenAt.getTime();
    const polling =
      pollers === undefined
        ? "unknown"
        : s.taskQueues.every((q) => pollers.get(q)?.has(s.id));
    const fresh = silentMs <= WORKER_STALE_AFTER_MS;
    const detail = !fresh
      ? `no heartbeat for ${Math.round(silentMs / 1000)} s`
      : polling === false
        ? "alive, but not polling Temporal"
        : polling === "unknown"
          ? "alive (Temporal unreachable, polling unknown)"
          : "alive and polling";
    return {
      id: s.id,
      hostname: s.hostname,
      pid: s.pid,
      taskQueues: s.taskQueues,
      models: s.models,
      memory: s.memory ?? null,
      lastSeenSecondsAgo: Math.max(0, Math.round(silentMs / 1000)),
      pollingTemporal: polling,
      healthy: fresh && polling === true,
      detail,
    };
  });
}

async function pollersOf(
  client: Client,
  queues: string[],
  timeoutMs: number,
): Promise<Map<string, Set<string>> | undefined> {
  try {
    const entries = await client.connection.withDeadline(
      Date.now() + timeoutMs,
      () =>
        Promise.all(
          queues.map(async (name) => {
            const response = await client.workflowService.describeTaskQueue({
              namespace: client.options.namespace,
              taskQueue: { name, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
              taskQueueType: TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
            });
            return [
              name,
              new Set(response.pollers.map((p) => p.identity ?? "")),
            ] as const;
          }),
        ),
    );
    return new Map(entries);
  } catch {
    return undefined;
  }
}
