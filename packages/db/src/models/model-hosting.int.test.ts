import { afterAll, beforeEach, expect, inject, it } from "vitest";
import { readStream } from "../events/read-stream.ts";
import { streams } from "../domain/domain-events.ts";
import { rebuildDomainProjections } from "../domain/rebuild-domain-projections.ts";
import { connectTestDatabase, truncateAll } from "../testing/index.ts";
import { findModelHosting } from "./find-model-hosting.ts";
import { ModelAlreadyHostedError } from "./model-hosting-errors.ts";
import { recordModelHosting } from "./record-model-hosting.ts";
import { requestModelHosting } from "./request-model-hosting.ts";
import { unhostModel } from "./unhost-model.ts";

const db = connectTestDatabase(inject("databaseUrl"));
beforeEach(() => truncateAll(db));
afterAll(() => db.$disconnect());

const source = { kind: "path" as const, path: "/models/big/model.onnx" };
const stateOf = async (name: string) => {
  const h = await findModelHosting(db, name);
  return h && { state: h.state, reason: h.reason, workerId: h.workerId };
};

it("follows a host request through loading and online to unhosted, each state an event on the model's stream", async () => {
  const { requestId } = await requestModelHosting(db, {
    name: "big",
    source,
    by: "admin",
  });
  expect(await stateOf("big")).toEqual({
    state: "requested",
    reason: null,
    workerId: null,
  });
  await recordModelHosting(db, {
    type: "model.loading",
    payload: {
      name: "big",
      requestId,
      workerId: "w1",
      loadedBytes: 10,
      totalBytes: 40,
    },
  });
  expect(await findModelHosting(db, "big")).toMatchObject({
    state: "loading",
    loadedBytes: 10,
    totalBytes: 40,
    source,
  });
  await recordModelHosting(db, {
    type: "model.online",
    payload: {
      name: "big",
      requestId,
      workerId: "w1",
      source,
      weightBytes: 40,
    },
  });
  // Another worker's refusal is kept in the stream; the model stays online.
  await recordModelHosting(db, {
    type: "model.refused",
    payload: {
      name: "big",
      requestId,
      workerId: "w2",
      reason: "over budget",
      neededBytes: 40,
      availableBytes: 1,
    },
  });
  expect(await stateOf("big")).toEqual({
    state: "online",
    reason: null,
    workerId: "w1",
  });
  await expect(
    requestModelHosting(db, { name: "big", source, by: "admin" }),
  ).rejects.toThrow(ModelAlreadyHostedError);
  expect(await unhostModel(db, { name: "big", by: "admin" })).toBe(true);
  expect(await unhostModel(db, { name: "big", by: "admin" })).toBe(false);
  // A slow worker's report on the old request cannot bring it back.
  await recordModelHosting(db, {
    type: "model.online",
    payload: {
      name: "big",
      requestId,
      workerId: "w3",
      source,
      weightBytes: 40,
    },
  });
  expect((await stateOf("big"))?.state).toBe("unhosted");
  expect(
    (await readStream(db, streams.model("big"))).map((e) => e.type),
  ).toEqual([
    "model.host_requested",
    "model.loading",
    "model.online",
    "model.refused",
    "model.unhosted",
    "model.online",
  ]);

  const before = await db.modelHosting.findMany();
  await rebuildDomainProjections(db);
  expect(await db.modelHosting.findMany()).toEqual(before);
});

it("records a refusal with its reason, and a new request after it starts over", async () => {
  const first = await requestModelHosting(db, {
    name: "huge",
    source,
    by: "admin",
  });
  await recordModelHosting(db, {
    type: "model.refused",
    payload: {
      name: "huge",
      requestId: first.requestId,
      workerId: "w1",
      reason: "model huge needs 900 bytes, the worker has 100 available",
      neededBytes: 900,
      availableBytes: 100,
    },
  });
  expect(await stateOf("huge")).toEqual({
    state: "refused",
    reason: "model huge needs 900 bytes, the worker has 100 available",
    workerId: "w1",
  });
  const second = await requestModelHosting(db, {
    name: "huge",
    source,
    by: "admin",
  });
  expect(second.requestId).not.toBe(first.requestId);
  // The first request's late failure changes nothing now.
  await recordModelHosting(db, {
    type: "model.failed",
    payload: {
      name: "huge",
      requestId: first.requestId,
      workerId: "w1",
      reason: "late",
    },
  });
  expect((await stateOf("huge"))?.state).toBe("requested");
});

it("serializes concurrent host requests: exactly one wins", async () => {
  const outcomes = await Promise.allSettled(
    Array.from({ length: 5 }, () =>
      requestModelHosting(db, { name: "race", source, by: "admin" }),
    ),
  );
  expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
  for (const o of outcomes)
    if (o.status === "rejected")
      expect(o.reason).toBeInstanceOf(ModelAlreadyHostedError);
});

it("a worker's own configuration (no request) brings a model online", async () => {
  await recordModelHosting(db, {
    type: "model.online",
    payload: {
      name: "facts",
      requestId: null,
      workerId: "w1",
      source,
      weightBytes: 5,
    },
  });
  expect(await findModelHosting(db, "facts")).toMatchObject({
    state: "online",
    requestId: null,
    source,
  });
});
