import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { readStream, streams } from "@loupe/db";
import { connectTestDatabase, truncateAll } from "@loupe/db/testing";
import { loadModelFiles, type LoupeEngine } from "@loupe/engine";
import { batchWorkflowId } from "@loupe/workflows";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import {
  bundledModel,
  maxAbsDiff,
  MODEL_DIR,
  PlatformFixture,
} from "../testing/platform-fixture.ts";

// A worker process killed with SIGKILL in the middle of a batch (after its
// runs' `started` events), with runs in its batch and runs still waiting in
// PostgreSQL for its next claim: the batch's workflow task, which runs the
// batch as a local activity, times out (the workflow task timeout, 10 s) and
// Temporal hands it to another worker process hosting the model, which runs
// the batch again; that worker also claims the runs left waiting. Every run
// still ends with exactly one start, one completion, one stored result and
// one quota settlement. Real processes, the bundled model, PostgreSQL and
// Temporal.
const platformTaskQueue = `test-crash-${randomUUID()}`;
const model = bundledModel("facts-gpt2"); // the name the worker processes load it under
const { lm } = model;
const WORKER_DIR = path.resolve(import.meta.dirname, "..", "..");

let platform: PlatformFixture;
let local: LoupeEngine;
const children: ChildProcess[] = [];

/** A worker process: the real one, or (`held`) one that holds every batch once started. */
function startWorker(id: string, entry = "src/main.ts") {
  const child = spawn(process.execPath, ["--import", "tsx", entry], {
    cwd: WORKER_DIR,
    env: {
      ...process.env,
      DATABASE_URL: inject("databaseUrl"),
      TEMPORAL_ADDRESS: inject("temporalAddress"),
      LOUPE_WORKER_ID: id,
      LOUPE_MODELS: path.join(MODEL_DIR, "model.onnx"),
      LOUPE_PLATFORM_TASK_QUEUE: platformTaskQueue,
      LOUPE_HEARTBEAT_MS: "1000",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  const polling = new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => {
      output += d.toString();
      if (output.includes(`${id} polling`)) resolve();
    });
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("exit", (code, signal) =>
      reject(
        new Error(
          `worker ${id} exited (${code ?? signal}) before polling:\n${output}`,
        ),
      ),
    );
  });
  return { child, polling, output: () => output };
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  ms = 60_000,
) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  const db = connectTestDatabase(inject("databaseUrl"));
  await truncateAll(db);
  await db.$disconnect();
  platform = await PlatformFixture.start({
    databaseUrl: inject("databaseUrl"),
    temporalAddress: inject("temporalAddress"),
    platformTaskQueue,
  });
  local = await loadModelFiles(path.join(MODEL_DIR, "model.onnx"));
});

afterAll(async () => {
  for (const child of children)
    if (child.exitCode === null) child.kill("SIGKILL");
  await local.close();
  await platform.close();
});

it("a worker SIGKILLed mid-batch: its runs, in its batch or waiting for the next, finish on another worker, each with one start, one completion, one result and one settlement", async () => {
  // Worker A holds every batch after recording `started`, long enough to be killed in it.
  const a = startWorker("worker-a", "src/testing/held-batch-worker.ts");
  await a.polling;
  const user = await platform.approvedUser("crash");
  const graphs = [
    "The Louvre is located in the city of",
    "Big Ben is located in the city of",
    "The capital of France is",
  ].map((prompt) =>
    lm.trace(prompt, () => {
      lm.transformer!.h![2]!.output[0]!.get(":", -1, ":").save("hidden");
      lm.output.item("logits").save("logits");
    }),
  );
  const runIds = (
    await Promise.all(
      graphs.map((graph) =>
        user.caller.runs.submit({ model: "facts-gpt2", graph }),
      ),
    )
  ).map((s) => s.runId);

  // Worker A claimed a batch (the runs requested when it woke) and started
  // it (held); the others wait in PostgreSQL for its next claim, which never
  // comes while the batch is held.
  const startedOn = await until("a batch to start on worker A", async () => {
    const runs = await Promise.all(
      runIds.map((id) => readStream(platform.db, streams.run(id))),
    );
    const started = runs.map(
      (events) =>
        events.find((e) => e.type === "run.started")?.payload as
          { workerId: string; batchId: string } | undefined,
    );
    return started.some(Boolean) ? started : undefined;
  });
  const held = startedOn.find(Boolean)!;
  expect(held.workerId).toBe("worker-a");
  // Every run that started is in that one batch; the rest wait, unclaimed.
  for (const [k, s] of startedOn.entries())
    if (s) expect(s, runIds[k]).toEqual(held);
  const rows = await platform.db.run.findMany({
    where: { id: { in: runIds } },
  });
  for (const r of rows)
    if (r.batchId !== held.batchId) expect(r.status, r.id).toBe("requested");
  console.log(
    `[worker crash] worker A holds batch ${held.batchId} with ${startedOn.filter(Boolean).length} of the 3 runs; the others wait, requested`,
  );
  await new Promise((r) => setTimeout(r, 1000));
  a.child.kill("SIGKILL");
  await new Promise((r) => a.child.once("exit", r));

  const b = startWorker("worker-b");
  await b.polling;
  const finished = await Promise.all(
    runIds.map((runId) =>
      until(
        `run ${runId} to end`,
        async () => {
          const s = await user.caller.runs.status({ runId });
          return ["completed", "failed", "cancelled"].includes(s.status)
            ? s
            : undefined;
        },
        120_000,
      ),
    ),
  );
  expect(finished.map((f) => f.status)).toEqual([
    "completed",
    "completed",
    "completed",
  ]);

  for (const [k, runId] of runIds.entries()) {
    const types = (await readStream(platform.db, streams.run(runId))).map(
      (e) => e.type,
    );
    const count = (t: string) => types.filter((x) => x === t).length;
    expect(count("run.queued"), runId).toBe(1);
    expect(count("run.started"), runId).toBe(1);
    expect(count("run.completed"), runId).toBe(1);
    expect(count("quota.settled"), runId).toBe(1);
    expect(count("run.failed") + count("run.cancelled"), runId).toBe(0);
    // A run of the held batch completed in that batch (its workflow, retried).
    if (startedOn[k])
      expect(finished[k]!.metrics!.batchId).toBe(startedOn[k].batchId);
    const tensors = await platform.resultOf(runId);
    const solo = (await local.run(graphs[k]!)).saves;
    expect(
      maxAbsDiff(
        tensors.logits!.data as Float32Array,
        solo.logits!.data as Float32Array,
      ),
    ).toBeLessThan(1e-5);
  }
  // One stored result per run: nothing else was written (A died before
  // storing), besides the tokenizer.json the workers registered the model with.
  const resultRows = await platform.db.result.count();
  const referenced = await platform.db.run.findMany({
    where: { resultHash: { not: null } },
    distinct: ["resultHash"],
    select: { resultHash: true },
  });
  const tokenizers = await platform.db.model.findMany({
    where: { tokenizerHash: { not: null } },
    distinct: ["tokenizerHash"],
  });
  expect(tokenizers).toHaveLength(1);
  expect(resultRows).toBe(referenced.length + tokenizers.length);
  expect(referenced.length).toBe(3);
  expect((await user.caller.account.me()).quota.activeRuns).toBe(0);

  // The held batch's workflow: A's workflow task timed out, and worker B
  // took the task over and completed the workflow, every run of the batch
  // completed there.
  const batch = platform.temporal.client.workflow.getHandle(
    batchWorkflowId(held.batchId),
  );
  const heldRuns = startedOn.filter(Boolean).length;
  expect(await batch.result()).toEqual({
    completed: heldRuns,
    failed: 0,
    skipped: 0,
  });
  const events = (await batch.fetchHistory()).events ?? [];
  expect(
    events.filter((e) => e.workflowTaskTimedOutEventAttributes).length,
  ).toBeGreaterThanOrEqual(1);
  const startedBy = events.flatMap((e) =>
    e.workflowTaskStartedEventAttributes
      ? [e.workflowTaskStartedEventAttributes.identity]
      : [],
  );
  expect(startedBy[0]).toBe("worker-a");
  const completedBy = events.flatMap((e) =>
    e.workflowTaskCompletedEventAttributes
      ? [e.workflowTaskCompletedEventAttributes.identity]
      : [],
  );
  expect(completedBy.at(-1)).toBe("worker-b");
}, 240_000);
