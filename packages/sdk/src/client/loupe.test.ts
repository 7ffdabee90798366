import { inspect } from "node:util";
import { expect, it } from "vitest";
import { describeStatus, type RunStatus } from "../runs/run-status.ts";
import { createLoupe } from "./loupe.ts";

it("never shows the API key when a client or a run handle is logged or serialised", () => {
  const secret = "loupe_0123abcd_very-secret-part";
  const loupe = createLoupe({ url: "http://127.0.0.1:59999", apiKey: secret });
  const handle = loupe.runs.get("run-1");
  for (const shown of [
    inspect(loupe, { depth: 10 }),
    inspect(handle, { depth: 10 }),
    JSON.stringify({ handle }),
    inspect(loupe.experiments, { depth: 10 }),
  ])
    expect(shown).not.toContain("very-secret-part");
  expect(loupe.url).toBe("http://127.0.0.1:59999");
});

it("describes a status in one line; a position left out is not called next", () => {
  const base = {
    runId: "r",
    model: "m",
    modelHash: "h",
    graphHash: "g",
    experiment: null,
    cached: false,
    metrics: null,
    resultBytes: null,
    error: null,
    requestedAt: new Date(0),
    queuedAt: new Date(10),
    startedAt: new Date(1000),
    finishedAt: new Date(1420),
    generated: null,
  } satisfies Omit<RunStatus, "status" | "queuePosition">;
  const line = (s: Partial<RunStatus>) =>
    describeStatus({ ...base, status: "queued", queuePosition: null, ...s });
  expect(line({ queuePosition: 2 })).toBe("queued (2 ahead)");
  expect(line({ queuePosition: 0 })).toBe("queued (next)");
  expect(line({})).toBe("queued");
  expect(line({ status: "completed" })).toBe("completed in 0.42 s");
  expect(line({ status: "completed", cached: true })).toBe(
    "completed (cached)",
  );
  expect(line({ status: "failed", error: "RUN_ERROR: boom" })).toBe(
    "failed: RUN_ERROR: boom",
  );
});
