/**
 * Measures the two batching designs side by side on a real Temporal server:
 * in-worker batching (each run's activity waits in the worker's batcher; what
 * Loupe ships) against a batcher workflow per model (runs signal it; it runs
 * one activity per batch and signals the runs back, continuing as new).
 *
 *   TEMPORAL_ADDRESS=127.0.0.1:7233 QUIET_MS=50 npm run measure:batching -w @loupe/worker
 *
 * Prints, for bursts of 1 and of 20 concurrent runs, the latency from start to
 * result (p50, p95), the batches formed, and the workflow history events per run.
 * The in-worker batcher has no window since issue 19's continuous batching (a
 * pass starts whenever the engine is free); QUIET_MS is the batcher
 * workflow's window only. The README's table was measured with both windows.
 */
import { randomUUID } from "node:crypto";
import { Client, Connection } from "@temporalio/client";
import { NativeConnection, Worker } from "@temporalio/worker";
import { ModelBatcher } from "../../src/models/model-batcher.ts";
import type { batchedRun, batcherWorkflow, inWorkerRun } from "./workflows.ts";

/** The batcher workflow's window (QUIET_MS, default 50). */
const QUIET_MS = Number(process.env.QUIET_MS ?? 50);
const address = process.env.TEMPORAL_ADDRESS ?? "127.0.0.1:7233";
const taskQueue = `measure-batching-${randomUUID()}`;

let batchesInWorker = 0;
let batchesInWorkflow = 0;
const batcher = new ModelBatcher<string, string>(
  (ids) => {
    batchesInWorker++;
    return Promise.resolve(ids.map((id) => `result of ${id}`));
  },
  { maxRows: 32, maxRunsPerUser: 32 },
);

const worker = await Worker.create({
  connection: await NativeConnection.connect({ address }),
  taskQueue,
  workflowsPath: new URL("./workflows.ts", import.meta.url).pathname,
  activities: {
    executeInWorker: (runId: string) =>
      batcher.submit(runId, { user: "measure", rows: 1, longest: 1 }),
    executeBatch: (runIds: string[]) => {
      batchesInWorkflow++;
      return Promise.resolve(runIds.map((id) => `result of ${id}`));
    },
  },
});
const running = worker.run();
const connection = await Connection.connect({ address });
const client = new Client({ connection });
const batcherId = `batcher-${randomUUID()}`;

async function historyLength(workflowId: string): Promise<number> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return history.events?.length ?? 0;
}

async function inWorker(n: number) {
  const ids = Array.from({ length: n }, () => randomUUID());
  const latencies = await Promise.all(
    ids.map(async (id) => {
      const t = performance.now();
      await client.workflow.execute<typeof inWorkerRun>("inWorkerRun", {
        taskQueue,
        workflowId: `in-worker-${id}`,
        args: [id],
      });
      return performance.now() - t;
    }),
  );
  const events = await historyLength(`in-worker-${ids[0]}`);
  return { latencies, events };
}

async function viaBatcher(n: number) {
  const ids = Array.from({ length: n }, () => randomUUID());
  const before = batchesInWorkflow;
  const latencies = await Promise.all(
    ids.map(async (id) => {
      const t = performance.now();
      const handle = await client.workflow.start<typeof batchedRun>(
        "batchedRun",
        {
          taskQueue,
          workflowId: `batched-${id}`,
          args: [],
        },
      );
      await client.workflow.signalWithStart<
        typeof batcherWorkflow,
        [{ runId: string; workflowId: string }]
      >("batcherWorkflow", {
        taskQueue,
        workflowId: batcherId,
        args: [QUIET_MS, 50],
        signal: "enqueue",
        signalArgs: [{ runId: id, workflowId: `batched-${id}` }],
      });
      await handle.result();
      return performance.now() - t;
    }),
  );
  const runEvents = await historyLength(`batched-${ids[0]}`);
  return { latencies, events: runEvents, batches: batchesInWorkflow - before };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const fmt = (xs: number[]) =>
  `p50 ${pct(xs, 50).toFixed(0)} ms, p95 ${pct(xs, 95).toFixed(0)} ms`;

// Warm up both paths, then alternate bursts so both see the same server state.
await inWorker(1);
await viaBatcher(1);
const rows: string[] = [];
for (const n of [1, 20]) {
  const a: number[] = [];
  const b: number[] = [];
  let batchesA = 0;
  let batchesB = 0;
  let eventsA = 0;
  let eventsB = 0;
  for (let round = 0; round < 5; round++) {
    const beforeA = batchesInWorker;
    const x = await inWorker(n);
    a.push(...x.latencies);
    batchesA += batchesInWorker - beforeA;
    eventsA = x.events;
    const y = await viaBatcher(n);
    b.push(...y.latencies);
    batchesB += y.batches;
    eventsB = y.events;
  }
  rows.push(
    `burst of ${n}: in-worker ${fmt(a)}, ${batchesA / 5} batches/burst, ${eventsA} history events/run` +
      ` | batcher workflow ${fmt(b)}, ${batchesB / 5} batches/burst, ${eventsB} history events/run (+ the batcher's own)`,
  );
}
console.log(
  `batcher workflow's quiet window ${QUIET_MS} ms (the in-worker batcher has none), Temporal at ${address}`,
);
for (const r of rows) console.log(r);

await client.workflow
  .getHandle(batcherId)
  .terminate("measured")
  .catch(() => undefined);
worker.shutdown();
await running;
await connection.close();
