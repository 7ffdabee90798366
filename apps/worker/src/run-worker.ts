/**
 * A Loupe worker's life: connect to PostgreSQL and Temporal, host the
 * configured models, poll until SIGINT/SIGTERM, and let go of everything.
 * main.ts runs it with the parsed env; tests run it with hooks.
 */
import { randomUUID } from "node:crypto";
import os from "node:os";
import path from "node:path";
import {
  createDatabase,
  createResultStorage,
  RunRequestListener,
  removeDeadWorkers,
  type Database,
} from "@loupe/db";
import { readImportedManifest } from "@loupe/engine";
import { PLATFORM_TASK_QUEUE } from "@loupe/workflows";
import { Client } from "@temporalio/client";
import { NativeConnection, Worker } from "@temporalio/worker";
import { createActivities } from "./activities/create-activities.ts";
import type { WorkerEnv } from "./env.ts";
import { startHeartbeat } from "./heartbeat.ts";
import { ModelHost } from "./hosting/model-host.ts";
import { startHostingReconciler } from "./hosting/reconcile-hosting.ts";
import type { BatchHooks } from "./models/batch-activities.ts";
import { workflowSource } from "./workflow-source.ts";

/** What a test may observe in a worker's life (nothing is set in production). */
export interface WorkerHooks {
  readonly batch?: BatchHooks;
}

/** Runs a worker until SIGINT or SIGTERM, then stops it cleanly. */
export async function runWorker(
  env: WorkerEnv,
  hooks: WorkerHooks = {},
): Promise<void> {
  const workerId =
    env.LOUPE_WORKER_ID ??
    `worker-${os.hostname()}-${randomUUID().slice(0, 8)}`;
  const db = createDatabase(env.DATABASE_URL);
  const connection = await NativeConnection.connect({
    address: env.TEMPORAL_ADDRESS,
  });
  // On the worker's own connection: a batch's workflow, started here, can be
  // handed straight to this worker (eager start; see RunDispatcher).
  const client = new Client({
    connection,
    namespace: env.TEMPORAL_NAMESPACE,
    // An eagerly started batch's first workflow task is recorded under the
    // starting client's identity: this worker's, as for the tasks it polls.
    identity: workerId,
  });
  const listener = new RunRequestListener(env.DATABASE_URL);
  const host = new ModelHost({
    db,
    connection,
    client,
    listener,
    namespace: env.TEMPORAL_NAMESPACE,
    workerId,
    budgetBytes: env.LOUPE_WORKER_MEMORY_BYTES,
    results: createResultStorage(db, env.resultStorage),
    batch: {
      maxRows: env.LOUPE_BATCH_MAX_ROWS,
      maxPaddedTokens: env.LOUPE_BATCH_MAX_PADDED_TOKENS,
    },
    ...(hooks.batch ? { batchHooks: hooks.batch } : {}),
    s3: env.s3,
    cacheDir:
      env.LOUPE_MODEL_CACHE_DIR ?? path.join(os.tmpdir(), "loupe-models"),
    ...(env.LOUPE_WEIGHTS_DIR ? { weightsDir: env.LOUPE_WEIGHTS_DIR } : {}),
    log: (line) => console.log(line),
  });
  await hostConfiguredModels(host, env.LOUPE_MODELS);
  const platformTaskQueue =
    env.LOUPE_PLATFORM_TASK_QUEUE ?? PLATFORM_TASK_QUEUE;
  const platformWorker = await Worker.create({
    connection,
    namespace: env.TEMPORAL_NAMESPACE,
    taskQueue: platformTaskQueue,
    identity: workerId,
    ...workflowSource(),
    activities: createActivities({ db, workerId }),
  });
  await reapDeadWorkers(db);

  const startedAt = new Date();
  const heartbeat = startHeartbeat(
    db,
    () => ({
      id: workerId,
      hostname: os.hostname(),
      pid: process.pid,
      taskQueues: [platformTaskQueue, ...host.taskQueues()],
      models: host.names(),
      memory: host.memory(),
      startedAt,
    }),
    env.LOUPE_HEARTBEAT_MS,
  );
  // Models hosted and unhosted by administrators while the worker runs.
  const hosting = startHostingReconciler(db, host, {
    scope: env.LOUPE_HOSTING,
    pollMs: env.LOUPE_HOSTING_POLL_MS,
    log: (line) => console.log(line),
  });
  console.log(
    `[worker] ${workerId} polling ${[platformTaskQueue, ...host.taskQueues()].join(", ")} at ${env.TEMPORAL_ADDRESS}`,
  );

  try {
    // Worker.run resolves after SIGINT/SIGTERM, once in-flight tasks have
    // finished; the same signals stop the models' Temporal workers.
    await platformWorker.run();
  } finally {
    await hosting.stop().catch(() => undefined);
    await host.close();
    await listener.close();
    await heartbeat.stop().catch(() => undefined);
    await connection.close();
    await db.$disconnect();
    console.log(`[worker] ${workerId} stopped`);
  }
}

/** The models of LOUPE_MODELS are configuration: one that cannot be hosted fails the start. */
async function hostConfiguredModels(
  host: ModelHost,
  files: readonly string[],
): Promise<void> {
  for (const file of files) {
    const onnxPath = path.resolve(file);
    const { name } = (await readImportedManifest(onnxPath)).manifest.model;
    const outcome = await host.host({
      name,
      source: { kind: "path", path: onnxPath },
      requestId: null,
    });
    if (outcome !== "online")
      throw new Error(
        `LOUPE_MODELS: model ${name} (${onnxPath}) was ${outcome}; the reason is logged above`,
      );
  }
}

/** Removes the rows of workers of this host that died without a clean shutdown. */
async function reapDeadWorkers(db: Database): Promise<void> {
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
}
