import { z } from "zod";
import type { Database } from "./create-database.ts";

const bytesByCategory = z.record(z.string(), z.number().nonnegative());

/**
 * A worker's memory as its heartbeat reports it: its budget for model weights
 * (LOUPE_WORKER_MEMORY_BYTES; null: none), what the models it holds take of
 * it, and each model's engine memory, current and peak bytes by category
 * (weights, sessions, activations, ...: whatever the engine reports).
 */
export const workerMemorySchema = z.object({
  budgetBytes: z.number().nonnegative().nullable(),
  admittedBytes: z.number().nonnegative(),
  models: z
    .record(
      z.string(),
      z.object({ current: bytesByCategory, peak: bytesByCategory }),
    )
    .default({}),
});
export type WorkerMemory = z.infer<typeof workerMemorySchema>;

/** What a worker reports about itself on each heartbeat. */
export interface WorkerReport {
  readonly id: string;
  readonly hostname: string;
  readonly pid: number;
  readonly taskQueues: readonly string[];
  readonly models: readonly string[];
  /** Absent from workers that do not report it. */
  readonly memory?: WorkerMemory;
  readonly startedAt: Date;
}

/** A worker's last report and when it was seen. */
export interface WorkerStatus extends WorkerReport {
  readonly lastSeenAt: Date;
}

/** Records that a worker is alive now (insert or update its row). */
export async function recordWorkerHeartbeat(
  db: Database,
  report: WorkerReport,
): Promise<void> {
  const now = new Date();
  const data = {
    hostname: report.hostname,
    pid: report.pid,
    taskQueues: [...report.taskQueues],
    models: [...report.models],
    memory: report.memory ?? {},
    startedAt: report.startedAt,
    lastSeenAt: now,
  };
  await db.workerHeartbeat.upsert({
    where: { id: report.id },
    create: { id: report.id, ...data },
    update: data,
  });
}

/** Removes a worker's row when it shuts down cleanly. */
export async function removeWorkerHeartbeat(
  db: Database,
  id: string,
): Promise<void> {
  await db.workerHeartbeat.deleteMany({ where: { id } });
}

/** Workers seen within `withinMs`, most recently seen first. */
export async function listWorkerStatuses(
  db: Database,
  withinMs: number,
): Promise<WorkerStatus[]> {
  const rows = await db.workerHeartbeat.findMany({
    where: { lastSeenAt: { gte: new Date(Date.now() - withinMs) } },
    orderBy: { lastSeenAt: "desc" },
  });
  return rows.map(({ memory, ...row }) => {
    const parsed = workerMemorySchema.safeParse(memory);
    return {
      ...row,
      models: Array.isArray(row.models)
        ? row.models.filter((m): m is string => typeof m === "string")
        : [],
      ...(parsed.success ? { memory: parsed.data } : {}),
    };
  });
}
