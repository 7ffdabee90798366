import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { readStream, streams } from "@loupe/db";
import { Connection } from "@temporalio/client";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { BATCH_START_DEADLINE_MS } from "../models/run-dispatcher.ts";
import { startInProcessPlatform } from "../testing/in-process-platform.ts";
import type { Caller } from "../testing/platform-fixture.ts";

// Issue 19, "Temporal stall": runs submitted while Temporal is stalled for
// 30 s neither hang nor fail: a submit never talks to Temporal, so each one
// answers at once with the run recorded (`requested`, its quota reserved
// once); the worker claims runs into a batch whose workflow cannot start, and
// tries the start again each second (BATCH_START_DEADLINE_MS each try); every
// run completes once Temporal is back, claimed and charged once. The stall is
// real: this test's own Temporal dev server, stopped with SIGSTOP (the process
// freezes with its connections open, as a hung server does) and resumed with
// SIGCONT. Its own server, so that no other test sees the stall.
const STALL_MS = 30_000;
const DEADLINE_MS = BATCH_START_DEADLINE_MS;

let temporal: ChildProcess;
let dir: string;
let stack: Awaited<ReturnType<typeof startInProcessPlatform>>;
let ada: { userId: string; caller: Caller };

beforeAll(async () => {
  const binary = process.env.LOUPE_TEMPORAL_BIN;
  if (!binary)
    throw new Error(
      "LOUPE_TEMPORAL_BIN must name the Temporal CLI: run integration tests through `npm test`",
    );
  const port = await freePort();
  dir = mkdtempSync(path.join(os.tmpdir(), "loupe-stall-"));
  temporal = spawn(
    binary,
    [
      "server",
      "start-dev",
      "--headless",
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--http-port",
      String(await freePort()),
      "--metrics-port",
      String(await freePort()),
      "--db-filename",
      path.join(dir, "temporal.sqlite"),
      "--log-level",
      "error",
    ],
    { stdio: "ignore" },
  );
  const address = `127.0.0.1:${port}`;
  await waitForTemporal(address);
  stack = await startInProcessPlatform({
    databaseUrl: inject("databaseUrl"),
    temporalAddress: address,
    batch: { maxRows: 32 },
  });
  ada = await stack.platform.approvedUser("ada");
}, 180_000);

afterAll(async () => {
  if (temporal?.pid) process.kill(temporal.pid, "SIGCONT");
  await stack?.close();
  temporal?.kill("SIGKILL");
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const graph = (i: number) =>
  stack.model.lm.trace({ tokens: [[10 + i, 20 + i, 30 + i]] }, () => {
    stack.model.lm.output.item("logits").get(":", -1, ":").save("logits");
  });

it("runs submitted while Temporal is stalled for 30 s answer far within the deadline, are charged once, and complete after it returns", async () => {
  // Before the stall: a run completes as usual.
  const before = await ada.caller.runs.submit({
    model: stack.modelName,
    graph: graph(0),
    reuse: false,
  });
  expect((await stack.platform.settled(ada.caller, before.runId)).status).toBe(
    "completed",
  );

  process.kill(temporal.pid!, "SIGSTOP");
  const stalledAt = Date.now();
  const submitted: { runId: string; status: string; ms: number }[] = [];
  try {
    // The stall is real: Temporal answers nothing.
    const { connection } = stack.platform.temporal;
    await expect(
      connection.withDeadline(Date.now() + 1000, () =>
        connection.workflowService.getSystemInfo({}),
      ),
    ).rejects.toThrow();
    // Submits during the stall, some at once, some one after another.
    const timed = async (i: number) => {
      const t = Date.now();
      const run = await ada.caller.runs.submit({
        model: stack.modelName,
        graph: graph(i),
        reuse: false,
      });
      return { runId: run.runId, status: run.status, ms: Date.now() - t };
    };
    submitted.push(...(await Promise.all([1, 2, 3].map(timed))));
    submitted.push(await timed(4));
    console.log(
      `[temporal stall] submits answered in ${submitted.map((s) => s.ms).join(", ")} ms during the stall`,
    );
    for (const s of submitted) {
      // Recorded, and answered without waiting on Temporal: far below the
      // deadline a start of a workflow would have waited out.
      expect(s.status).toBe("requested");
      expect(s.ms).toBeLessThan(DEADLINE_MS / 2);
    }
    // The worker claimed a batch of them, and its workflow's start fails
    // (each try after its deadline) while Temporal is stalled.
    const deadline = Date.now() + 20_000;
    while (!stack.log.some((l) => /did not start/.test(l))) {
      if (Date.now() > deadline)
        throw new Error(
          `the worker did not try to start a batch during the stall:\n${stack.log.join("\n")}`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) =>
      setTimeout(r, Math.max(0, STALL_MS - (Date.now() - stalledAt))),
    );
    // Nothing ran during the stall: the runs wait, requested or claimed.
    const during = await stack.platform.db.run.findMany({
      where: { id: { in: submitted.map((s) => s.runId) } },
    });
    for (const r of during) expect(["requested", "queued"]).toContain(r.status);
  } finally {
    process.kill(temporal.pid!, "SIGCONT");
  }

  // Temporal is back: the worker's start of the claimed batch goes through,
  // and the runs still requested are claimed after it.
  for (const { runId } of submitted)
    expect(
      (await stack.platform.settled(ada.caller, runId, 90_000)).status,
    ).toBe("completed");
  // Claimed, started and charged once each: one reservation, one claim, one
  // start, one settlement, one ending.
  for (const { runId } of submitted) {
    const types = (await readStream(stack.platform.db, streams.run(runId))).map(
      (e) => e.type,
    );
    expect(
      types.filter((t) => t === "quota.reserved"),
      runId,
    ).toHaveLength(1);
    expect(
      types.filter((t) => t === "quota.settled"),
      runId,
    ).toHaveLength(1);
    expect(
      types.filter((t) => t === "run.queued"),
      runId,
    ).toHaveLength(1);
    expect(
      types.filter((t) => t === "run.started"),
      runId,
    ).toHaveLength(1);
    expect(
      types.filter((t) => t === "run.completed"),
      runId,
    ).toHaveLength(1);
  }
}, 240_000);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitForTemporal(address: string): Promise<void> {
  const until = Date.now() + 60_000;
  for (;;) {
    try {
      const connection = await Connection.connect({
        address,
        connectTimeout: 1000,
      });
      await connection.workflowService.getSystemInfo({});
      await connection.close();
      return;
    } catch (error) {
      if (Date.now() > until)
        throw new Error(
          `the test's Temporal server at ${address} did not start`,
          {
            cause: error,
          },
        );
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
