import { afterAll, beforeEach, expect, inject, it } from "vitest";
import { appendEvents } from "../events/append-events.ts";
import { readStream } from "../events/read-stream.ts";
import { domainEvents, streams } from "../domain/domain-events.ts";
import { projectDomainEvents } from "../domain/project-domain-events.ts";
import { connectTestDatabase, truncateAll } from "../testing/index.ts";
import { finishRun, finishRuns, type RunEnding } from "./finish-run.ts";
import { quotaStanding, requestRun } from "./request-run.ts";
import { DEFAULT_RUN_LIMITS } from "./run-limits.ts";

// Ending a batch's runs in one call (finishRuns). Run ids name their user:
// a1 is ada's, b1 bob's.
const db = connectTestDatabase(inject("databaseUrl"));
beforeEach(async () => {
  await truncateAll(db);
  await grant("ada", 1000);
  await grant("bob", 1000);
});
afterAll(() => db.$disconnect());

const graph = {
  json: JSON.stringify({
    format: "loupe.graph",
    version: 1,
    traces: [],
    nodes: [],
  }),
  types: {},
};

async function grant(userId: string, maxResultBytes: number) {
  await appendEvents(
    db,
    [
      {
        stream: streams.user(userId),
        events: [
          domainEvents.event(streams.user(userId), "quota.granted", {
            userId,
            by: "admin",
            computeSecondsPerDay: 1000,
            maxConcurrentRuns: 100,
            maxRunsPerDay: 1000,
            maxResultBytes,
            ...DEFAULT_RUN_LIMITS,
          }),
        ],
      },
    ],
    projectDomainEvents,
  );
}

async function request(...runIds: string[]) {
  for (const runId of runIds)
    await requestRun(db, {
      runId,
      userId: runId.startsWith("a") ? "ada" : "bob",
      model: "facts",
      modelHash: "sha256:m",
      graph,
      graphHash: `sha256:${runId}`,
      experiment: null,
      requestId: null,
      estimatedSeconds: 2,
    });
}

const completed = (runId: string, resultBytes: number): RunEnding => ({
  runId,
  outcome: {
    status: "completed",
    resultHash: `sha256:result-${runId}`,
    resultBytes,
    metrics: {
      batchId: "batch-1",
      forwardPasses: 1,
      batchRows: 4,
      runRows: 1,
      computeSeconds: 0.5,
    },
  },
});
const failed = (runId: string): RunEnding => ({
  runId,
  outcome: { status: "failed", code: "RUN_FAILED", reason: "node n3 failed" },
});
const types = async (runId: string) =>
  (await readStream(db, streams.run(runId))).map((e) => e.type);

it("ends a batch's runs in one transaction, each with its settlement, and answers per run in order", async () => {
  await request("a1", "a2", "b1", "b2");
  await finishRun(db, "b2", { status: "cancelled", by: "bob" });
  expect(
    await finishRuns(db, [
      completed("a1", 10),
      failed("a2"),
      completed("b1", 20),
      completed("b2", 30),
    ]),
  ).toEqual([
    { status: "completed", appended: true },
    { status: "failed", appended: true },
    { status: "completed", appended: true },
    // Cancelled before the batch ended it: the earlier ending wins.
    { status: "cancelled", appended: false },
  ]);
  for (const runId of ["a1", "a2", "b1"])
    expect((await types(runId)).slice(2)).toEqual([
      runId === "a2" ? "run.failed" : "run.completed",
      "quota.settled",
    ]);
  expect(await types("b2")).toEqual([
    "run.requested",
    "quota.reserved",
    "run.cancelled",
    "quota.settled",
  ]);
  // The batch's six events were written by one transaction.
  const batchEvents = await db.$queryRaw<{ tx: string; n: bigint }[]>`
    SELECT tx_id::text AS tx, count(*) AS n FROM events
    WHERE stream IN ('run-a1', 'run-a2', 'run-b1') AND type IN ('run.completed', 'run.failed', 'quota.settled')
    GROUP BY tx_id`;
  expect(batchEvents).toEqual([{ tx: expect.any(String), n: 6n }]);
  const runs = await db.run.findMany({ orderBy: { id: "asc" } });
  expect(runs.map((r) => [r.id, r.status, r.resultHash])).toEqual([
    ["a1", "completed", "sha256:result-a1"],
    ["a2", "failed", null],
    ["b1", "completed", "sha256:result-b1"],
    ["b2", "cancelled", null],
  ]);
  expect(await quotaStanding(db, "ada")).toMatchObject({
    activeRuns: 0,
    secondsToday: 0.5,
    resultBytesToday: 10,
  });
});

it("applies each user's result-bytes quota across the batch cumulatively; a repeat appends nothing", async () => {
  await request("a1", "b1", "a2", "a3", "b2", "a4");
  const batch = [
    completed("a1", 400),
    completed("b1", 900),
    completed("a2", 400),
    // 800 of ada's 1000 bytes are used by this batch's earlier runs.
    completed("a3", 400),
    // bob's quota is his own: 900 used, 100 left.
    completed("b2", 100),
    completed("a4", 200),
  ];
  const outcomes = await finishRuns(db, batch);
  expect(outcomes.map((o) => o.status)).toEqual([
    "completed",
    "completed",
    "completed",
    "failed",
    "completed",
    "completed",
  ]);
  const a3 = await db.run.findUniqueOrThrow({ where: { id: "a3" } });
  expect(a3.error).toBe(
    "RESULT_TOO_LARGE: quota maxResultBytes exceeded: the result has 400 bytes, and 800 of 1000 are used today",
  );
  expect(a3.resultHash).toBeNull();
  expect((await quotaStanding(db, "ada")).resultBytesToday).toBe(1000);
  expect((await quotaStanding(db, "bob")).resultBytesToday).toBe(1000);

  const events = await db.event.count();
  expect(await finishRuns(db, batch)).toEqual(
    outcomes.map((o) => ({ status: o.status, appended: false })),
  );
  expect(await db.event.count()).toBe(events);
  expect((await quotaStanding(db, "ada")).resultBytesToday).toBe(1000);
});

it("two batches racing for one user's last bytes: exactly one result is attached", async () => {
  await request("a1", "a2", "b1", "b2");
  const [x, y] = await Promise.all([
    finishRuns(db, [completed("a1", 600), completed("b1", 1)]),
    finishRuns(db, [completed("b2", 1), completed("a2", 600)]),
  ]);
  expect([x[0]!.status, y[1]!.status].sort()).toEqual(["completed", "failed"]);
  expect((await quotaStanding(db, "ada")).resultBytesToday).toBe(600);
  expect((await quotaStanding(db, "bob")).resultBytesToday).toBe(2);
});

it("batches racing cancels and each other over the same runs and users: each run ends once, with no deadlock", async () => {
  const runIds = ["a1", "a2", "a3", "a4", "b1", "b2", "b3", "b4"];
  await request(...runIds);
  const results = await Promise.all([
    finishRuns(
      db,
      runIds.map((r) => completed(r, 1)),
    ),
    finishRuns(
      db,
      [...runIds].reverse().map((r) => completed(r, 1)),
    ),
    finishRun(db, "a3", { status: "cancelled", by: "ada" }),
    finishRun(db, "b2", { status: "cancelled", by: "bob" }),
    finishRuns(db, ["b4", "a4"].map(failed)),
  ]);
  const appended = results.flat().filter((o) => o.appended).length;
  expect(appended).toBe(runIds.length);
  for (const runId of runIds) {
    const t = await types(runId);
    expect(t).toHaveLength(4);
    expect(t.filter((e) => e === "quota.settled")).toHaveLength(1);
  }
  expect(await quotaStanding(db, "ada")).toMatchObject({ activeRuns: 0 });
  expect(await quotaStanding(db, "bob")).toMatchObject({ activeRuns: 0 });
});

it("ending the same runs in opposite orders, failed (no quota lock to order them), never deadlocks", async () => {
  for (let round = 0; round < 5; round++) {
    const runIds = Array.from(
      { length: 30 },
      (_, i) => `r${round}-${String(i).padStart(2, "0")}`,
    );
    await request(...runIds);
    const outcomes = await Promise.all([
      finishRuns(db, runIds.map(failed)),
      finishRuns(db, [...runIds].reverse().map(failed)),
    ]);
    expect(outcomes.flat().filter((o) => o.appended)).toHaveLength(
      runIds.length,
    );
  }
});
