import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { DEFAULT_RUN_LIMITS } from "@loupe/db";
import { connectTestDatabase, truncateAll } from "@loupe/db/testing";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import {
  bundledModel,
  MODEL_DIR,
  PlatformFixture,
  type Caller,
} from "../testing/platform-fixture.ts";
import {
  startWorkerProcess,
  type WorkerProcess,
} from "../testing/worker-process.ts";

// Issue 19, "Limits": a run at the maximum size the default run limits allow
// (256 rows of 64 tokens: maxRowsPerRun, and the bundled model's 64 positions,
// 16384 tokens: maxTokensPerRun), saving every position's logits, raises a
// real worker process's resident set by at least 200 MB; once it has ended,
// the worker's resident set returns to within 20% of what it was before.
const suffix = randomUUID().slice(0, 8);
const platformTaskQueue = `test-memory-${suffix}`;
const MODEL = "facts-gpt2"; // the bundled model's name in its manifest
const { lm } = bundledModel(MODEL);

let platform: PlatformFixture;
let worker: WorkerProcess;
let user: { userId: string; caller: Caller };

beforeAll(async () => {
  const db = connectTestDatabase(inject("databaseUrl"));
  await truncateAll(db);
  await db.$disconnect();
  platform = await PlatformFixture.start({
    databaseUrl: inject("databaseUrl"),
    temporalAddress: inject("temporalAddress"),
    platformTaskQueue,
  });
  user = await platform.approvedUser("memory");
  worker = startWorkerProcess(`worker-memory-${suffix}`, {
    DATABASE_URL: inject("databaseUrl"),
    TEMPORAL_ADDRESS: inject("temporalAddress"),
    LOUPE_MODELS: path.join(MODEL_DIR, "model.onnx"),
    LOUPE_PLATFORM_TASK_QUEUE: platformTaskQueue,
    LOUPE_HEARTBEAT_MS: "1000",
  });
  await worker.polling;
}, 300_000);

afterAll(async () => {
  await worker?.stop();
  await platform?.close();
});

/** A process's resident set (VmRSS), in bytes. */
function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)![1]) * 1024;
}

const rows = (n: number, tokens: number) =>
  Array.from({ length: n }, (_, r) =>
    Array.from({ length: tokens }, (_, t) => (r * 7 + t * 13) % 1302),
  );

const run = async (tokens: number[][]) => {
  const graph = lm.trace({ tokens }, () => {
    lm.transformer!.h![5]!.output[0]!.save("hidden");
    lm.output.item("logits").save("logits");
  });
  const { runId } = await user.caller.runs.submit({
    model: MODEL,
    graph,
    reuse: false,
  });
  const status = await platform.settled(user.caller, runId);
  expect(status.status, String(status.error)).toBe("completed");
  return status;
};

it("a run at the maximum size raises the worker's resident set by 200 MB or more, which then returns to within 20%", async () => {
  const pid = worker.child.pid!;
  const maxRows = DEFAULT_RUN_LIMITS.maxRowsPerRun;
  const maxTokens = DEFAULT_RUN_LIMITS.maxTokensPerRun / maxRows;
  expect(maxTokens).toBe(64); // and the bundled model has 64 positions
  // Warm: the same hooks on a small batch (its sessions compiled), then settle.
  await run(rows(2, 8));
  await new Promise((r) => setTimeout(r, 2000));
  const before = rssBytes(pid);

  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssBytes(pid));
  }, 25);
  let status;
  try {
    status = await run(rows(maxRows, maxTokens));
  } finally {
    clearInterval(sampler);
  }
  expect(status.resultBytes).toBeGreaterThan(85e6); // every position's logits
  let after = rssBytes(pid);
  for (let i = 0; i < 40 && after > 1.2 * before; i++) {
    await new Promise((r) => setTimeout(r, 250));
    after = rssBytes(pid);
  }
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
  console.log(
    `[run memory] worker RSS before ${mib(before)}, peak ${mib(peak)}, after ${mib(after)}`,
  );
  expect(peak - before).toBeGreaterThanOrEqual(200e6);
  expect(after).toBeLessThanOrEqual(1.2 * before);
}, 300_000);
