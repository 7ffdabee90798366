import { afterAll, beforeEach, describe, expect, inject, it } from "vitest";
import { appendEvents } from "../events/append-events.ts";
import { readStream } from "../events/read-stream.ts";
import { domainEvents, streams } from "../domain/domain-events.ts";
import { projectDomainEvents } from "../domain/project-domain-events.ts";
import { rebuildDomainProjections } from "../domain/rebuild-domain-projections.ts";
import { connectTestDatabase, truncateAll } from "../testing/index.ts";
import {
  claimRuns,
  findStalledBatches,
  type ClaimableRun,
} from "./claim-runs.ts";
import { finishRun, recordRunsStarted } from "./finish-run.ts";
import { requestRun } from "./request-run.ts";
import { DEFAULT_RUN_LIMITS } from "./run-limits.ts";

// Claiming requested runs into batches (PostgreSQL only: no worker, no
// Temporal). Run ids name their user: a1 is ada's, b1 bob's, c1 cy's.
const db = connectTestDatabase(inject("databaseUrl"));
beforeEach(() => truncateAll(db));
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

async function grant(userId: string) {
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
            maxResultBytes: 10_000,
            ...DEFAULT_RUN_LIMITS,
          }),
        ],
      },
    ],
    projectDomainEvents,
  );
}

const USERS: Record<string, string> = { a: "ada", b: "bob", c: "cy", d: "dee" };

/** Requests runs in the order given (so in that order of request time). */
async function request(runIds: string[], model = "facts") {
  for (const runId of runIds)
    await requestRun(db, {
      runId,
      userId: USERS[runId[0]!]!,
      model,
      modelHash: "sha256:m",
      graph,
      graphHash: `sha256:${runId}`,
      experiment: null,
      requestId: null,
      estimatedSeconds: 1,
    });
}

const claim = (
  batchId: string,
  limit: number,
  extra: Partial<Parameters<typeof claimRuns>[1]> = {},
) =>
  claimRuns(db, { model: "facts", batchId, workerId: "w1", limit, ...extra });
const ids = (runs: readonly ClaimableRun[]) => runs.map((r) => r.runId);
const statusOf = async (runId: string) =>
  (await db.run.findUniqueOrThrow({ where: { id: runId } })).status;

beforeEach(async () => {
  for (const user of Object.values(USERS)) await grant(user);
});

describe("claimRuns", () => {
  it("claims round-robin across users; a user's runs queued or running on the model give way, ended ones and other models' do not", async () => {
    // ada has two runs in flight on the model: one claimed, one running.
    await request(["a1", "a2"]);
    expect(ids(await claim("b0", 2))).toEqual(["a1", "a2"]);
    await recordRunsStarted(db, ["a2"], { workerId: "w1", batchId: "b0" });
    // bob has one in flight on another model: it does not count here.
    await request(["b9"], "other");
    await claimRuns(db, {
      model: "other",
      batchId: "bx",
      workerId: "w1",
      limit: 1,
    });
    // ada asked first, but her rank starts after her 2 runs in flight:
    // a3 ranks 3, a4 4; b1 1, b2 2, b3 3; c1 1 (ties by request time).
    await request(["a3", "a4", "b1", "b2", "b3", "c1"]);
    const first = await claim("b1", 3);
    expect(ids(first)).toEqual(["b1", "c1", "b2"]);
    expect(first[0]).toEqual({
      runId: "b1",
      userId: "bob",
      graphHash: "sha256:b1",
      modelHash: "sha256:m",
    });
    // ada's runs in flight end: she no longer gives way (a3 1, a4 2; b3 3).
    await finishRun(db, "a1", { status: "cancelled", by: "ada" });
    await finishRun(db, "a2", { status: "failed", code: "X", reason: "x" });
    expect(ids(await claim("b2", 10))).toEqual(["a3", "a4", "b3"]);
    expect(await claim("b3", 10)).toEqual([]);
  });

  it("records run.queued naming the batch and the worker, and never claims another model's runs or an ended run", async () => {
    await request(["a1", "b1", "c1"]);
    await request(["a9"], "other");
    await finishRun(db, "b1", { status: "cancelled", by: "bob" });
    expect(
      ids(
        await claimRuns(db, {
          model: "facts",
          batchId: "batch-1",
          workerId: "worker-7",
          limit: 10,
        }),
      ),
    ).toEqual(["a1", "c1"]);
    const queued = (await readStream(db, streams.run("a1"))).filter(
      (e) => e.type === "run.queued",
    );
    expect(queued).toHaveLength(1);
    expect(domainEvents.parse(queued[0]!).payload).toEqual({
      runId: "a1",
      batchId: "batch-1",
      workerId: "worker-7",
    });
    expect(queued[0]!.metadata).toMatchObject({ schema: 2 });
    const a1 = await db.run.findUniqueOrThrow({ where: { id: "a1" } });
    expect(a1).toMatchObject({ status: "queued", batchId: "batch-1" });
    expect(a1.queuedAt).toBeInstanceOf(Date);
    expect(await statusOf("b1")).toBe("cancelled");
    expect(await statusOf("a9")).toBe("requested");
    expect(
      (await readStream(db, streams.run("b1"))).map((e) => e.type),
    ).not.toContain("run.queued");
  });

  it("keeps only what `fit` keeps, in rank order: the rest stay requested, with no event, for the next claim", async () => {
    await request(["a1", "a2", "b1", "c1"]);
    const offered: string[][] = [];
    const claimed = await claim("b1", 10, {
      fit: (candidates) => {
        offered.push(ids(candidates));
        return candidates.filter((r) => r.runId !== "b1").slice(0, 2);
      },
    });
    expect(offered).toEqual([["a1", "b1", "c1", "a2"]]);
    expect(ids(claimed)).toEqual(["a1", "c1"]);
    expect(await statusOf("b1")).toBe("requested");
    expect(await statusOf("a2")).toBe("requested");
    expect(
      (await readStream(db, streams.run("b1"))).map((e) => e.type),
    ).toEqual(["run.requested", "quota.reserved"]);
    // Nothing fits: nothing is claimed. A fit that throws claims nothing either.
    expect(await claim("b2", 10, { fit: () => [] })).toEqual([]);
    await expect(
      claim("b3", 10, {
        fit: () => Promise.reject(new Error("no memory left")),
      }),
    ).rejects.toThrow("no memory left");
    expect(await db.run.count({ where: { status: "requested" } })).toBe(2);
    // b1 ranks 1 now (bob has nothing in flight), a2 2 (ada has a1).
    expect(ids(await claim("b4", 10))).toEqual(["b1", "a2"]);
  });

  it("skips the runs another claimer holds (SKIP LOCKED) instead of waiting for them, and never claims a run twice", async () => {
    await request(["a1", "b1", "c1", "d1", "a2", "b2", "c2", "d2"]);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let holding!: () => void;
    const holds = new Promise<void>((resolve) => (holding = resolve));
    // The first claimer holds its 4 runs' rows until the second has claimed:
    // were the rows waited for, not skipped, the second would never return.
    const first = claim("first", 4, {
      fit: async (candidates) => {
        holding();
        await held;
        return candidates;
      },
    });
    await holds;
    // With the same limit: the held rows are skipped without counting toward
    // it, so the second claimer takes the next 4 (not nothing).
    const second = await claim("second", 4);
    release();
    expect(ids(await first)).toEqual(["a1", "b1", "c1", "d1"]);
    expect(ids(second)).toEqual(["a2", "b2", "c2", "d2"]);
    const runs = await db.run.findMany({ orderBy: { id: "asc" } });
    expect(runs.map((r) => [r.id, r.batchId])).toEqual([
      ["a1", "first"],
      ["a2", "second"],
      ["b1", "first"],
      ["b2", "second"],
      ["c1", "first"],
      ["c2", "second"],
      ["d1", "first"],
      ["d2", "second"],
    ]);
  });

  it("concurrent claimers: every run is claimed exactly once", async () => {
    const runIds = Array.from({ length: 40 }, (_, i) => `${"abcd"[i % 4]}${i}`);
    await request(runIds);
    const claimer = async (worker: string) => {
      const mine: string[] = [];
      let n = 0;
      while ((await db.run.count({ where: { status: "requested" } })) > 0)
        mine.push(
          ...ids(
            await claimRuns(db, {
              model: "facts",
              batchId: `${worker}-${n++}`,
              workerId: worker,
              limit: 3,
            }),
          ),
        );
      return mine;
    };
    const claimed = (
      await Promise.all(["w1", "w2", "w3", "w4"].map(claimer))
    ).flat();
    expect(claimed.sort()).toEqual([...runIds].sort());
    expect(await db.event.count({ where: { type: "run.queued" } })).toBe(40);
    expect(await db.run.count({ where: { status: "queued" } })).toBe(40);
  });
});

describe("findStalledBatches", () => {
  it("groups the model's runs claimed before a time and not started by batch; started, younger and other models' runs are left out", async () => {
    await request(["a1", "b1", "c1", "a2"]);
    await request(["d1"], "other");
    await claim("old", 2); // a1, b1
    await claim("started", 1); // c1
    await claimRuns(db, {
      model: "other",
      batchId: "elsewhere",
      workerId: "w1",
      limit: 1,
    });
    await recordRunsStarted(db, ["c1"], { workerId: "w1", batchId: "started" });
    const cutoff = new Date(Date.now() + 1000);
    // a2 is still requested: a claim, not a sweep, takes it.
    const stalled = await findStalledBatches(db, "facts", cutoff);
    // One claim's runs share its queued time: their order within it is free.
    for (const batch of stalled)
      batch.runs.sort((x, y) => (x.runId < y.runId ? -1 : 1));
    expect(stalled).toEqual([
      {
        batchId: "old",
        model: "facts",
        runs: [
          {
            runId: "a1",
            userId: "ada",
            graphHash: "sha256:a1",
            modelHash: "sha256:m",
          },
          {
            runId: "b1",
            userId: "bob",
            graphHash: "sha256:b1",
            modelHash: "sha256:m",
          },
        ],
      },
    ]);
    // Claimed after the time asked about: not stalled (yet).
    expect(await findStalledBatches(db, "facts", new Date(0))).toEqual([]);
  });

  it("reads a run.queued of schema version 1 (one workflow per run: no batch) upcast, as a batch of its own", async () => {
    await request(["a1"]);
    await db.event.create({
      data: {
        stream: streams.run("a1"),
        version: 3,
        type: "run.queued",
        payload: { runId: "a1" },
        metadata: { schema: 1 },
      },
    });
    const [stored] = (await readStream(db, streams.run("a1"))).filter(
      (e) => e.type === "run.queued",
    );
    expect(domainEvents.parse(stored!).payload).toEqual({
      runId: "a1",
      batchId: null,
      workerId: null,
    });
    // Written raw, it was not projected: the rebuild projects it, upcast.
    await rebuildDomainProjections(db);
    expect(
      await db.run.findUniqueOrThrow({ where: { id: "a1" } }),
    ).toMatchObject({
      status: "queued",
      batchId: null,
    });
    expect(
      await findStalledBatches(db, "facts", new Date(Date.now() + 1000)),
    ).toEqual([
      {
        batchId: "run-a1",
        model: "facts",
        runs: [
          {
            runId: "a1",
            userId: "ada",
            graphHash: "sha256:a1",
            modelHash: "sha256:m",
          },
        ],
      },
    ]);
  });
});
