/** The Loupe worker process: polls Temporal and runs activities. Config from env. */
import { randomUUID } from "node:crypto";
import os from "node:os";
import { createDatabase, removeDeadWorkers } from "@loupe/db";
import { PLATFORM_TASK_QUEUE } from "@loupe/workflows";
import { NativeConnection, Worker } from "@temporalio/worker";
import { createActivities } from "./activities/create-activities.ts";
import { parseWorkerEnv } from "./env.ts";
import { startHeartbeat } from "./heartbeat.ts";
import { workflowSource } from "./workflow-source.ts";

const env = parseWorkerEnv(process.env);
const workerId =
  env.LOUPE_WORKER_ID ?? `worker-${os.hostname()}-${randomUUID().slice(0, 8)}`;
const db = createDatabase(env.DATABASE_URL);
const connection = await NativeConnection.connect({
  address: env.TEMPORAL_ADDRESS,
});
const taskQueues = [PLATFORM_TASK_QUEUE];

const worker = await Worker.create({
  connection,
  namespace: env.TEMPORAL_NAMESPACE,
  taskQueue: PLATFORM_TASK_QUEUE,
  identity: workerId,
  ...workflowSource(),
  activities: createActivities({ db, workerId }),
});

// Rows left by workers of this host that died without a clean shutdown.
const reaped = await removeDeadWorkers(db, os.hostname(), (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
});
if (reaped.length > 0)
  console.log(
    `[worker] removed the rows of dead workers: ${reaped.join(", ")}`,
  );

const heartbeat = startHeartbeat(
  db,
  {
    id: workerId,
    hostname: os.hostname(),
    pid: process.pid,
    taskQueues,
    models: [],
    startedAt: new Date(),
  },
  env.LOUPE_HEARTBEAT_MS,
);
console.log(
  `[worker] ${workerId} polling ${taskQueues.join(", ")} at ${env.TEMPORAL_ADDRESS}`,
);

try {
  // Worker.run resolves after SIGINT/SIGTERM, once in-flight tasks have finished.
  await worker.run();
} finally {
  await heartbeat.stop().catch(() => undefined);
  await connection.close();
  await db.$disconnect();
  console.log(`[worker] ${workerId} stopped`);
}
