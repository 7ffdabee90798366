import { randomUUID } from "node:crypto";
import {
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { readStream, streams } from "@loupe/db";
import { connectTestDatabase, truncateAll } from "@loupe/db/testing";
import { loadModelFiles, type LoupeEngine } from "@loupe/engine";
import {
  createModel,
  manifestSchema,
  type Envoy,
  type Model,
} from "@loupe/graph";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import {
  writeBigModelFixture,
  type BigModelFixture,
} from "../testing/big-model-fixture.ts";
import {
  bundledModel,
  maxAbsDiff,
  MODEL_DIR,
  PlatformFixture,
  type Caller,
} from "../testing/platform-fixture.ts";
import {
  processPssBytes,
  startWorkerProcess,
  type WorkerProcess,
} from "../testing/worker-process.ts";

// Hosting while Loupe runs, end to end on real parts: a worker process
// (src/main.ts, as `npm start` runs it) with the bundled model, PostgreSQL,
// Temporal, the API as the portal and the CLI call it. A model of 369 MB,
// generated here, is hosted through the API without restarting anything,
// traced remotely, and unhosted; the worker's memory goes back.
const suffix = randomUUID().slice(0, 8);
const platformTaskQueue = `test-hosting-${suffix}`;
const BUDGET_BYTES = 600_000_000;
const facts = bundledModel("facts-gpt2"); // what the worker's LOUPE_MODELS loads

let platform: PlatformFixture;
let worker: WorkerProcess;
let user: { userId: string; caller: Caller };
let dir: string;
let big: BigModelFixture;
let local: LoupeEngine;

/** Polls `probe` until it gives a value. */
async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  ms = 120_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const stateOf = async (name: string) =>
  (await platform.admin.caller.models.list()).find((m) => m.name === name);

const reached = (name: string, states: string[]) =>
  until(`model ${name} to be ${states.join(" or ")}`, async () => {
    const m = await stateOf(name);
    return m?.state && states.includes(m.state) ? m : undefined;
  });

async function failure(call: Promise<unknown>): Promise<TRPCError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof TRPCError) return error;
    throw error;
  }
  throw new Error("expected the call to fail");
}

/** A run of `graph` on `model` to its end. */
async function traced(model: string, graph: unknown) {
  const { runId } = await user.caller.runs.submit({
    model,
    graph,
    reuse: false,
  });
  const status = await platform.settled(user.caller, runId);
  expect(status.status, `${runId}: ${String(status.error)}`).toBe("completed");
  return { runId, tensors: await platform.resultOf(runId) };
}

/** A copy of the big model's manifest under another name, its files linked: never loaded. */
function aliasOfBig(name: string): string {
  const onnx = path.join(dir, `${name}.onnx`);
  symlinkSync(big.onnxPath, onnx);
  const wrapper = JSON.parse(
    readFileSync(path.join(dir, `${big.name}.manifest.json`), "utf8"),
  ) as { manifest: { model: Record<string, unknown> } };
  wrapper.manifest.model.name = name;
  writeFileSync(
    path.join(dir, `${name}.manifest.json`),
    JSON.stringify(wrapper),
  );
  return onnx;
}

const bigGraph = (lm: Model<Envoy>) =>
  lm.trace({ tokens: [[5, 17, 3, 99, 1024, 7]] }, () => {
    lm.transformer!.h![3]!.output[0]!.save("hidden");
    lm.output.item("logits").get(":", -1, ":").save("logits");
  });

beforeAll(async () => {
  const db = connectTestDatabase(inject("databaseUrl"));
  await truncateAll(db);
  await db.$disconnect();
  dir = mkdtempSync(path.join(os.tmpdir(), "loupe-hosting-"));
  big = await writeBigModelFixture(dir, `big-${suffix}`, {
    layers: 10,
    width: 1024,
    vocab: 4096,
    seed: 7,
  });
  platform = await PlatformFixture.start({
    databaseUrl: inject("databaseUrl"),
    temporalAddress: inject("temporalAddress"),
    platformTaskQueue,
  });
  user = await platform.approvedUser("hosting");
  worker = startWorkerProcess(`worker-hosting-${suffix}`, {
    DATABASE_URL: inject("databaseUrl"),
    TEMPORAL_ADDRESS: inject("temporalAddress"),
    LOUPE_MODELS: path.join(MODEL_DIR, "model.onnx"),
    LOUPE_PLATFORM_TASK_QUEUE: platformTaskQueue,
    LOUPE_HOSTING: "all",
    LOUPE_HOSTING_POLL_MS: "250",
    LOUPE_HEARTBEAT_MS: "1000",
    LOUPE_WORKER_MEMORY_BYTES: String(BUDGET_BYTES),
  });
  await worker.polling;
}, 600_000);

afterAll(async () => {
  await worker?.stop();
  await local?.close();
  await platform?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it("a model that fails to load is reported failed with its reason, and the worker's other models go on", async () => {
  // The big model's weights under a manifest that was not imported from them.
  const name = `broken-${suffix}`;
  await platform.admin.caller.models.host({
    name,
    source: aliasOfBig(name),
  });
  const failed = await reached(name, ["failed", "online", "refused"]);
  expect(failed.state).toBe("failed");
  expect(failed.reason).toContain(`loading model ${name} from`);
  expect(failed.reason).toContain("is not the file");
  expect(worker.child.exitCode).toBeNull();
  const { lm } = facts;
  await traced(
    "facts-gpt2",
    lm.trace("The Louvre is located in the city of", () => {
      lm.output.item("logits").save("logits");
    }),
  );
}, 240_000);

let beforeHosting: number;

it("hosts a 369 MB model through the API without a restart and runs a remote trace on it", async () => {
  // Settle, then the worker's memory before hosting.
  await new Promise((r) => setTimeout(r, 2000));
  beforeHosting = processPssBytes(worker.child.pid!);

  const hosted = await platform.admin.caller.models.host({
    name: big.name,
    source: big.onnxPath,
  });
  expect(hosted.state).toBe("requested");
  const online = await reached(big.name, ["online", "failed", "refused"]);
  expect(online, online.reason ?? "").toMatchObject({
    state: "online",
    reason: null,
  });
  const events = (await readStream(platform.db, streams.model(big.name))).map(
    (e) => e.type,
  );
  expect(events).toEqual([
    "model.host_requested",
    "model.loading",
    "model.loading",
    "model.registered",
    "model.online",
  ]);
  const loading = (
    await platform.admin.caller.models.hosting({ model: big.name })
  ).events
    .filter((e) => e.type === "loading")
    .map((e) => [e.loadedBytes, e.totalBytes]);
  expect(loading).toEqual([
    [0, big.weightBytes],
    [big.weightBytes, big.weightBytes],
  ]);

  const manifest = manifestSchema.parse(
    (await user.caller.models.manifest({ model: big.name })).manifest,
  );
  const lm = createModel<Envoy>(manifest);
  const graph = bigGraph(lm);
  const { tensors } = await traced(big.name, graph);
  local = await loadModelFiles(big.onnxPath);
  const solo = (await local.run(graph)).saves;
  for (const key of ["hidden", "logits"]) {
    expect(tensors[key]!.shape, key).toEqual(solo[key]!.shape);
    expect(
      maxAbsDiff(
        tensors[key]!.data as Float32Array,
        solo[key]!.data as Float32Array,
      ),
      key,
    ).toBeLessThanOrEqual(1e-5);
  }
  await local.close();

  // The heartbeat lists it, with its engine's memory.
  const w = await until("the heartbeat to list the model", async () =>
    (await platform.admin.caller.admin.workers()).find((x) =>
      x.models.includes(big.name),
    ),
  );
  expect(w.memory?.admittedBytes).toBeGreaterThanOrEqual(big.weightBytes);
  const hostedPss = processPssBytes(worker.child.pid!);
  console.log(
    `[hosting test] worker Pss before hosting ${(beforeHosting / 2 ** 20).toFixed(1)} MiB, hosted and traced ${(hostedPss / 2 ** 20).toFixed(1)} MiB; weights ${(big.weightBytes / 2 ** 20).toFixed(1)} MiB; engine memory ${JSON.stringify(w.memory?.models[big.name] ?? null)}`,
  );
}, 600_000);

it("refuses a model over the worker's memory budget before loading it, naming the model and the bytes, and the hosted models go on", async () => {
  const name = `huge-${suffix}`;
  const pss = processPssBytes(worker.child.pid!);
  await platform.admin.caller.models.host({
    name,
    source: aliasOfBig(name),
  });
  const refused = await reached(name, ["refused", "online", "failed"]);
  expect(refused.state).toBe("refused");
  const workers = await platform.admin.caller.admin.workers();
  const admitted = workers[0]!.memory!.admittedBytes;
  const available = BUDGET_BYTES - admitted;
  expect(refused.reason).toBe(
    `model ${name} needs ${big.weightBytes.toLocaleString("en")} bytes (${(big.weightBytes / 2 ** 20).toFixed(1)} MiB) for its weights, but this worker has ${available.toLocaleString("en")} bytes (${(available / 2 ** 20).toFixed(1)} MiB) available (LOUPE_WORKER_MEMORY_BYTES ${BUDGET_BYTES.toLocaleString("en")} bytes (${(BUDGET_BYTES / 2 ** 20).toFixed(1)} MiB), ${admitted.toLocaleString("en")} bytes (${(admitted / 2 ** 20).toFixed(1)} MiB) held by its other models)`,
  );
  const stream = await readStream(platform.db, streams.model(name));
  expect(stream.map((e) => e.type)).toEqual([
    "model.host_requested",
    "model.refused",
  ]);
  expect(stream[1]!.payload).toMatchObject({
    neededBytes: big.weightBytes,
    availableBytes: available,
  });
  // Nothing of it was loaded, and a run on it is refused at the API.
  expect(processPssBytes(worker.child.pid!)).toBeLessThan(
    pss + 0.1 * big.weightBytes,
  );
  const error = await failure(
    user.caller.runs.submit({ model: name, graph: {} }),
  );
  expect((error as unknown as { loupe: unknown }).loupe).toMatchObject({
    code: "MODEL_UNAVAILABLE",
    model: name,
    state: "refused",
  });
  const manifest = manifestSchema.parse(
    (await user.caller.models.manifest({ model: big.name })).manifest,
  );
  await traced(big.name, bigGraph(createModel<Envoy>(manifest)));
}, 240_000);

it("unhosting frees the worker's memory (Pss back within 10% of the weights) and a later run gets a typed error naming the model", async () => {
  const manifest = manifestSchema.parse(
    (await user.caller.models.manifest({ model: big.name })).manifest,
  );
  const graph = bigGraph(createModel<Envoy>(manifest));
  const unhosted = await platform.admin.caller.models.unhost({
    name: big.name,
  });
  expect(unhosted).toMatchObject({ state: "unhosted", changed: true });
  await until("the worker to unload the model", async () =>
    (await readStream(platform.db, streams.model(big.name))).some(
      (e) => e.type === "model.unloaded",
    )
      ? true
      : undefined,
  );
  const limit = beforeHosting + 0.1 * big.weightBytes;
  // Freed pages leave the process as the allocator returns them: allow a few seconds.
  let after = processPssBytes(worker.child.pid!);
  const deadline = Date.now() + 15_000;
  while (after > limit && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    after = processPssBytes(worker.child.pid!);
  }
  console.log(
    `[hosting test] worker Pss before hosting ${(beforeHosting / 2 ** 20).toFixed(1)} MiB, after unhosting ${(after / 2 ** 20).toFixed(1)} MiB (limit ${(limit / 2 ** 20).toFixed(1)} MiB)`,
  );
  expect(after).toBeLessThanOrEqual(limit);

  const error = await failure(
    user.caller.runs.submit({ model: big.name, graph }),
  );
  expect(error.code).toBe("PRECONDITION_FAILED");
  expect((error as unknown as { loupe: unknown }).loupe).toEqual({
    code: "MODEL_UNAVAILABLE",
    model: big.name,
    state: "unhosted",
    reason: null,
  });
  expect(error.message).toBe(
    `model ${big.name} is not hosted (an administrator unhosted it): nothing was queued`,
  );
  const workers = await until("the heartbeat to drop the model", async () => {
    const list = await platform.admin.caller.admin.workers();
    return list.every((w) => !w.models.includes(big.name)) ? list : undefined;
  });
  expect(workers[0]!.models).toEqual(["facts-gpt2"]);
  expect(worker.child.exitCode).toBeNull();
}, 240_000);
