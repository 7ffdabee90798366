import { afterAll, beforeEach, expect, inject, it } from "vitest";
import { appendEvents, type NewEvent } from "../events/append-events.ts";
import { connectTestDatabase, truncateAll } from "../testing/index.ts";
import { registerModel } from "../models/register-model.ts";
import { finishRun } from "../runs/finish-run.ts";
import { requestRun } from "../runs/request-run.ts";
import { DEFAULT_RUN_LIMITS } from "../runs/run-limits.ts";
import { domainEvents, streams } from "./domain-events.ts";
import { projectDomainEvents } from "./project-domain-events.ts";
import {
  READ_MODEL_TABLES,
  rebuildDomainProjections,
} from "./rebuild-domain-projections.ts";

const db = connectTestDatabase(inject("databaseUrl"));
beforeEach(() => truncateAll(db));
afterAll(() => db.$disconnect());

/** Appends one domain event with its inline projection. */
const emit = (event: NewEvent) =>
  appendEvents(
    db,
    [{ stream: event.stream, events: [event] }],
    projectDomainEvents,
  );

async function snapshot(): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const table of READ_MODEL_TABLES)
    out[table] = await db.$queryRawUnsafe(
      `SELECT * FROM "${table}" ORDER BY 1, 2`,
    );
  return out;
}

it("projects domain events inline, and rebuilding from the log gives the same read models", async () => {
  const e = domainEvents;
  const graph = { format: "loupe.graph", version: 1, traces: [], nodes: [] };
  const storedGraph = { json: JSON.stringify(graph), types: {} };
  await emit(
    e.event(streams.user("admin"), "account.created", {
      userId: "admin",
      email: "admin@loupe.test",
      name: "Admin",
      role: "admin",
    }),
  );
  await emit(
    e.event(streams.user("ada"), "account.created", {
      userId: "ada",
      email: "ada@loupe.test",
      name: "Ada",
      role: "researcher",
    }),
  );
  await emit(
    e.event(streams.user("bob"), "account.created", {
      userId: "bob",
      email: "bob@loupe.test",
      name: "Bob",
      role: "researcher",
    }),
  );
  await emit(
    e.event(streams.user("ada"), "application.submitted", {
      userId: "ada",
      affiliation: "Lab",
      purpose: "patching",
    }),
  );
  await emit(
    e.event(streams.user("bob"), "application.submitted", {
      userId: "bob",
      affiliation: "None",
      purpose: "?",
    }),
  );
  await emit(
    e.event(streams.user("ada"), "application.approved", {
      userId: "ada",
      by: "admin",
    }),
  );
  await emit(
    e.event(streams.user("bob"), "application.rejected", {
      userId: "bob",
      by: "admin",
      reason: "no purpose given",
    }),
  );
  await emit(
    e.event(streams.user("ada"), "quota.granted", {
      userId: "ada",
      by: "admin",
      computeSecondsPerDay: 3600,
      maxConcurrentRuns: 4,
      maxRunsPerDay: 100,
      maxResultBytes: 2 ** 30,
      ...DEFAULT_RUN_LIMITS,
    }),
  );
  await emit(
    e.event(streams.user("ada"), "api_key.created", {
      keyId: "k1",
      userId: "ada",
      name: "laptop",
      prefix: "lp_ab12",
      hash: "a".repeat(64),
      scopes: ["runs"],
    }),
  );
  await emit(
    e.event(streams.user("ada"), "api_key.revoked", {
      keyId: "k1",
      userId: "ada",
      by: "ada",
    }),
  );
  await emit(
    e.event(streams.experiment("x1"), "experiment.created", {
      experimentId: "x1",
      ownerId: "ada",
      title: "Paris to Rome",
      description: "",
      visibility: "private",
      license: "CC-BY-4.0",
      forkedFrom: null,
    }),
  );
  for (const version of [1, 2])
    await emit(
      e.event(streams.experiment("x1"), "experiment.version_committed", {
        experimentId: "x1",
        version,
        authorId: "ada",
        message: `v${version}`,
        model: "facts",
        graphHash: `sha256:${version}`,
        graph,
      }),
    );
  await emit(
    e.event(streams.experiment("x1"), "experiment.visibility_changed", {
      experimentId: "x1",
      visibility: "public",
      by: "ada",
    }),
  );
  await emit(
    e.event(streams.experiment("x2"), "experiment.created", {
      experimentId: "x2",
      ownerId: "admin",
      title: "Fork",
      description: "forked",
      visibility: "public",
      license: "CC-BY-4.0",
      forkedFrom: { experimentId: "x1", version: 2 },
      tags: ["patching"],
    }),
  );
  await emit(
    e.event(streams.experiment("x2"), "experiment.described", {
      experimentId: "x2",
      title: "Fork, described",
      description: "what it does",
      tags: ["patching", "gpt2"],
      license: "MIT",
      by: "admin",
    }),
  );
  for (const userId of ["admin", "bob"])
    await emit(
      e.event(streams.experiment("x1"), "experiment.starred", {
        experimentId: "x1",
        userId,
      }),
    );
  await emit(
    e.event(streams.experiment("x1"), "experiment.unstarred", {
      experimentId: "x1",
      userId: "bob",
    }),
  );
  await registerModel(db, {
    name: "facts",
    hash: "sha256:m",
    manifest: { format: "loupe.manifest" },
    secondsPerToken: 0.001,
    tokenizerHash: "sha256:t",
  });
  // Runs through the quota: requested with a reservation, ended with a settlement.
  for (const [runId, last] of [
    ["r1", "completed"],
    ["r2", "failed"],
  ] as const) {
    await requestRun(db, {
      runId,
      userId: "ada",
      model: "facts",
      modelHash: "sha256:m",
      graph: storedGraph,
      graphHash: "sha256:g",
      experiment: { experimentId: "x1", version: 2 },
      requestId: null,
      estimatedSeconds: 2,
    });
    await emit(
      e.event(streams.run(runId), "run.queued", {
        runId,
        batchId: "b1",
        workerId: "w1",
      }),
    );
    await emit(
      e.event(streams.run(runId), "run.started", {
        runId,
        workerId: "w1",
        batchId: "b1",
      }),
    );
    await finishRun(
      db,
      runId,
      last === "completed"
        ? {
            status: "completed",
            resultHash: "sha256:r",
            resultBytes: 1234,
            metrics: {
              batchId: "b1",
              forwardPasses: 1,
              batchRows: 2,
              runRows: 1,
              computeSeconds: 0.5,
            },
          }
        : {
            status: "failed",
            code: "WORKER_LOST",
            reason: "retries exhausted",
          },
    );
  }
  // An event written by an older schema (run.requested v1 had no graph, v2
  // carried it, v3 names it by hash and has the request id) reads upcast.
  await db.event.create({
    data: {
      stream: streams.run("r0"),
      version: 1,
      type: "run.requested",
      payload: {
        runId: "r0",
        userId: "bob",
        model: "facts",
        modelHash: "sha256:m",
        graphHash: "sha256:old",
        experiment: null,
      },
      metadata: { schema: 1 },
    },
  });

  const before = await snapshot();
  expect(before.accounts).toHaveLength(3);
  expect(before.accounts).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ id: "ada", access: "approved" }),
      expect.objectContaining({
        id: "bob",
        access: "rejected",
        rejection_reason: "no purpose given",
      }),
      expect.objectContaining({ id: "admin", access: "approved" }),
    ]),
  );
  expect(before.experiments).toEqual([
    expect.objectContaining({
      id: "x1",
      latest_version: 2,
      model: "facts",
      stars: 1,
      forks: 1,
      tags: [],
      visibility: "public",
    }),
    expect.objectContaining({
      id: "x2",
      forked_from_id: "x1",
      forked_from_version: 2,
      title: "Fork, described",
      tags: ["patching", "gpt2"],
      license: "MIT",
    }),
  ]);
  expect(before.quota_usage).toEqual([
    expect.objectContaining({
      user_id: "ada",
      runs: 2,
      active_runs: 0,
      reserved_seconds: 0,
      used_seconds: 0.5,
      result_bytes: 1234n,
    }),
  ]);
  expect(before.models).toEqual([
    expect.objectContaining({ name: "facts", hash: "sha256:m" }),
  ]);
  expect(before.runs).toEqual([
    expect.objectContaining({
      id: "r1",
      status: "completed",
      result_hash: "sha256:r",
    }),
    expect.objectContaining({
      id: "r2",
      status: "failed",
      error: "WORKER_LOST: retries exhausted",
    }),
  ]);
  expect(before.api_keys).toEqual([
    expect.objectContaining({ id: "k1", revoked_at: expect.any(Date) }),
  ]);

  expect(await rebuildDomainProjections(db)).toBe(await db.event.count());
  const after = await snapshot();
  // The v1 request was not projected inline (written raw); the rebuild reads it upcast.
  expect(after.runs).toContainEqual(
    expect.objectContaining({
      id: "r0",
      request_id: null,
      status: "requested",
    }),
  );
  expect({
    ...after,
    runs: after.runs!.filter((r) => (r as { id: string }).id !== "r0"),
  }).toEqual(before);
});
