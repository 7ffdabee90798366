import { describe, expect, it } from "vitest";
import { domainEvents, streams } from "./domain-events.ts";

/** A run.queued as stored, with the payload and schema version given. */
const stored = (payload: unknown, schema: number | undefined) => ({
  position: 7n,
  stream: streams.run("r1"),
  version: 3,
  type: "run.queued",
  payload,
  metadata: schema === undefined ? {} : { schema },
  time: new Date("2026-12-07T12:00:00Z"),
});

describe("run.queued", () => {
  it.each([
    ["version 1 (one workflow per run)", { runId: "r1" }, 1],
    [
      "version 1, unstamped (written before versions were)",
      { runId: "r1" },
      undefined,
    ],
  ])("reads %s upcast: no batch, no worker", (_, payload, schema) => {
    expect(domainEvents.parse(stored(payload, schema)).payload).toEqual({
      runId: "r1",
      batchId: null,
      workerId: null,
    });
  });

  it("reads version 2 as it is", () => {
    const payload = { runId: "r1", batchId: "b1", workerId: "w1" };
    expect(domainEvents.parse(stored(payload, 2)).payload).toEqual(payload);
  });

  it.each([
    [
      { runId: "r1", workerId: "w1" },
      2,
      "event 7 (run.queued v2): batchId: Invalid input: expected string, received undefined",
    ],
    [
      { runId: "", batchId: "b1", workerId: "w1" },
      2,
      "event 7 (run.queued v2): runId: Too small: expected string to have >=1 characters",
    ],
    [
      { runId: "r1", batchId: "b1", workerId: "w1" },
      3,
      "event 7 (run.queued): schema version 3 is newer than this code's 2",
    ],
  ])("refuses %j at schema %i: %s", (payload, schema, message) => {
    expect(() => domainEvents.parse(stored(payload, schema))).toThrow(message);
  });

  it("writes version 2, naming the batch and the worker", () => {
    const event = domainEvents.event(streams.run("r1"), "run.queued", {
      runId: "r1",
      batchId: "b1",
      workerId: "w1",
    });
    expect(event).toEqual({
      stream: "run-r1",
      type: "run.queued",
      payload: { runId: "r1", batchId: "b1", workerId: "w1" },
      metadata: { schema: 2 },
    });
    expect(() =>
      domainEvents.event(streams.run("r1"), "run.queued", {
        runId: "r1",
      } as never),
    ).toThrow(
      "event run.queued: batchId: Invalid input: expected string, received undefined; workerId: Invalid input: expected string, received undefined",
    );
  });
});
