import { randomUUID } from "node:crypto";
import {
  postgresResultStorage,
  RunRequestListener,
  type Database,
} from "@loupe/db";
import { connectTestDatabase, truncateAll } from "@loupe/db/testing";
import { EngineThread } from "@loupe/engine";
import { modelTaskQueue, type BatchRequest } from "@loupe/workflows";
import { Client } from "@temporalio/client";
import { NativeConnection, Worker } from "@temporalio/worker";
import {
  createBatchActivities,
  LocalBatches,
  StoredGraphCache,
  type HostedModel,
} from "../models/batch-activities.ts";
import type { BatchOptions } from "../models/fit-batch.ts";
import { RunDispatcher } from "../models/run-dispatcher.ts";
import { registerHostedModel } from "../models/register-hosted-model.ts";
import { workflowSource } from "../workflow-source.ts";
import { bundledModel, PlatformFixture } from "./platform-fixture.ts";

/** A batch as the dispatcher started it, and when (performance.now()). */
export interface ObservedBatch {
  readonly batchId: string;
  readonly runIds: readonly string[];
  readonly startedAt: number;
}

/**
 * The platform on real parts in the test's process: the API's procedures,
 * PostgreSQL, a Temporal server, and a worker's hosting of the bundled model
 * (under a name of its own, registered with its tokenizer as a worker
 * registers it): its engine thread, its run dispatcher (woken by the run
 * requests' notifications, claiming from PostgreSQL) and a Temporal worker
 * on the model's task queue running the batch workflows and their batch
 * activities, wired as the worker's ModelHost wires them.
 */
export async function startInProcessPlatform(options: {
  databaseUrl: string;
  temporalAddress: string;
  batch: BatchOptions;
}) {
  const db = connectTestDatabase(options.databaseUrl);
  await truncateAll(db);
  await db.$disconnect();
  const modelName = `facts-${randomUUID().slice(0, 8)}`;
  const model = bundledModel(modelName);
  const platform = await PlatformFixture.start({
    databaseUrl: options.databaseUrl,
    temporalAddress: options.temporalAddress,
    platformTaskQueue: `test-platform-${randomUUID()}`,
  });
  const engine = await EngineThread.start(
    model.onnx,
    model.manifest,
    model.tokenizer,
  );
  const hosted = { name: modelName, manifest: model.manifest, engine };
  await registerHostedModel(platform.db, hosted, {
    results: postgresResultStorage(platform.db),
    tokenizer: model.tokenizer,
  });
  const listener = new RunRequestListener(options.databaseUrl);
  const gathering = gatheredClaim();
  const batches: ObservedBatch[] = [];
  const log: string[] = [];
  const host = await hostInProcess({
    db: platform.db,
    client: platform.temporal.client,
    listener,
    temporalAddress: options.temporalAddress,
    model: hosted,
    batch: options.batch,
    claimWhen: gathering.claimWhen,
    onBatch: (batch) =>
      batches.push({
        batchId: batch.batchId,
        runIds: batch.runs.map((r) => r.runId),
        startedAt: performance.now(),
      }),
    log: (line) => log.push(line),
  });
  return {
    platform,
    engine,
    model,
    modelName,
    /** The fixture's Temporal client (to read batch workflows; the dispatcher has its own, on the worker's connection). */
    client: platform.temporal.client,
    listener,
    /**
     * The next claim waits until `runs` runs of the model are requested,
     * then takes them (up to the batch limits): a test's runs submitted over
     * time share a batch, as a burst does on a busy model, without timing.
     */
    gatherNextPass: gathering.gather,
    /** Each batch the dispatcher started, in order (when its workflow started). */
    observed: { batches },
    /** What the dispatcher logged (a workflow that did not start, a sweep). */
    log,
    async close() {
      await host.close();
      await listener.close();
      await engine.close();
      await platform.close();
    },
  };
}

/**
 * Hosts a model in the test's process as ModelHost does: a Temporal worker
 * on the model's task queue (batch workflows, their batch activities on the
 * model's engine) and a run dispatcher claiming the model's requested runs.
 * Closing stops the dispatcher (after its batch in flight), then the worker;
 * the engine is the caller's.
 */
export async function hostInProcess(options: {
  db: Database;
  client: Client;
  listener: RunRequestListener;
  temporalAddress: string;
  model: HostedModel;
  batch: BatchOptions;
  workerId?: string;
  claimWhen?: (requested: number) => boolean;
  onBatch?: (batch: BatchRequest) => void;
  log?: (line: string) => void;
}) {
  const { db, model } = options;
  const workerId = options.workerId ?? "int-worker";
  const graphs = new StoredGraphCache(db);
  const local = new LocalBatches();
  const connection = await NativeConnection.connect({
    address: options.temporalAddress,
  });
  const worker = await Worker.create({
    connection,
    taskQueue: modelTaskQueue(model.name),
    identity: workerId,
    shutdownGraceTime: "10 seconds",
    ...workflowSource(),
    activities: createBatchActivities({
      db,
      model,
      workerId,
      graphs,
      local,
      results: postgresResultStorage(db),
    }),
  });
  const running = worker.run();
  // As ModelHost: the dispatcher's client is on the worker's connection, so
  // batch workflows start eagerly, on this worker.
  const client = new Client({
    connection,
    namespace: options.client.options.namespace,
    identity: workerId,
  });
  const dispatcher = new RunDispatcher(
    {
      db,
      client,
      eagerStart: true,
      listener: options.listener,
      model: model.name,
      workerId,
      graphs,
      local,
      log: options.log ?? ((line) => console.log(line)),
    },
    {
      batch: options.batch,
      ...(options.claimWhen ? { claimWhen: options.claimWhen } : {}),
      ...(options.onBatch ? { onBatch: options.onBatch } : {}),
    },
  );
  await dispatcher.start();
  return {
    worker,
    dispatcher,
    async close() {
      await dispatcher.stop();
      if (worker.getState() === "RUNNING") worker.shutdown();
      await running;
      await connection.close();
    },
  };
}

/**
 * A claim rule for tests (DispatcherOptions.claimWhen): after `gather(n)`,
 * the next claim waits until n runs of the model are requested; claims after
 * it go on as in production, whenever the engine is free.
 */
export function gatheredClaim() {
  let wanted = 0;
  return {
    gather: (runs: number): void => {
      wanted = runs;
    },
    claimWhen: (requested: number): boolean => {
      if (requested < wanted) return false;
      wanted = 0;
      return true;
    },
  };
}
