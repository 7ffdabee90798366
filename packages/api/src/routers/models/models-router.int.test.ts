import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import {
  claimRuns,
  recordModelHosting,
  recordRunsStarted,
  recordWorkerHeartbeat,
  registerModel,
  requestRun,
  type Database,
} from "@loupe/db";
import { connectTestDatabase, truncateAll } from "@loupe/db/testing";
import { createModel, manifestSchema, type Envoy } from "@loupe/graph";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createPasswordAccount, seedAdmin } from "../../auth/accounts.ts";
import { principalOfUser } from "../../auth/principal.ts";
import { createApiContext } from "../../context.ts";
import { type LoupeError } from "../../errors/loupe-error.ts";
import { createCaller } from "../../root-router.ts";
import { createApiServices } from "../../services.ts";

// Hosting and unhosting models through the API (PostgreSQL, Temporal): the
// API records requests and states; no worker runs here (the worker's tests
// load models).
const services = createApiServices({
  databaseUrl: inject("databaseUrl"),
  temporalAddress: inject("temporalAddress"),
  temporalNamespace: "default",
  platformTaskQueue: `models-unpolled-${randomUUID()}`,
});
const db: Database = connectTestDatabase(inject("databaseUrl"));
const imported = JSON.parse(
  readFileSync(
    path.resolve(
      import.meta.dirname,
      "../../../../../models/facts/model.manifest.json",
    ),
    "utf8",
  ),
) as { manifest: unknown };
const base = manifestSchema.parse(imported.manifest);

type Caller = ReturnType<typeof createCaller>;
let admin: Caller;
let researcher: Caller;
let researcherId: string;

async function failure(call: Promise<unknown>): Promise<TRPCError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof TRPCError) return error;
    throw error;
  }
  throw new Error("expected the call to fail");
}

/** A model a worker registered (the bundled model's manifest, renamed). */
async function registered(name: string) {
  const manifest = { ...base, model: { ...base.model, name } };
  await registerModel(db, {
    name,
    hash: manifest.model.hash ?? name,
    manifest,
    secondsPerToken: 1e-4,
    tokenizerHash: null,
  });
  return createModel<Envoy>(manifest);
}

beforeAll(async () => {
  await truncateAll(db);
  const { userId: adminId } = await seedAdmin(db, {
    email: "admin@loupe.test",
    password: "admin-password",
  });
  admin = createCaller(
    createApiContext(services, await principalOfUser(db, adminId)),
  );
  researcherId = (
    await createPasswordAccount(db, {
      email: "r@loupe.test",
      name: "R",
      password: "a-long-password",
    })
  ).userId;
  researcher = createCaller(
    createApiContext(services, await principalOfUser(db, researcherId)),
  );
  await researcher.applications.submit({
    affiliation: "Lab",
    purpose: "to study the models",
  });
  await admin.applications.review({
    userId: researcherId,
    decision: "approve",
  });
  researcher = createCaller(
    createApiContext(services, await principalOfUser(db, researcherId)),
  );
});
afterAll(async () => {
  await services.close();
  await db.$disconnect();
});

describe("models.host", () => {
  it("records the request (the path, nothing uploaded): the model is listed as requested, and a second request is a conflict", async () => {
    const hosted = await admin.models.host({
      name: "big-gpt",
      source: "/srv/models/big/model.onnx",
    });
    expect(hosted).toMatchObject({
      name: "big-gpt",
      state: "requested",
      source: { kind: "path", path: "/srv/models/big/model.onnx" },
    });
    const row = (await admin.models.list()).find((m) => m.name === "big-gpt");
    expect(row).toMatchObject({
      state: "requested",
      hash: null,
      workers: 0,
      reason: null,
    });
    const again = await failure(
      admin.models.host({ name: "big-gpt", source: "s3://b/big/model.onnx" }),
    );
    expect(again.code).toBe("CONFLICT");
    expect((again as LoupeError).loupe).toEqual({
      code: "MODEL_ALREADY_HOSTED",
      model: "big-gpt",
      state: "requested",
    });
    expect(again.message).toBe(
      "model big-gpt is already requested: unhost it first to host it from other files",
    );
    // Where the files are is for administrators' eyes.
    expect((await admin.models.hosting({ model: "big-gpt" })).source).toEqual(
      hosted.source,
    );
    expect(await researcher.models.hosting({ model: "big-gpt" })).toMatchObject(
      { state: "requested", source: null },
    );
  });

  it.each([
    [
      "models/big/model.onnx",
      '"models/big/model.onnx": expected an absolute path, as the workers see it, to the model\'s .onnx file',
    ],
    [
      "/srv/models/big/model.bin",
      '"/srv/models/big/model.bin": expected the model\'s .onnx file (imported with `loupe models import`, its manifest beside it)',
    ],
    [
      "https://example.com/model.onnx",
      '"https://example.com/model.onnx": Loupe reads models from storage its workers share (an absolute path) or from its S3 store (s3://…), not from https URLs',
    ],
    [
      "s3://bucket-only.onnx",
      '"s3://bucket-only.onnx": expected s3://<bucket>/<folder>/<model>.onnx',
    ],
  ])(
    "refuses the source %s, saying what it expected",
    async (source, message) => {
      const error = await failure(admin.models.host({ name: "bad", source }));
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.message).toBe(message);
    },
  );
});

describe("models.unhost", () => {
  it("admits no run on the model from then on (MODEL_UNAVAILABLE, naming it), ends its runs, waiting or in a batch, and lists it as unhosted", async () => {
    const lm = await registered("facts-unhost");
    await recordModelHosting(db, {
      type: "model.online",
      payload: {
        name: "facts-unhost",
        requestId: null,
        workerId: "w1",
        source: { kind: "path", path: "/srv/facts/model.onnx" },
        weightBytes: 1000,
      },
    });
    const graph = () =>
      lm.trace("The Louvre is located in the city of", () => {
        lm.transformer!.h![0]!.output[0]!.save("h");
      });
    const request = async () => {
      const runId = randomUUID();
      await requestRun(db, {
        runId,
        userId: researcherId,
        model: "facts-unhost",
        modelHash: "h",
        graph: { json: "{}", types: {} },
        graphHash: `sha256:${runId}`,
        experiment: null,
        requestId: null,
        estimatedSeconds: 0.01,
      });
      return runId;
    };
    // Runs in a batch when the model is unhosted, one of them started ...
    const claimed = [await request(), await request()];
    await claimRuns(db, {
      model: "facts-unhost",
      batchId: "b1",
      workerId: "w1",
      limit: 2,
    });
    await recordRunsStarted(db, [claimed[1]!], {
      workerId: "w1",
      batchId: "b1",
    });
    // ... and one waiting for a worker.
    const waiting = await request();
    const unhosted = await admin.models.unhost({ name: "facts-unhost" });
    expect(unhosted).toEqual({
      name: "facts-unhost",
      state: "unhosted",
      changed: true,
      endedRuns: 3,
    });
    for (const runId of [...claimed, waiting])
      expect(await researcher.runs.status({ runId })).toMatchObject({
        status: "failed",
        error:
          "MODEL_UNHOSTED: model facts-unhost was unhosted by an administrator",
      });
    // The batch, ending later, records nothing for them.
    expect(
      await recordRunsStarted(db, claimed, { workerId: "w1", batchId: "b1" }),
    ).toEqual([]);
    expect((await researcher.account.me()).quota.activeRuns).toBe(0);

    const refused = await failure(
      researcher.runs.submit({ model: "facts-unhost", graph: graph() }),
    );
    expect(refused.code).toBe("PRECONDITION_FAILED");
    expect((refused as LoupeError).loupe).toEqual({
      code: "MODEL_UNAVAILABLE",
      model: "facts-unhost",
      state: "unhosted",
      reason: null,
    });
    expect(refused.message).toBe(
      "model facts-unhost is not hosted (an administrator unhosted it): nothing was queued",
    );
    expect(await db.run.count({ where: { model: "facts-unhost" } })).toBe(3);
    expect(
      (await researcher.models.list()).find((m) => m.name === "facts-unhost"),
    ).toMatchObject({ state: "unhosted", hash: lm.manifest.model.hash });
    expect(
      (await admin.models.hosting({ model: "facts-unhost" })).events.map(
        (e) => e.type,
      ),
    ).toEqual(["online", "unhosted"]);
    expect(await admin.models.unhost({ name: "facts-unhost" })).toMatchObject({
      changed: false,
      endedRuns: 0,
    });
  });

  it("is NOT_FOUND for a model Loupe never heard of", async () => {
    expect(
      (await failure(admin.models.unhost({ name: "never-was" }))).code,
    ).toBe("NOT_FOUND");
  });
});

it("models.list shows a model's refusal with its reason, and its engines' memory from the workers' heartbeats", async () => {
  const { requestId } = await admin.models.host({
    name: "too-big",
    source: "s3://loupe-models/too-big/model.onnx",
  });
  await recordModelHosting(db, {
    type: "model.refused",
    payload: {
      name: "too-big",
      requestId,
      workerId: "w1",
      reason: "model too-big needs 9 bytes, the worker has 1 available",
      neededBytes: 9,
      availableBytes: 1,
    },
  });
  await registered("facts-mem");
  for (const id of ["w1", "w2"])
    await recordWorkerHeartbeat(db, {
      id,
      hostname: "h",
      pid: 1,
      taskQueues: ["loupe-model-facts-mem"],
      models: ["facts-mem"],
      memory: {
        budgetBytes: 1000,
        admittedBytes: 100,
        models: {
          "facts-mem": {
            current: { weights: 100, sessions: 10 },
            peak: { weights: 100, sessions: 20, activations: 5 },
          },
        },
      },
      startedAt: new Date(),
    });
  const list = await researcher.models.list();
  expect(list.find((m) => m.name === "too-big")).toMatchObject({
    state: "refused",
    reason: "model too-big needs 9 bytes, the worker has 1 available",
  });
  expect(list.find((m) => m.name === "facts-mem")).toMatchObject({
    state: null,
    workers: 2,
    memory: {
      current: { weights: 200, sessions: 20 },
      peak: { weights: 200, sessions: 40, activations: 10 },
    },
  });
});
