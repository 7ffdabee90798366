import { describe, expect, it } from "vitest";
import { toRunView, type RunRow } from "./run-view.ts";

const failed = (error: string | null): RunRow => ({
  id: "run-1",
  userId: "user-1",
  model: "facts",
  modelHash: "sha256:model",
  graphHash: "sha256:graph",
  experimentId: null,
  experimentVersion: null,
  status: "failed",
  requestId: null,
  reservedSeconds: 0,
  resultHash: null,
  resultBytes: null,
  metrics: null,
  error,
  generated: null,
  cached: false,
  requestedAt: new Date(0),
  batchId: null,
  queuedAt: null,
  startedAt: null,
  finishedAt: new Date(1),
});

describe("toRunView", () => {
  it.each([
    ["RunError: node n3 failed", "RUN_ERROR: node n3 failed"],
    ["ModelChanged: facts changed", "MODEL_CHANGED: facts changed"],
    ["GraphUnavailable: no graph", "GRAPH_UNAVAILABLE: no graph"],
    ["UnknownModel: not hosted here", "UNKNOWN_MODEL: not hosted here"],
    ["RUN_ERROR: node n3 failed", "RUN_ERROR: node n3 failed"],
    ["BATCH_FAILED: the worker died", "BATCH_FAILED: the worker died"],
    // Not `CODE: reason` with a code the registry knows: shown as recorded.
    ["RUN_FAILED: node n3 failed", "RUN_FAILED: node n3 failed"],
    ["the worker gave up", "the worker gave up"],
  ])("shows the recorded error %j as %j", (recorded, shown) => {
    expect(toRunView(failed(recorded), null).error).toBe(shown);
  });

  it("shows no error for a run without one", () => {
    expect(toRunView(failed(null), null).error).toBeNull();
  });
});
