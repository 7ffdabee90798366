import { randomUUID } from "node:crypto";
import { postgresResultStorage } from "@loupe/db";
import { connectTestDatabase, truncateAll } from "@loupe/db/testing";
import { EngineThread } from "@loupe/engine";
import { NativeConnection, Worker } from "@temporalio/worker";
import { createRunActivities } from "../activities/run-activities.ts";
import { createModelActivities } from "../models/model-activities.ts";
import type { BatchOptions } from "../models/model-batcher.ts";
import { DEFAULT_MODEL_MAX_CONCURRENT_RUNS } from "../env.ts";
import { registerHostedModel } from "../models/register-hosted-model.ts";
import { workflowsEntry } from "../workflow-source.ts";
import { bundledModel, PlatformFixture } from "./platform-fixture.ts";

/**
 * The platform on real parts in the test's process: the API's procedures,
 * PostgreSQL, a Temporal server, the bundled run workflow, a worker's
 * activities and an engine thread hosting the bundled model (under a name of
 * its own, registered with its tokenizer as a worker registers it).
 */
export async function startInProcessPlatform(options: {
  databaseUrl: string;
  temporalAddress: string;
  batch: Omit<BatchOptions, "startWhen">;
  /** The runs the model's Temporal worker takes at once (default: the worker's). */
  maxConcurrentRuns?: number;
}) {
  const address = options.temporalAddress;
  const db = connectTestDatabase(options.databaseUrl);
  await truncateAll(db);
  await db.$disconnect();
  const modelName = `facts-${randomUUID().slice(0, 8)}`;
  const platformTaskQueue = `test-platform-${randomUUID()}`;
  const model = bundledModel(modelName);
  const platform = await PlatformFixture.start({
    databaseUrl: options.databaseUrl,
    temporalAddress: address,
    platformTaskQueue,
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
  const gathering = gatheredStart();
  /** When each run's model activity began in the worker (performance.now()). */
  const arrivals = new Map<string, number>();
  const modelActivities = createModelActivities({
    db: platform.db,
    model: hosted,
    workerId: "int-worker",
    batch: { ...options.batch, startWhen: gathering.startWhen },
  });
  const workers = [
    await Worker.create({
      connection: await NativeConnection.connect({ address }),
      taskQueue: platformTaskQueue,
      workflowsPath: workflowsEntry(),
      activities: createRunActivities({ db: platform.db }),
    }),
    await Worker.create({
      connection: await NativeConnection.connect({ address }),
      taskQueue: `loupe-model-${modelName}`,
      // As the worker's ModelHost does: runs wait in the batcher, not in Temporal.
      maxConcurrentActivityTaskExecutions:
        options.maxConcurrentRuns ?? DEFAULT_MODEL_MAX_CONCURRENT_RUNS,
      activities: {
        executeRun(request) {
          arrivals.set(request.runId, performance.now());
          return modelActivities.executeRun(request);
        },
      } satisfies typeof modelActivities,
    }),
  ];
  const running = workers.map((w) => w.run());
  return {
    platform,
    engine,
    model,
    modelName,
    /**
     * The next pass waits until `runs` runs are queued in the batcher, then
     * takes them (up to the batch limits): a test's runs that reach the worker
     * over time share a pass, as a burst does on a busy model, without timing.
     */
    gatherNextPass: gathering.gather,
    /**
     * What the worker saw, by performance.now(): when each run's model
     * activity began (its latest attempt), and when each pass started.
     */
    observed: { arrivals, passStarts: gathering.passStarts },
    async close() {
      for (const w of workers) w.shutdown();
      await Promise.all(running);
      await engine.close();
      await platform.close();
    },
  };
}

/**
 * A batch start rule for tests (BatchOptions.startWhen): after `gather(n)`,
 * the next pass starts only once n runs are queued; passes after it start
 * as in production, whenever the engine is free. Records when each pass
 * started (performance.now()).
 */
export function gatheredStart() {
  let wanted = 0;
  const passStarts: number[] = [];
  return {
    passStarts,
    gather: (runs: number): void => {
      wanted = runs;
    },
    startWhen: (queued: number): boolean => {
      if (queued < wanted) return false;
      wanted = 0;
      passStarts.push(performance.now());
      return true;
    },
  };
}
