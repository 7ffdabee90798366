import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import {
  claimRuns,
  finishRun,
  recordModelHosting,
  recordRunsStarted,
  registerModel,
  RunRequestListener,
  type Database,
} from "@loupe/db";
import { connectTestDatabase, truncateAll } from "@loupe/db/testing";
import { createModel, manifestSchema, type Envoy } from "@loupe/graph";
import { WorkflowNotFoundError } from "@temporalio/client";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createPasswordAccount, seedAdmin } from "../../auth/accounts.ts";
import { principalOfUser } from "../../auth/principal.ts";
import { createApiContext } from "../../context.ts";
import { createCaller } from "../../root-router.ts";
import { createApiServices } from "../../services.ts";

// A run's life as the API records and reports it, with no worker: the test
// plays the worker's part through @loupe/db (claim, start, finish), as a
// dispatcher and a batch would. Runs through real workers are tested in
// apps/worker.
const databaseUrl = inject("databaseUrl");
const services = createApiServices({
  databaseUrl,
  temporalAddress: inject("temporalAddress"),
  temporalNamespace: "default",
  platformTaskQueue: `runs-unpolled-${randomUUID()}`,
});
const db: Database = connectTestDatabase(databaseUrl);
const listener = new RunRequestListener(databaseUrl);
const MODEL = "facts-runs";
const imported = JSON.parse(
  readFileSync(
    path.resolve(
      import.meta.dirname,
      "../../../../../models/facts/model.manifest.json",
    ),
    "utf8",
  ),
) as { manifest: unknown };

type Caller = ReturnType<typeof createCaller>;
let researcher: Caller;
let lm: ReturnType<typeof createModel<Envoy>>;

beforeAll(async () => {
  await truncateAll(db);
  const { userId: adminId } = await seedAdmin(db, {
    email: "admin@loupe.test",
    password: "admin-password",
  });
  const admin = createCaller(
    createApiContext(services, await principalOfUser(db, adminId)),
  );
  const { userId } = await createPasswordAccount(db, {
    email: "r@loupe.test",
    name: "R",
    password: "a-long-password",
  });
  const asResearcher = async () =>
    createCaller(createApiContext(services, await principalOfUser(db, userId)));
  await (
    await asResearcher()
  ).applications.submit({
    affiliation: "Lab",
    purpose: "to study the models",
  });
  await admin.applications.review({ userId, decision: "approve" });
  researcher = await asResearcher();

  const base = manifestSchema.parse(imported.manifest);
  const manifest = { ...base, model: { ...base.model, name: MODEL } };
  await registerModel(db, {
    name: MODEL,
    hash: manifest.model.hash ?? MODEL,
    manifest,
    secondsPerToken: 1e-4,
    tokenizerHash: null,
  });
  await recordModelHosting(db, {
    type: "model.online",
    payload: {
      name: MODEL,
      requestId: null,
      workerId: "w1",
      source: { kind: "path", path: "/srv/facts/model.onnx" },
      weightBytes: 1000,
    },
  });
  lm = createModel<Envoy>(manifest);
});
afterAll(async () => {
  await listener.close();
  await services.close();
  await db.$disconnect();
});

/** Submits a graph of its own (so never served from an earlier run's result). */
let submitted = 0;
const submit = () =>
  researcher.runs.submit({
    model: MODEL,
    reuse: false,
    graph: lm.trace(
      `The Louvre is located in the city of ${++submitted}`,
      () => {
        lm.transformer!.h![0]!.output[0]!.save("h");
      },
    ),
  });
/** Claims every requested run of the model into one batch, as a worker would. */
const claim = (batchId: string = randomUUID()) =>
  claimRuns(db, { model: MODEL, batchId, workerId: "w1", limit: 100 });
const completed = (resultBytes: number) =>
  ({
    status: "completed",
    resultHash: "sha256:result",
    resultBytes,
    metrics: {
      batchId: null,
      forwardPasses: 1,
      batchRows: 1,
      runRows: 1,
      computeSeconds: 0.01,
    },
  }) as const;

describe("runs.submit", () => {
  it("records the run as requested, with its reservation, and wakes the model's workers; no workflow is started", async () => {
    let woken = 0;
    await listener.subscribe(MODEL, () => woken++);
    await expect.poll(() => woken).toBe(1); // the connection opened
    const { runId, status, duplicate } = await submit();
    expect({ status, duplicate }).toEqual({
      status: "requested",
      duplicate: false,
    });
    await expect.poll(() => woken).toBe(2);
    const run = await db.run.findUniqueOrThrow({ where: { id: runId } });
    expect(run).toMatchObject({ status: "requested", batchId: null });
    expect(run.reservedSeconds).toBeGreaterThan(0);
    expect((await researcher.account.me()).quota.activeRuns).toBe(1);
    // Nothing on the request path talks to Temporal: no per-run workflow.
    await expect(
      services.temporal.client.workflow.getHandle(`run-${runId}`).describe(),
    ).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect(await researcher.runs.cancel({ runId })).toEqual({
      runId,
      status: "cancelled",
    });
  });
});

describe("runs.graph", () => {
  it("gives a reader of the run the graph it ran, and anyone else NOT_FOUND", async () => {
    const { runId } = await submit();
    const { graphHash, document } = await researcher.runs.graph({ runId });
    const run = await db.run.findUniqueOrThrow({ where: { id: runId } });
    expect(graphHash).toBe(run.graphHash);
    expect(document).toMatchObject({
      traces: [
        {
          invokes: [
            {
              input: {
                prompts: [`The Louvre is located in the city of ${submitted}`],
              },
            },
          ],
        },
      ],
    });
    const { userId } = await createPasswordAccount(db, {
      email: `other-${randomUUID()}@loupe.test`,
      name: "Other",
      password: "another-long-password",
    });
    const other = createCaller(
      createApiContext(services, await principalOfUser(db, userId)),
    );
    await expect(other.runs.graph({ runId })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await researcher.runs.cancel({ runId });
  });
});

describe("runs.status", () => {
  it("until ended: holds the answer through the run's steps and answers when it ends", async () => {
    const { runId } = await submit();
    const first = await researcher.runs.status({ runId });
    expect(first).toMatchObject({ status: "requested", queuePosition: 0 });
    const untilEnded = researcher.runs.status({
      runId,
      until: "ended",
      waitMs: 20_000,
    });
    const untilChanged = researcher.runs.status({
      runId,
      unlessChanged: first.changeKey,
      waitMs: 20_000,
    });
    const [claimed] = await claim("batch-1");
    expect(claimed?.runId).toBe(runId);
    // A change answers the default long poll ...
    expect(await untilChanged).toMatchObject({
      status: "queued",
      queuePosition: 0,
    });
    await recordRunsStarted(db, [runId], {
      workerId: "w1",
      batchId: "batch-1",
    });
    await finishRun(db, runId, completed(10));
    // ... but only the run's end answers `until: "ended"`.
    expect(await untilEnded).toMatchObject({
      runId,
      status: "completed",
      resultBytes: 10,
      resultUrl: `/api/runs/${runId}/result`,
    });
  });

  it("until ended: answers at waitMs with the run as it stands, and at once for a run that has ended", async () => {
    const { runId } = await submit();
    expect(
      await researcher.runs.status({ runId, until: "ended", waitMs: 200 }),
    ).toMatchObject({ runId, status: "requested", queuePosition: 0 });
    await claim();
    expect(
      await researcher.runs.status({ runId, until: "ended", waitMs: 200 }),
    ).toMatchObject({ status: "queued" });
    await finishRun(db, runId, {
      status: "failed",
      code: "RUN_FAILED",
      reason: "node n3 failed",
    });
    expect(
      await researcher.runs.status({ runId, until: "ended", waitMs: 20_000 }),
    ).toMatchObject({
      status: "failed",
      error: "RUN_FAILED: node n3 failed",
      queuePosition: null,
    });
  });

  it("shows a failed run's error with the registry's code, also for one recorded under a name from before the registry", async () => {
    const legacy = await submit();
    const current = await submit();
    await finishRun(db, legacy.runId, {
      status: "failed",
      code: "RunError",
      reason: "node n3 failed",
    });
    await finishRun(db, current.runId, {
      status: "failed",
      code: "MODEL_CHANGED",
      reason: "the worker hosts another version",
    });
    expect(await researcher.runs.status({ runId: legacy.runId })).toMatchObject(
      { status: "failed", error: "RUN_ERROR: node n3 failed" },
    );
    expect(
      await researcher.runs.status({ runId: current.runId }),
    ).toMatchObject({
      status: "failed",
      error: "MODEL_CHANGED: the worker hosts another version",
    });
    const listed = await researcher.runs.list({ status: "failed" });
    expect(listed.find((r) => r.runId === legacy.runId)?.error).toBe(
      "RUN_ERROR: node n3 failed",
    );
  });

  it("refuses an unknown `until`, naming what it expected", async () => {
    const { runId } = await submit();
    await expect(
      researcher.runs.status({
        runId,
        until: "started" as "ended",
        waitMs: 0,
      }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await researcher.runs.cancel({ runId });
  });
});

describe("runs.cancel", () => {
  it("ends a requested or claimed run once, releasing its reservation; a cancelled run is never claimed, an ended run stays as it ended", async () => {
    const requested = await submit();
    const queued = await submit();
    await claim();
    const fresh = await submit();
    expect((await researcher.account.me()).quota.activeRuns).toBe(3);
    // `queued` was claimed into a batch: the batch will skip it.
    for (const { runId } of [requested, fresh])
      expect(await researcher.runs.cancel({ runId })).toEqual({
        runId,
        status: "cancelled",
      });
    expect(await claim()).toEqual([]);
    expect(await researcher.runs.cancel({ runId: queued.runId })).toEqual({
      runId: queued.runId,
      status: "cancelled",
    });
    expect(
      await recordRunsStarted(db, [queued.runId], {
        workerId: "w1",
        batchId: "late",
      }),
    ).toEqual([]);
    expect((await researcher.account.me()).quota.activeRuns).toBe(0);

    const done = await submit();
    await claim();
    await finishRun(db, done.runId, completed(5));
    expect(await researcher.runs.cancel({ runId: done.runId })).toEqual({
      runId: done.runId,
      status: "completed",
    });
    expect(await researcher.runs.status({ runId: done.runId })).toMatchObject({
      status: "completed",
    });
  });
});
