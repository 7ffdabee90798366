import type { Database } from "./create-database.ts";

/** What a worker reports about itself on each heartbeat. */
export interface WorkerReport {
  readonly id: string;
  readonly hostname: string;
  readonly pid: number;
  readonly taskQueues: readonly string[];
  readonly models: readonly string[];
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
  return rows.map((row) => ({
    ...row,
    models: Array.isArray(row.models)
      ? row.models.filter((m): m is string => typeof m === "string")
      : [],
  }));
}
