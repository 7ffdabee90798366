/** The Loupe worker process: polls Temporal and runs activities. Config from env. */
import { randomUUID } from "node:crypto";
import os from "node:os";
import {
  createDatabase,
  createResultStorage,
  removeDeadWorkers,
  resultStorageSettings,
} from "@loupe/db";
import { EngineThread, readModelFiles } from "@loupe/engine";
import { modelTaskQueue, PLATFORM_TASK_QUEUE } from "@loupe/workflows";
import { NativeConnection, Worker } from "@temporalio/worker";
import { createActivities } from "./activities/create-activities.ts";
import { createRunActivities } from "./activities/run-activities.ts";
import {
  createModelActivities,
  type HostedModel,
} from "./models/model-activities.ts";
import { registerHostedModel } from "./models/register-hosted-model.ts";
import { parseWorkerEnv } from "./env.ts";
import { startHeartbeat } from "./heartbeat.ts";
import { workflowSource } from "./workflow-source.ts";

const env = parseWorkerEnv(process.env);
const workerId =
  env.LOUPE_WORKER_ID ?? `worker-${os.hostname()}-${randomUUID().slice(0, 8)}`;
const db = createDatabase(env.DATABASE_URL);
const results = createResultStorage(db, resultStorageSettings(process.env));
const connection = await NativeConnection.connect({
  address: env.TEMPORAL_ADDRESS,
});
// Each hosted model runs in an engine thread of its own and polls its own queue.
const models: HostedModel[] = [];
for (const file of env.LOUPE_MODELS) {
  const { bytes, manifest, tokenizer } = await readModelFiles(file);
  const engine = await EngineThread.start(bytes, manifest, tokenizer);
  const model = { name: manifest.model.name, manifest, engine };
  models.push(model);
  const { secondsPerToken } = await registerHostedModel(db, model, {
    results,
    tokenizer,
  });
  console.log(
    `[worker] loaded model ${model.name} from ${file} (${(secondsPerToken * 1e3).toFixed(3)} ms per token)`,
  );
}
const platformTaskQueue = env.LOUPE_PLATFORM_TASK_QUEUE ?? PLATFORM_TASK_QUEUE;
const taskQueues = [
  platformTaskQueue,
  ...models.map((m) => modelTaskQueue(m.name)),
];

const workers = [
  await Worker.create({
    connection,
    namespace: env.TEMPORAL_NAMESPACE,
    taskQueue: platformTaskQueue,
    identity: workerId,
    ...workflowSource(),
    activities: {
      ...createActivities({ db, workerId }),
      ...createRunActivities({ db }),
    },
  }),
  ...(await Promise.all(
    models.map((model) =>
      Worker.create({
        connection,
        namespace: env.TEMPORAL_NAMESPACE,
        taskQueue: modelTaskQueue(model.name),
        identity: workerId,
        activities: createModelActivities({
          db,
          model,
          workerId,
          batch: {
            quietMs: env.LOUPE_BATCH_QUIET_MS,
            maxWaitMs: env.LOUPE_BATCH_MAX_WAIT_MS,
            maxRows: env.LOUPE_BATCH_MAX_ROWS,
            maxPaddedTokens: env.LOUPE_BATCH_MAX_PADDED_TOKENS,
          },
          results,
          faultHoldBatchMs: env.LOUPE_FAULT_HOLD_BATCH_MS,
        }),
      }),
    ),
  )),
];

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
    models: models.map((m) => m.name),
    startedAt: new Date(),
  },
  env.LOUPE_HEARTBEAT_MS,
);
console.log(
  `[worker] ${workerId} polling ${taskQueues.join(", ")} at ${env.TEMPORAL_ADDRESS}`,
);

try {
  // Worker.run resolves after SIGINT/SIGTERM, once in-flight tasks have finished.
  await Promise.all(workers.map((w) => w.run()));
} finally {
  await Promise.all(models.map((m) => m.engine.close().catch(() => undefined)));
  await heartbeat.stop().catch(() => undefined);
  await connection.close();
  await db.$disconnect();
  console.log(`[worker] ${workerId} stopped`);
}
