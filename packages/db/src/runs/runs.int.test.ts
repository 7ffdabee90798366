import { createHash } from "node:crypto";
import { afterAll, beforeEach, describe, expect, inject, it } from "vitest";
import { readStoredGraph } from "./graphs.ts";
import { appendEvents } from "../events/append-events.ts";
import { readStream } from "../events/read-stream.ts";
import { domainEvents, streams } from "../domain/domain-events.ts";
import { projectDomainEvents } from "../domain/project-domain-events.ts";
import { connectTestDatabase, truncateAll } from "../testing/index.ts";
import { finishRun, recordRunsStarted, recordRunStep } from "./finish-run.ts";
import { queuePosition } from "./queue-position.ts";
import { QuotaExceededError } from "./quota-exceeded-error.ts";
import { quotaStanding, requestRun } from "./request-run.ts";
import { DEFAULT_RUN_LIMITS } from "./run-limits.ts";
import { findReusableRun, serveCachedRun } from "./serve-cached-run.ts";

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
const emit = (...events: ReturnType<typeof domainEvents.event>[]) =>
  appendEvents(
    db,
    events.map((e) => ({ stream: e.stream, events: [e] })),
    projectDomainEvents,
  );

async function grant(
  userId: string,
  limits: Partial<{
    computeSecondsPerDay: number;
    maxConcurrentRuns: number;
    maxRunsPerDay: number;
    maxResultBytes: number;
  }> = {},
) {
  await emit(
    domainEvents.event(streams.user(userId), "quota.granted", {
      userId,
      by: "admin",
      computeSecondsPerDay: 100,
      maxConcurrentRuns: 10,
      maxRunsPerDay: 100,
      maxResultBytes: 10_000,
      ...DEFAULT_RUN_LIMITS,
      ...limits,
    }),
  );
}

const request = (runId: string, userId: string, extra = {}) =>
  requestRun(db, {
    runId,
    userId,
    model: "facts",
    modelHash: "sha256:m",
    graph,
    graphHash: `sha256:${runId}`,
    experiment: null,
    requestId: null,
    estimatedSeconds: 1,
    ...extra,
  });

const completed = (resultBytes: number, computeSeconds = 0.25) =>
  ({
    status: "completed",
    resultHash: "sha256:r",
    resultBytes,
    metrics: {
      batchId: "b",
      forwardPasses: 1,
      batchRows: 1,
      runRows: 1,
      computeSeconds,
    },
  }) as const;

describe("idempotent requests", () => {
  it("one run per user and request id: a repeat, or 10 at once, makes one run and one reservation", async () => {
    await grant("ada");
    await grant("bob");
    const first = await request("r1", "ada", { requestId: "req-1" });
    expect(first).toEqual({ runId: "r1", duplicate: false });
    // The same id again (a retry) returns the first run and records nothing.
    expect(await request("r2", "ada", { requestId: "req-1" })).toEqual({
      runId: "r1",
      duplicate: true,
      graphHash: "sha256:r1",
    });
    expect(await readStream(db, streams.run("r2"))).toEqual([]);
    const concurrent = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        request(`c${i}`, "ada", { requestId: "req-2" }),
      ),
    );
    const runIds = new Set(concurrent.map((r) => r.runId));
    expect(runIds.size).toBe(1);
    expect(concurrent.filter((r) => !r.duplicate)).toHaveLength(1);
    // Another user's request with the same id is a request of its own.
    expect(await request("b1", "bob", { requestId: "req-1" })).toMatchObject({
      runId: "b1",
      duplicate: false,
    });
    const standing = await quotaStanding(db, "ada");
    expect(standing).toMatchObject({
      runsToday: 2,
      activeRuns: 2,
      secondsToday: 2,
    });
    expect(await db.event.count({ where: { type: "quota.reserved" } })).toBe(3);
    // PostgreSQL enforces it too, whatever the writer: a second row for (ada, req-1) is refused.
    await expect(
      db.$executeRaw`INSERT INTO runs (id, user_id, model, model_hash, graph_hash, status, request_id, requested_at) VALUES ('x', 'ada', 'facts', 'm', 'g', 'requested', 'req-1', now())`,
    ).rejects.toThrow(/unique/i);
  });

  it("stores a run's graph once, by hash, and reads it back checked against the hash", async () => {
    await grant("ada");
    const json = JSON.stringify({
      format: "loupe.graph",
      version: 1,
      traces: [],
      nodes: [],
      marker: "only-once",
    });
    const hash = `sha256:${createHash("sha256").update(json).digest("hex")}`;
    for (const runId of ["g1", "g2"])
      await request(runId, "ada", {
        graph: { json, types: { n0: null } },
        graphHash: hash,
      });
    expect(await db.graph.count()).toBe(1);
    const read = await readStoredGraph(db, hash, "sha256:m", () => "");
    expect(read).toEqual({ json, types: { n0: null } });
    await expect(
      readStoredGraph(db, hash, "sha256:other-model", () => ""),
    ).rejects.toThrow(/never checked against model sha256:other-model/);
    await db.$executeRaw`UPDATE graphs SET document = '{"tampered": true}'::json WHERE hash = ${hash}`;
    await expect(
      readStoredGraph(db, hash, "sha256:m", (d) => JSON.stringify(d)),
    ).rejects.toThrow(/does not match its hash/);
  });
});

describe("a batch's bookkeeping", () => {
  it("records a batch's run.started once per run, in one append, and returns the runs that have not ended", async () => {
    await grant("ada");
    for (const id of ["s1", "s2", "s3", "s4"]) await request(id, "ada");
    await finishRun(db, "s3", { status: "cancelled", by: "ada" });
    await recordRunsStarted(db, ["s4"], { workerId: "w0", batchId: "b0" });
    const started = await recordRunsStarted(db, ["s1", "s2", "s3", "s4"], {
      workerId: "w1",
      batchId: "b1",
    });
    // s4 started in an earlier attempt: it runs again, with no second event.
    expect(started).toEqual(["s1", "s2", "s4"]);
    // A retried batch appends nothing, and runs what has not ended.
    expect(
      await recordRunsStarted(db, ["s1", "s2", "s3"], {
        workerId: "w1",
        batchId: "b1",
      }),
    ).toEqual(["s1", "s2"]);
    const runs = await db.run.findMany({
      where: { id: { in: ["s1", "s2", "s3", "s4"] } },
      orderBy: { id: "asc" },
    });
    expect(runs.map((r) => r.status)).toEqual([
      "running",
      "running",
      "cancelled",
      "running",
    ]);
    const s1 = (await readStream(db, streams.run("s1"))).map((e) => e.type);
    expect(s1.filter((t) => t === "run.started")).toHaveLength(1);
  });
});

describe("quota reservation", () => {
  it("refuses a user without a quota, and names each quota it exceeds", async () => {
    await expect(request("r0", "nobody")).rejects.toMatchObject({
      code: "QUOTA_EXCEEDED",
      quota: "none",
    });
    await grant("ada", { maxConcurrentRuns: 1 });
    await request("r1", "ada");
    await expect(request("r2", "ada")).rejects.toMatchObject({
      code: "QUOTA_EXCEEDED",
      quota: "maxConcurrentRuns",
      limit: 1,
      used: 1,
    });
    await grant("bob", { computeSecondsPerDay: 3 });
    await request("b1", "bob", { estimatedSeconds: 2 });
    const error = await request("b2", "bob", { estimatedSeconds: 2 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(QuotaExceededError);
    expect((error as Error).message).toMatch(
      /computeSecondsPerDay exceeded: 2 of 3 s .* estimated at 2 s/,
    );
    // Nothing of a refused request is recorded.
    expect(await readStream(db, streams.run("b2"))).toEqual([]);
  });

  it("settles once: the reservation is released, the actual charge and bytes are used", async () => {
    await grant("ada");
    await request("r1", "ada", { estimatedSeconds: 5 });
    expect((await quotaStanding(db, "ada")).secondsToday).toBe(5);
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, () => finishRun(db, "r1", completed(300))),
    );
    expect(outcomes.filter((o) => o.appended)).toHaveLength(1);
    const types = (await readStream(db, streams.run("r1"))).map((e) => e.type);
    expect(types).toEqual([
      "run.requested",
      "quota.reserved",
      "run.completed",
      "quota.settled",
    ]);
    const standing = await quotaStanding(db, "ada");
    expect(standing).toMatchObject({
      activeRuns: 0,
      runsToday: 1,
      secondsToday: 0.25,
      resultBytesToday: 300,
    });
    // A late step never reopens an ended run.
    expect(
      await recordRunStep(
        db,
        domainEvents.event(streams.run("r1"), "run.queued", {
          runId: "r1",
          batchId: "b1",
          workerId: "w1",
        }),
      ),
    ).toBe(false);
  });

  it("a cancel racing a completion: exactly one ending and one settlement", async () => {
    await grant("ada");
    await request("r1", "ada");
    const [a, b] = await Promise.all([
      finishRun(db, "r1", { status: "cancelled", by: "ada" }),
      finishRun(db, "r1", completed(10)),
    ]);
    expect([a.appended, b.appended].sort()).toEqual([false, true]);
    const types = (await readStream(db, streams.run("r1"))).map((e) => e.type);
    expect(types.filter((t) => t === "quota.settled")).toHaveLength(1);
    expect(types).toHaveLength(4);
  });

  it("a result past maxResultBytes fails the run instead of attaching it", async () => {
    await grant("ada", { maxResultBytes: 1000 });
    await request("r1", "ada");
    await finishRun(db, "r1", completed(600));
    await request("r2", "ada");
    expect(await finishRun(db, "r2", completed(600))).toEqual({
      status: "failed",
      appended: true,
    });
    const run = await db.run.findUniqueOrThrow({ where: { id: "r2" } });
    expect(run.error).toMatch(
      /RESULT_TOO_LARGE: quota maxResultBytes exceeded: the result has 600 bytes, and 600 of 1000/,
    );
    expect(run.resultHash).toBeNull();
    expect((await quotaStanding(db, "ada")).resultBytesToday).toBe(600);
    // The day's bytes are now spent down to 400: a new run is still admitted
    // (its size is unknown until it runs); once the bytes are all used, none is.
    await request("r3", "ada");
    await finishRun(db, "r3", completed(400));
    await expect(request("r4", "ada")).rejects.toMatchObject({
      quota: "maxResultBytes",
    });
  });
});

describe("queue position", () => {
  it("counts the waiting runs of the same model requested earlier", async () => {
    await grant("ada");
    for (const id of ["q1", "q2", "q3"]) await request(id, "ada");
    await request("other", "ada", { model: "other-model" });
    expect(await queuePosition(db, "q3")).toBe(2);
    expect(await queuePosition(db, "other")).toBe(0);
    await recordRunStep(
      db,
      domainEvents.event(streams.run("q1"), "run.started", {
        runId: "q1",
        workerId: "w",
        batchId: "b",
      }),
    );
    expect(await queuePosition(db, "q1")).toBeNull();
    expect(await queuePosition(db, "q3")).toBe(1);
  });
});

describe("result reuse", () => {
  it("reuses own and public runs, never another user's private run", async () => {
    await grant("ada");
    await grant("bob");
    await request("mine", "ada", { graphHash: "sha256:same" });
    await finishRun(db, "mine", completed(10));
    const q = { graphHash: "sha256:same", modelHash: "sha256:m" };
    expect(await findReusableRun(db, { ...q, userId: "ada" })).toMatchObject({
      runId: "mine",
    });
    expect(await findReusableRun(db, { ...q, userId: "bob" })).toBeNull();
    expect(
      await findReusableRun(db, {
        ...q,
        modelHash: "sha256:other",
        userId: "ada",
      }),
    ).toBeNull();

    // A run of a public experiment is readable by everyone, so reusable.
    await emit(
      domainEvents.event(streams.experiment("x"), "experiment.created", {
        experimentId: "x",
        ownerId: "ada",
        title: "t",
        description: "",
        visibility: "public",
        license: "MIT",
        forkedFrom: null,
      }),
    );
    await request("pub", "ada", {
      graphHash: "sha256:pub",
      experiment: { experimentId: "x", version: 1 },
    });
    await finishRun(db, "pub", completed(10));
    const hit = await findReusableRun(db, {
      graphHash: "sha256:pub",
      modelHash: "sha256:m",
      userId: "bob",
    });
    expect(hit).toMatchObject({ runId: "pub" });
    await serveCachedRun(
      db,
      {
        runId: "bobs",
        userId: "bob",
        model: "facts",
        modelHash: "sha256:m",
        graph,
        graphHash: "sha256:pub",
        experiment: null,
        requestId: null,
      },
      hit!,
    );
    const bobs = await db.run.findUniqueOrThrow({ where: { id: "bobs" } });
    expect(bobs).toMatchObject({ status: "completed", cached: true });
    // A hit costs no quota.
    expect((await quotaStanding(db, "bob")).runsToday).toBe(0);
  });
});
