import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { startInProcessPlatform } from "../testing/in-process-platform.ts";
import type { Caller } from "../testing/platform-fixture.ts";

// Issue 19, fairness on the platform's real parts (the API, PostgreSQL, the
// model's run dispatcher claiming runs round-robin across users, Temporal and
// the batch workflow, the batch activities and an engine thread): while one
// user has 500 runs waiting, another user's lone run waits for the batch in
// flight, then runs in the next one: its claim ranks a user's first waiting
// run beside the other user's first, however many that user has waiting.
//
// The backlog is all requested before the first claim (a test's claim rule:
// in production a batch is claimed whenever the engine is free), so it is
// there, waiting in PostgreSQL, however fast this loaded machine records it.
const HEAVY_RUNS = 500;

let stack: Awaited<ReturnType<typeof startInProcessPlatform>>;
let heavy: { userId: string; caller: Caller };
let light: { userId: string; caller: Caller };

beforeAll(async () => {
  stack = await startInProcessPlatform({
    databaseUrl: inject("databaseUrl"),
    temporalAddress: inject("temporalAddress"),
    batch: { maxRows: 32 },
  });
  heavy = await stack.platform.approvedUser("heavy", {
    computeSecondsPerDay: 1e6,
    maxConcurrentRuns: 1000,
    maxRunsPerDay: 10_000,
    maxResultBytes: 1e10,
  });
  light = await stack.platform.approvedUser("light");
}, 180_000);

afterAll(async () => {
  await stack?.close();
});

/** A run of these rows of token ids, the last position's logits saved. */
const graphOf = (rows: number[][]) =>
  stack.model.lm.trace({ tokens: rows }, () => {
    stack.model.lm.output.item("logits").get(":", -1, ":").save("logits");
  });

/** Polls `probe` every 100 ms until it returns a value, or fails naming `what`. */
async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  ms: number,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

it("while one user has 500 runs waiting, another user's lone run runs in the batch after the one in flight", async () => {
  const { platform, engine, modelName } = stack;
  // The heavy user's backlog through the API, 25 submissions at a time. Each
  // run is 4 rows of 60 tokens, so a batch (32 rows) holds 8 of them and
  // keeps the engine thread busy longer than the claim's bookkeeping takes.
  const heavyGraph = graphOf(
    Array.from({ length: 4 }, (_, r) =>
      Array.from({ length: 60 }, (_, t) => 1 + ((r * 61 + t * 7) % 1300)),
    ),
  );
  // The light user's graph, run once before: the worker keeps it parsed, so
  // sizing it for a claim reads nothing from PostgreSQL.
  const lightGraph = graphOf([[901, 902, 903]]);
  const warm = await light.caller.runs.submit({
    model: modelName,
    graph: lightGraph,
    reuse: false,
  });
  expect((await platform.settled(light.caller, warm.runId)).status).toBe(
    "completed",
  );
  const passesBefore = engine.metrics.forwardPasses;
  stack.gatherNextPass(HEAVY_RUNS);
  const t0 = Date.now();
  const heavyRuns: string[] = [];
  while (heavyRuns.length < HEAVY_RUNS) {
    const chunk = await Promise.all(
      Array.from({ length: 25 }, () =>
        heavy.caller.runs.submit({
          model: modelName,
          graph: heavyGraph,
          reuse: false,
        }),
      ),
    );
    heavyRuns.push(...chunk.map((r) => r.runId));
  }
  const submittedMs = Date.now() - t0;
  // The first batch is claimed once all 500 are requested; the light user
  // submits once it has run.
  await until(
    "the first batch, once the heavy user's 500 runs are requested",
    () =>
      Promise.resolve(engine.metrics.forwardPasses > passesBefore || undefined),
    90_000,
  );
  const passesAtSubmit = engine.metrics.forwardPasses;
  const submittedAt = Date.now();
  const { runId } = await light.caller.runs.submit({
    model: modelName,
    graph: lightGraph,
    reuse: false,
  });
  // Recorded (committed) from here: any claim that begins now sees it.
  const answeredAt = performance.now();
  const done = await platform.settled(light.caller, runId);
  const latencyMs = Date.now() - submittedAt;
  const passesAtDone = engine.metrics.forwardPasses;
  expect(done.status).toBe("completed");

  // Every batch of the model, in order, as the dispatcher started them.
  const batches = stack.observed.batches;
  const k = batches.findIndex((b) => b.runIds.includes(runId));
  expect(k).toBeGreaterThan(0);
  const lightBatch = batches[k]!;
  expect(lightBatch.batchId).toBe(done.metrics!.batchId);
  // Every batch that started was recorded by its runs' `run.started` events.
  const started = await platform.db.event.findMany({
    where: { type: "run.started" },
    select: { payload: true },
  });
  expect(
    started.filter(
      (e) => (e.payload as { batchId: string }).batchId === lightBatch.batchId,
    ),
  ).toHaveLength(lightBatch.runIds.length);

  // The backlog was there: most of the heavy runs had not started when the
  // light run's batch did, and heavy runs shared its batch.
  const heavySet = new Set(heavyRuns);
  const heavyStartedBefore = batches
    .slice(0, k)
    .reduce((n, b) => n + b.runIds.filter((id) => heavySet.has(id)).length, 0);
  expect(HEAVY_RUNS - heavyStartedBefore).toBeGreaterThanOrEqual(300);
  expect(lightBatch.runIds.length).toBeGreaterThan(1);
  // Round-robin: the light run ranked beside the heavy user's first waiting
  // run (the batch's runs are in the claim's order), not behind the backlog.
  expect(lightBatch.runIds.indexOf(runId)).toBeLessThanOrEqual(1);
  // The batches that ran while the light run waited: the one in flight when
  // it was recorded (started before), then its own. At most 2.
  const inFlight = batches[k - 1]!.startedAt < answeredAt ? 1 : 0;
  const startedAfter = batches
    .slice(0, k + 1)
    .filter((b) => b.startedAt >= answeredAt).length;
  expect(inFlight + startedAfter).toBeLessThanOrEqual(2);

  console.log(
    [
      `fairness: ${HEAVY_RUNS} heavy runs submitted in ${submittedMs} ms;`,
      `the light run completed ${latencyMs} ms after its submit,`,
      `through ${inFlight + startedAfter} batch(es), its own included,`,
      `with ${HEAVY_RUNS - heavyStartedBefore} heavy runs not yet started;`,
      `a heavy batch took ~${Math.round(lightBatch.startedAt - batches[k - 1]!.startedAt)} ms;`,
      `the engine ran ${passesAtDone - passesAtSubmit} forward passes from its submit to its completion`,
      `(its own orchestration's included)`,
    ].join(" "),
  );

  // The backlog drains: every heavy run completes.
  await until(
    "every heavy run to complete",
    async () =>
      (await platform.db.run.count({
        where: { userId: heavy.userId, status: "completed" },
      })) === HEAVY_RUNS || undefined,
    120_000,
  );
}, 300_000);
