import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { readStream, streams } from "@loupe/db";
import { connectTestDatabase, truncateAll } from "@loupe/db/testing";
import { loadModelFiles, type LoupeEngine } from "@loupe/engine";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import {
  bundledModel,
  maxAbsDiff,
  MODEL_DIR,
  PlatformFixture,
} from "../testing/platform-fixture.ts";

// A worker process killed with SIGKILL in the middle of a batch (after its
// runs' `started` events and a heartbeat), with runs in its pass and runs
// waiting in its batcher for the next: Temporal notices the missing
// heartbeats and retries the runs on another worker process, and every run
// still ends with exactly one completion, one stored result and one quota
// settlement. Real processes, the bundled model, PostgreSQL and Temporal.
const platformTaskQueue = `test-crash-${randomUUID()}`;
const model = bundledModel("facts-gpt2"); // the name the worker processes load it under
const { lm } = model;
const WORKER_DIR = path.resolve(import.meta.dirname, "..", "..");

let platform: PlatformFixture;
let local: LoupeEngine;
const children: ChildProcess[] = [];

function startWorker(id: string, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: WORKER_DIR,
    env: {
      ...process.env,
      DATABASE_URL: inject("databaseUrl"),
      TEMPORAL_ADDRESS: inject("temporalAddress"),
      LOUPE_WORKER_ID: id,
      LOUPE_MODELS: path.join(MODEL_DIR, "model.onnx"),
      LOUPE_PLATFORM_TASK_QUEUE: platformTaskQueue,
      LOUPE_HEARTBEAT_MS: "1000",
      ...env,
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

it("a worker SIGKILLed mid-batch: its runs, in its pass or waiting for the next, finish on another worker, each with one completion, one result and one settlement", async () => {
  // Worker A holds every batch after recording `started`, long enough to be killed in it.
  const a = startWorker("worker-a", { LOUPE_FAULT_HOLD_BATCH_MS: "600000" });
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

  // Worker A has taken every run: the first to arrive started a pass (held),
  // the others wait in its batcher for the next; then a heartbeat goes out.
  await until("worker A to take every run", async () => {
    const activities = await Promise.all(
      runIds.map(async (id) => {
        const { raw } = await platform.temporal.client.workflow
          .getHandle(`run-${id}`)
          .describe();
        return raw.pendingActivities?.[0];
      }),
    );
    return activities.every(
      (a) => a?.lastStartedTime && a.lastWorkerIdentity === "worker-a",
    )
      ? true
      : undefined;
  });
  const startedOn = await until("a pass to start on worker A", async () => {
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
  expect(
    startedOn.filter(Boolean).every((s) => s!.workerId === "worker-a"),
  ).toBe(true);
  await new Promise((r) => setTimeout(r, 2500)); // > the activity heartbeat interval (2 s)
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
    expect(count("run.started"), runId).toBe(1);
    expect(count("run.completed"), runId).toBe(1);
    expect(count("quota.settled"), runId).toBe(1);
    expect(count("run.failed") + count("run.cancelled"), runId).toBe(0);
    // Completed by worker B's batch, not by the pass it started in on A.
    if (startedOn[k])
      expect(finished[k]!.metrics!.batchId).not.toBe(startedOn[k].batchId);
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
}, 240_000);
