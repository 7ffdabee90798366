import { randomUUID } from "node:crypto";
import { quotaStanding, readStream, streams } from "@loupe/db";
import { loadModelFiles, type LoupeEngine } from "@loupe/engine";
import { constant, type Graph } from "@loupe/graph";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startInProcessPlatform } from "../testing/in-process-platform.ts";
import {
  apiFailure,
  maxAbsDiff,
  MODEL_DIR,
  type Caller,
} from "../testing/platform-fixture.ts";

// Issue 19 on the platform's real parts: one user's failing graph never fails
// another's, a request id makes one run however often it is sent, a run's
// graph is stored once (in PostgreSQL, not in Temporal's history), and every
// run limit is refused at submit by name.
let stack: Awaited<ReturnType<typeof startInProcessPlatform>>;
let local: LoupeEngine;
let lm: (typeof stack)["model"]["lm"];
let ada: { userId: string; caller: Caller };
let bob: { userId: string; caller: Caller };

beforeAll(async () => {
  stack = await startInProcessPlatform({
    databaseUrl: inject("databaseUrl"),
    temporalAddress: inject("temporalAddress"),
    batch: { maxRows: 32 },
  });
  lm = stack.model.lm;
  local = await loadModelFiles(path.join(MODEL_DIR, "model.onnx"));
  ada = await stack.platform.approvedUser("ada");
  bob = await stack.platform.approvedUser("bob");
}, 180_000);

afterAll(async () => {
  await local?.close();
  await stack?.close();
});

const VOCAB = 1302; // the bundled model's vocabulary (models/facts/config.json)

const probe = (tokens: number[][], name = "logits") =>
  lm.trace({ tokens }, () => {
    lm.transformer!.h![2]!.output[0]!.get(":", -1, ":").save("hidden");
    lm.output.item("logits").get(":", -1, ":").save(name);
  });

async function expectEqualToSolo(runId: string, graph: Graph) {
  const got = await stack.platform.resultOf(runId);
  const solo = (await local.run(graph)).saves;
  expect(Object.keys(got).sort()).toEqual(Object.keys(solo).sort());
  for (const key of Object.keys(solo))
    expect(
      maxAbsDiff(
        got[key]!.data as Float32Array,
        solo[key]!.data as Float32Array,
      ),
      `${runId} ${key}`,
    ).toBeLessThanOrEqual(1e-5);
}

describe("a failing member never fails its batch", () => {
  it("one user's graph that fails at run time fails alone; the other user's runs in its batch equal their runs alone", async () => {
    // Ada's graph shifts the token ids the embedding reads past the vocabulary:
    // a value known only at run time, so the API's checks pass, and ONNX
    // Runtime's Gather fails in the model piece the whole batch shares.
    const bad = lm.trace({ tokens: [[5, 6, 7]] }, () => {
      const ids = lm.transformer!.wte!.input;
      ids.set(ids.add(VOCAB));
      lm.output.item("logits").save("logits");
    });
    // Bob's prompts: distinctive ids an error message would show if it leaked them.
    const good = [probe([[1001, 1002, 1003, 1004]]), probe([[1201, 1202]])];
    const before = structuredClone(stack.engine.metrics.isolation);
    // The three runs are requested over time: the claim waits for all three.
    stack.gatherNextPass(3);
    const [badRun, ...goodRuns] = await Promise.all([
      ada.caller.runs.submit({
        model: stack.modelName,
        graph: bad,
        reuse: false,
      }),
      ...good.map((graph) =>
        bob.caller.runs.submit({ model: stack.modelName, graph, reuse: false }),
      ),
    ]);
    const failed = await stack.platform.settled(ada.caller, badRun.runId);
    expect(failed.status).toBe("failed");
    // Its place in the pass follows the users' turns (whose run came first).
    expect(failed.error).toMatch(/^RUN_ERROR: graph [0-2]: .*Gather/);
    const place = Number(/^RUN_ERROR: graph (\d)/.exec(failed.error!)![1]);
    for (const id of ["1001", "1002", "1003", "1004", "1201", "1202"])
      expect(failed.error).not.toContain(id);
    for (const [i, run] of goodRuns.entries()) {
      const status = await stack.platform.settled(bob.caller, run.runId);
      expect(status.status).toBe("completed");
      await expectEqualToSolo(run.runId, good[i]!);
    }
    // They were claimed into one batch, and shared a pass, which failed; the
    // engine reran it in halves ([0],
    // [1, 2]), and the half holding the bad graph failed too unless it ran
    // alone; the bad graph failed alone once.
    const after = stack.engine.metrics.isolation;
    expect(after.failedSharedPasses - before.failedSharedPasses).toBe(
      place === 0 ? 1 : 2,
    );
    expect(after.graphsFailedAlone - before.graphsFailedAlone).toBe(1);
    const runs = await stack.platform.db.run.findMany({
      where: { id: { in: [badRun.runId, ...goodRuns.map((r) => r.runId)] } },
    });
    expect(new Set(runs.map((r) => r.batchId)).size).toBe(1);
    // No retry of it: the batch ran once and ended normally (its workflow's
    // one local activity completed on its first workflow task, no batch
    // failure recorded), with one run failed and two completed.
    const batch = await stack.platform.batchOf(badRun.runId);
    expect(await batch.result()).toEqual({
      completed: 2,
      failed: 1,
      skipped: 0,
    });
    const history = await batch.fetchHistory();
    const events = history.events ?? [];
    expect(events.filter((e) => e.markerRecordedEventAttributes)).toHaveLength(
      1,
    );
    expect(
      events.filter(
        (e) =>
          e.workflowTaskFailedEventAttributes ||
          e.workflowTaskTimedOutEventAttributes,
      ),
    ).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 1000));
    expect(stack.engine.metrics.isolation.graphsFailedAlone).toBe(
      after.graphsFailedAlone,
    );
  }, 120_000);
});

describe("idempotent submission", () => {
  it("the same request id, twice and then 10 times at once, makes one run, one charge and one result", async () => {
    const graph = probe([[11, 12, 13]]);
    const requestId = `req-${randomUUID()}`;
    const usage = await quotaStanding(stack.platform.db, ada.userId);
    const submit = () =>
      ada.caller.runs.submit({
        model: stack.modelName,
        graph,
        reuse: false,
        requestId,
      });
    const first = await submit();
    expect(first.duplicate).toBe(false);
    const again = await submit();
    expect(again).toMatchObject({ runId: first.runId, duplicate: true });
    const concurrent = await Promise.all(Array.from({ length: 10 }, submit));
    expect(new Set(concurrent.map((r) => r.runId))).toEqual(
      new Set([first.runId]),
    );
    expect((await stack.platform.settled(ada.caller, first.runId)).status).toBe(
      "completed",
    );
    expect(
      await stack.platform.db.run.count({
        where: { userId: ada.userId, requestId },
      }),
    ).toBe(1);
    const events = (
      await readStream(stack.platform.db, streams.run(first.runId))
    ).map((e) => e.type);
    expect(events.filter((t) => t === "quota.reserved")).toHaveLength(1);
    expect(events.filter((t) => t === "quota.settled")).toHaveLength(1);
    expect(events.filter((t) => t === "run.completed")).toHaveLength(1);
    expect((await quotaStanding(stack.platform.db, ada.userId)).runsToday).toBe(
      usage.runsToday + 1,
    );
    await expectEqualToSolo(first.runId, graph);
    // The same id for another graph is refused, naming the run it made.
    const reused = await apiFailure(
      ada.caller.runs.submit({
        model: stack.modelName,
        graph: probe([[14, 15]]),
        reuse: false,
        requestId,
      }),
    );
    expect(reused.loupe).toMatchObject({
      code: "REQUEST_ID_REUSED",
      runId: first.runId,
    });
  }, 120_000);
});

describe("the graph is stored once", () => {
  it("appears once in PostgreSQL, and not in Temporal's history", async () => {
    const marker = `marker-${randomUUID()}`;
    const graph = lm.trace({ tokens: [[21, 22, 23]] }, () => {
      lm.output.item("logits").get(":", -1, ":").save(marker);
    });
    const { runId } = await ada.caller.runs.submit({
      model: stack.modelName,
      graph,
      reuse: false,
    });
    expect((await stack.platform.settled(ada.caller, runId)).status).toBe(
      "completed",
    );
    const run = await stack.platform.db.run.findUniqueOrThrow({
      where: { id: runId },
    });
    // Every row of every table, as text (bytea shows as hex: a result's
    // safetensors header, which names the save, does not count as the graph).
    const tables = await stack.platform.db.$queryRaw<{ tablename: string }[]>`
      SELECT tablename FROM pg_tables WHERE schemaname = 'public'`;
    const found: string[] = [];
    for (const { tablename } of tables) {
      const rows = await stack.platform.db.$queryRawUnsafe<{ n: bigint }[]>(
        `SELECT count(*) AS n FROM "${tablename}" t WHERE t::text LIKE $1`,
        `%${marker}%`,
      );
      for (let i = 0; i < Number(rows[0]!.n); i++) found.push(tablename);
    }
    expect(found).toEqual(["graphs"]);
    // Temporal's history of the run's batch workflow: every payload decoded.
    const history = await (await stack.platform.batchOf(runId)).fetchHistory();
    const text = payloadText(history);
    expect(text).toContain(run.graphHash); // the reference is there ...
    expect(text).not.toContain(marker); // ... the graph is not
  }, 120_000);
});

/** Every byte payload in a Temporal history, decoded as UTF-8 and joined. */
function payloadText(value: unknown): string {
  if (value instanceof Uint8Array) return Buffer.from(value).toString("utf8");
  if (Array.isArray(value)) return value.map(payloadText).join("\n");
  if (value && typeof value === "object")
    return Object.values(value).map(payloadText).join("\n");
  return "";
}

describe("limits per run, enforced before queueing", () => {
  it("a run over each limit is refused at submit with an error naming the limit, and nothing is recorded", async () => {
    const limits = {
      maxRowsPerRun: 2,
      maxTokensPerRow: 8,
      maxTokensPerRun: 12,
      maxNodesPerRun: 40,
      maxConstantBytesPerRun: 1024,
      maxResultBytesPerRun: 64 * 1024,
    };
    const carol = await stack.platform.approvedUser("carol", {
      computeSecondsPerDay: 3600,
      maxConcurrentRuns: 16,
      maxRunsPerDay: 2000,
      maxResultBytes: 2 ** 30,
      ...limits,
    });
    const cases: [string, Graph][] = [
      ["maxRowsPerRun", probe([[1], [2], [3]])],
      ["maxTokensPerRow", probe([[1, 2, 3, 4, 5, 6, 7, 8, 9]])],
      [
        "maxTokensPerRun",
        probe([
          [1, 2, 3, 4, 5, 6, 7],
          [1, 2, 3, 4, 5, 6],
        ]),
      ],
      [
        "maxNodesPerRun",
        lm.trace({ tokens: [[1, 2]] }, () => {
          let h = lm.transformer!.h![0]!.output[0]!.get(":", -1, ":");
          for (let i = 0; i < 40; i++) h = h.mul(1.0001);
          h.save("h");
        }),
      ],
      [
        "maxConstantBytesPerRun",
        lm.trace({ tokens: [[1, 2]] }, () => {
          const h = lm.transformer!.h![0]!.output[0]!;
          // Three steering vectors of 128 float32: 1536 bytes of constants.
          const v = (x: number) => constant(Array<number>(128).fill(x));
          h.set(h.add(v(0.1)).add(v(0.2)).add(v(0.3)));
        }),
      ],
      [
        "maxResultBytesPerRun",
        // logits [1, 8, 1302] float32 = 41 KiB, twice: over 64 KiB.
        lm.trace({ tokens: [[1, 2, 3, 4, 5, 6, 7, 8]] }, () => {
          lm.output.item("logits").save("a");
          lm.output.item("logits").save("b");
        }),
      ],
      ["vocabSize", probe([[1, 2, VOCAB]])],
      ["maxPositions", probe([Array.from({ length: 65 }, (_, i) => i)])],
    ];
    const before = await stack.platform.db.run.count();
    for (const [limit, graph] of cases) {
      const error = await apiFailure(
        carol.caller.runs.submit({
          model: stack.modelName,
          graph,
          reuse: false,
        }),
      );
      expect(error.loupe, limit).toMatchObject({
        code: "RUN_LIMIT_EXCEEDED",
        limit,
      });
      expect(error.message, limit).toContain(
        { vocabSize: "vocabulary", maxPositions: "positions" }[limit] ?? limit,
      );
    }
    expect(await stack.platform.db.run.count()).toBe(before);
    // At the limits, it runs.
    const { runId } = await carol.caller.runs.submit({
      model: stack.modelName,
      graph: probe([
        [1, 2, 3, 4],
        [5, 6, 7, 8],
      ]),
      reuse: false,
    });
    expect((await stack.platform.settled(carol.caller, runId)).status).toBe(
      "completed",
    );
  }, 120_000);
});
