import { randomUUID } from "node:crypto";
import {
  postgresResultStorage,
  readStream,
  RunRequestListener,
  streams,
} from "@loupe/db";
import path from "node:path";
import { EngineThread, loadModelFiles, type LoupeEngine } from "@loupe/engine";
import { loadTokenizer, type Envoy, type Graph } from "@loupe/graph";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { registerHostedModel } from "../models/register-hosted-model.ts";
import {
  bundledModel,
  apiFailure,
  maxAbsDiff,
  MODEL_DIR,
  type Caller,
  type PlatformFixture,
} from "../testing/platform-fixture.ts";
import {
  hostInProcess,
  startInProcessPlatform,
} from "../testing/in-process-platform.ts";

// The platform end to end on real parts: the API's procedures (as the portal
// and the SDK call them), PostgreSQL, a Temporal server, a worker's run
// dispatcher, the bundled batch workflow, its batch activities and an engine
// thread on the bundled model.
let stack: Awaited<ReturnType<typeof startInProcessPlatform>>;
let platform: PlatformFixture;
let engine: EngineThread;
let local: LoupeEngine;
let modelName: string;
let model: ReturnType<typeof bundledModel>;
let lm: ReturnType<typeof bundledModel>["lm"];
const layer = (i: number) => lm.transformer!.h![i]!;

beforeAll(async () => {
  stack = await startInProcessPlatform({
    databaseUrl: inject("databaseUrl"),
    temporalAddress: inject("temporalAddress"),
    batch: { maxRows: 32 },
  });
  ({ platform, engine, modelName, model } = stack);
  lm = model.lm;
  local = await loadModelFiles(path.join(MODEL_DIR, "model.onnx"));
});

afterAll(async () => {
  await local.close();
  await stack.close();
});

const PROMPTS = [
  "The Louvre is located in the city of",
  "The Colosseum is located in the city of",
  "The Eiffel Tower is located in the city of",
  "Big Ben is located in the city of",
  "The capital of France is",
];

const probe = (prompt: string, at = 2) =>
  lm.trace(prompt, () => {
    layer(at).output[0]!.get(":", -1, ":").save("hidden");
    lm.output.item("logits").save("logits");
  });

async function expectEqualToSolo(
  runId: string,
  graph: Graph,
  tolerance = 1e-5,
) {
  const tensors = await platform.resultOf(runId);
  const solo = (await local.run(graph)).saves;
  expect(Object.keys(tensors).sort()).toEqual(Object.keys(solo).sort());
  for (const key of Object.keys(solo)) {
    expect(tensors[key]!.shape, key).toEqual(solo[key]!.shape);
    expect(
      maxAbsDiff(
        tensors[key]!.data as Float32Array,
        solo[key]!.data as Float32Array,
      ),
      `${runId} ${key}`,
    ).toBeLessThanOrEqual(tolerance);
  }
}

describe("runs through the API, PostgreSQL and Temporal", () => {
  let ada: { userId: string; caller: Caller };
  beforeAll(async () => {
    ada = await platform.approvedUser("ada");
  });

  it("submit, then requested, then completed with the right tensors; the events say so in order", async () => {
    const graph = probe(PROMPTS[0]!);
    const submitted = await ada.caller.runs.submit({ model: modelName, graph });
    // Recorded (and its workers notified), nothing more: no Temporal on the request path.
    expect(submitted).toMatchObject({ status: "requested", cached: false });
    const early = await ada.caller.runs.status({ runId: submitted.runId });
    expect(["requested", "queued", "running"]).toContain(early.status);
    const done = await platform.settled(ada.caller, submitted.runId);
    expect(done).toMatchObject({
      status: "completed",
      queuePosition: null,
      resultUrl: `/api/runs/${submitted.runId}/result`,
    });
    expect(done.metrics!.forwardPasses).toBe(1);
    expect(done.metrics!.computeSeconds).toBeGreaterThan(0);
    expect(
      (await readStream(platform.db, streams.run(submitted.runId))).map(
        (e) => e.type,
      ),
    ).toEqual([
      "run.requested",
      "quota.reserved",
      "run.queued",
      "run.started",
      "run.completed",
      "quota.settled",
    ]);
    // Claimed by the worker into a batch, and run by that batch's workflow.
    const events = await readStream(platform.db, streams.run(submitted.runId));
    const queued = events.find((e) => e.type === "run.queued")!.payload;
    expect(queued).toEqual({
      runId: submitted.runId,
      batchId: done.metrics!.batchId,
      workerId: "int-worker",
    });
    expect(events.find((e) => e.type === "run.started")!.payload).toMatchObject(
      { batchId: done.metrics!.batchId, workerId: "int-worker" },
    );
    expect(
      stack.observed.batches.find((b) => b.batchId === done.metrics!.batchId)
        ?.runIds,
    ).toEqual([submitted.runId]);
    const batch = await platform.batchOf(submitted.runId);
    expect(await batch.result()).toEqual({
      completed: 1,
      failed: 0,
      skipped: 0,
    });
    await expectEqualToSolo(submitted.runId, graph, 0);
    // The reservation is released and the actual charge is what the run cost.
    const me = await ada.caller.account.me();
    expect(me.quota.activeRuns).toBe(0);
    expect(me.quota.secondsToday).toBeCloseTo(done.metrics!.computeSeconds, 9);
  });

  it("a status long poll answers at the run's next event, and follows a run to its end", async () => {
    const { runId } = await ada.caller.runs.submit({
      model: modelName,
      graph: probe(PROMPTS[2]!),
      reuse: false,
    });
    let status = await ada.caller.runs.status({ runId });
    const keys = [status.changeKey];
    while (!["completed", "failed", "cancelled"].includes(status.status)) {
      status = await ada.caller.runs.status({
        runId,
        unlessChanged: status.changeKey,
        waitMs: 20_000,
      });
      keys.push(status.changeKey);
    }
    expect(status.status).toBe("completed");
    // Every answer was a change (an event woke it), none a 20 s timeout.
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.at(-1)).toBe("completed:");
  });

  it("a two-trace session run remotely equals the same session run locally", async () => {
    const session = lm.session(() => {
      let hidden: ReturnType<Envoy["output"]["get"]> | undefined;
      lm.trace(PROMPTS[1]!, () => {
        hidden = layer(2).output[0]!.get(":", 1, ":");
      });
      lm.trace(PROMPTS[0]!, () => {
        layer(2).output[0]!.set([":", 1, ":"], hidden!);
        lm.output.item("logits").save("logits");
      });
    });
    const { runId } = await ada.caller.runs.submit({
      model: modelName,
      graph: session,
    });
    const done = await platform.settled(ada.caller, runId);
    expect(done.status).toBe("completed");
    expect(done.metrics!.forwardPasses).toBe(2);
    await expectEqualToSolo(runId, session, 0);
  });

  it("a generation streams its tokens into the run's events step by step; the status and the result hold the same tokens as a local run", async () => {
    const N = 24;
    const graph = lm.generate(PROMPTS[0]!, { maxNewTokens: N }, () => {
      layer(2).output[0]!.get(":", -1, ":").save("hidden");
    });
    const { runId } = await ada.caller.runs.submit({
      model: modelName,
      graph,
      reuse: false,
    });
    const done = await platform.settled(ada.caller, runId);
    expect(done.status).toBe("completed");
    const localRun = await local.run(graph);
    const ids = localRun.generated[0]!.ids;
    expect(ids).toHaveLength(N);

    const events = await readStream(platform.db, streams.run(runId));
    const types = events.map((e) => e.type);
    const tokenEvents = events.filter((e) => e.type === "run.tokens");
    // Streamed as generated: several events, every step once, in order, all before the end.
    expect(tokenEvents.length).toBeGreaterThan(1);
    const steps = tokenEvents.flatMap(
      (e) => (e.payload as { tokens: { step: number; id: number }[] }).tokens,
    );
    expect(steps.map((t) => t.step)).toEqual([...Array(N).keys()]);
    expect(steps.map((t) => t.id)).toEqual(ids);
    expect(types.lastIndexOf("run.tokens")).toBeLessThan(
      types.indexOf("run.completed"),
    );
    const status = await ada.caller.runs.status({ runId });
    expect(status.generated).toEqual([
      {
        trace: 0,
        invoke: 0,
        row: 0,
        ids,
        text: loadTokenizer(model.tokenizer).decode(ids),
      },
    ]);
    const result = await platform.resultOf(runId);
    expect(
      Array.from(result["generated/0/0/0"]!.data as BigInt64Array, Number),
    ).toEqual(ids);
    expect(
      maxAbsDiff(
        result["hidden@5"]!.data as Float32Array,
        localRun.saves["hidden@5"]!.data as Float32Array,
      ),
    ).toBeLessThanOrEqual(1e-5);
  });

  it("cancelling a generating run stops its generation within a step or two of the cancel", async () => {
    // A slow generation: 16 rows, every step recomputing the whole sequence.
    const N = 56;
    const graph = lm.generate(
      Array.from({ length: 16 }, (_, i) => PROMPTS[i % PROMPTS.length]!),
      { maxNewTokens: N, kvCache: false },
      () => {},
    );
    const passesBefore = engine.metrics.forwardPasses;
    const { runId } = await ada.caller.runs.submit({
      model: modelName,
      graph,
      reuse: false,
    });
    // Follow the run until its first tokens are recorded, then cancel it.
    let status = await ada.caller.runs.status({ runId });
    while (!status.generated?.length) {
      expect(status.status).not.toBe("completed");
      status = await ada.caller.runs.status({
        runId,
        unlessChanged: status.changeKey,
        waitMs: 10_000,
      });
    }
    const atCancel = status.generated[0]!.ids.length;
    expect(await ada.caller.runs.cancel({ runId })).toMatchObject({
      status: "cancelled",
    });
    await platform.settled(ada.caller, runId);
    // The worker finds the run ended when it appends the next step's tokens
    // and stops there: no tokens after that are recorded, the rest never made.
    await new Promise((r) => setTimeout(r, 1000));
    const events = await readStream(platform.db, streams.run(runId));
    const recorded = events
      .filter((e) => e.type === "run.tokens")
      .flatMap((e) => (e.payload as { tokens: { step: number }[] }).tokens);
    const lastStep = Math.max(...recorded.map((t) => t.step));
    expect(lastStep).toBeLessThan(N - 1);
    expect(lastStep).toBeGreaterThanOrEqual(atCancel - 1);
    expect(events.map((e) => e.type)).not.toContain("run.completed");
    // The engine stopped too: it ran fewer forward passes than the N steps.
    await expect
      .poll(() => engine.metrics.forwardPasses - passesBefore, {
        timeout: 20_000,
      })
      .toBeGreaterThan(0);
    expect(engine.metrics.forwardPasses - passesBefore).toBeLessThan(N);
  });

  it("a graph that does not fit the model is refused at submit, naming the problem, and nothing is queued", async () => {
    const bad = JSON.parse(
      JSON.stringify(probe(PROMPTS[0]!)).replace(
        /transformer\.h\.2/g,
        "transformer.h.60",
      ),
    ) as Graph;
    const before = await platform.db.run.count();
    const error = await apiFailure(
      ada.caller.runs.submit({ model: modelName, graph: bad }),
    );
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toMatch(/transformer\.h\.60/);
    expect(error.loupe).toMatchObject({ code: "GRAPH_INVALID" });
    const unknown = await apiFailure(
      ada.caller.runs.submit({
        model: "no-such-model",
        graph: probe(PROMPTS[0]!),
      }),
    );
    expect(unknown.code).toBe("NOT_FOUND");
    expect(await platform.db.run.count()).toBe(before);
  });
});

describe("batching across users", () => {
  // The runs are requested while no worker hosts the model's name yet (it is
  // registered, so the API checks and records them); the model is then hosted
  // and its dispatcher claims them, all 20 in one batch (they fit its rows),
  // however fast a loaded machine recorded them.
  const batchModelName = `facts-batch-${randomUUID().slice(0, 8)}`;
  const batchModel = bundledModel(batchModelName);
  const batchLayer = (i: number) => batchModel.lm.transformer!.h![i]!;
  const batchProbe = (prompt: string, at: number) =>
    batchModel.lm.trace(prompt, () => {
      batchLayer(at).output[0]!.get(":", -1, ":").save("hidden");
      batchModel.lm.output.item("logits").save("logits");
    });

  it("20 concurrent runs of 4 users share one forward pass; each equals its solo run; a writer leaves others unchanged", async () => {
    const batchEngine = await EngineThread.start(
      batchModel.onnx,
      batchModel.manifest,
      batchModel.tokenizer,
    );
    const hosted = {
      name: batchModelName,
      manifest: batchModel.manifest,
      engine: batchEngine,
    };
    await registerHostedModel(platform.db, hosted, {
      results: postgresResultStorage(platform.db),
      tokenizer: batchModel.tokenizer,
    });
    const listener = new RunRequestListener(inject("databaseUrl"));
    let host: Awaited<ReturnType<typeof hostInProcess>> | undefined;
    try {
      const users = await Promise.all(
        ["u1", "u2", "u3", "u4"].map((n) => platform.approvedUser(n)),
      );
      const graphs = Array.from({ length: 20 }, (_, i) =>
        i === 3
          ? // A run that writes its own rows (zero ablation of layer 1's MLP).
            batchModel.lm.trace(PROMPTS[i % PROMPTS.length]!, () => {
              batchLayer(1).mlp!.output.set(0);
              batchModel.lm.output.item("logits").save("logits");
            })
          : batchProbe(PROMPTS[i % PROMPTS.length]!, i % 6),
      );
      const submitted = await Promise.all(
        graphs.map((graph, i) =>
          users[i % 4]!.caller.runs.submit({ model: batchModelName, graph }),
        ),
      );
      // Queue positions: the 20 waiting runs have 0 to 19 runs ahead, each once.
      const waiting = (
        await Promise.all(
          submitted.map((s, i) =>
            users[i % 4]!.caller.runs.status({ runId: s.runId }),
          ),
        )
      ).map((s) => s.queuePosition);
      expect([...waiting].sort((a, b) => a! - b!)).toEqual(
        Array.from({ length: 20 }, (_, i) => i),
      );

      const batches: string[][] = [];
      host = await hostInProcess({
        db: platform.db,
        client: platform.temporal.client,
        listener,
        temporalAddress: inject("temporalAddress"),
        model: hosted,
        batch: { maxRows: 32 },
        workerId: "int-batch-worker",
        onBatch: (batch) => batches.push(batch.runs.map((r) => r.runId)),
      });
      const done = await Promise.all(
        submitted.map((s, i) =>
          platform.settled(users[i % 4]!.caller, s.runId),
        ),
      );
      expect(done.map((d) => d.status)).toEqual(Array(20).fill("completed"));
      // One batch, one workflow, all 20 runs in it.
      expect(batches).toHaveLength(1);
      expect([...batches[0]!].sort()).toEqual(
        submitted.map((s) => s.runId).sort(),
      );
      // Forward passes, counted once per batch, from the runs' own metrics.
      const passesByBatch = new Map<string, number>();
      for (const d of done)
        passesByBatch.set(d.metrics!.batchId!, d.metrics!.forwardPasses);
      expect([...passesByBatch.values()]).toEqual([1]);
      for (const [i, s] of submitted.entries())
        await expectEqualToSolo(s.runId, graphs[i]!);
      // Every run was charged a share of its batch's compute time (the split
      // by tokens is tested in the engine's batching tests).
      expect(done.every((d) => d.metrics!.computeSeconds > 0)).toBe(true);
    } finally {
      await host?.close();
      await listener.close();
      await batchEngine.close();
    }
  });
});

describe("result reuse", () => {
  it("a second identical run by the same user does no worker work; a changed constant misses; another user's private run is not reused", async () => {
    const [ada, bob] = await Promise.all([
      platform.approvedUser("cache-ada"),
      platform.approvedUser("cache-bob"),
    ]);
    const steer = (amount: number) =>
      lm.trace(PROMPTS[2]!, () => {
        layer(3).output[0]!.set(
          [":", -1, ":"],
          layer(3).output[0]!.get(":", -1, ":").add(amount),
        );
        lm.output.item("logits").save("logits");
      });
    const first = await ada.caller.runs.submit({
      model: modelName,
      graph: steer(1),
    });
    expect((await platform.settled(ada.caller, first.runId)).status).toBe(
      "completed",
    );

    const passes = engine.metrics.forwardPasses;
    const again = await ada.caller.runs.submit({
      model: modelName,
      graph: steer(1),
    });
    expect(again).toMatchObject({
      status: "completed",
      cached: true,
      cachedFrom: first.runId,
    });
    const hit = await ada.caller.runs.status({ runId: again.runId });
    expect(hit).toMatchObject({ status: "completed", cached: true });
    expect(
      (await readStream(platform.db, streams.run(again.runId))).map(
        (e) => e.type,
      ),
    ).toEqual(["run.requested", "run.completed"]);
    expect(engine.metrics.forwardPasses).toBe(passes);
    await expectEqualToSolo(again.runId, steer(1), 0);

    const changed = await ada.caller.runs.submit({
      model: modelName,
      graph: steer(2),
    });
    expect(changed).toMatchObject({ status: "requested", cached: false });
    const theirs = await bob.caller.runs.submit({
      model: modelName,
      graph: steer(1),
    });
    expect(theirs).toMatchObject({ status: "requested", cached: false });
    await platform.settled(ada.caller, changed.runId);
    await platform.settled(bob.caller, theirs.runId);
  });
});

describe("quotas", () => {
  it("200 concurrent submissions against a concurrency-and-count quota of 50: exactly 50 accepted, 150 QUOTA_EXCEEDED naming the quota; usage shows 50", async () => {
    const user = await platform.approvedUser("quota", {
      computeSecondsPerDay: 10_000,
      maxConcurrentRuns: 50,
      maxRunsPerDay: 50,
      maxResultBytes: 1024 ** 3,
    });
    const graphs = Array.from({ length: 200 }, (_, i) =>
      lm.trace(PROMPTS[i % PROMPTS.length]!, () => {
        // A distinct constant per run: nothing is served from cache.
        layer(0).output[0]!.get(":", -1, 0).add(i).save("x");
      }),
    );
    const results = await Promise.allSettled(
      graphs.map((graph) =>
        user.caller.runs.submit({ model: modelName, graph }),
      ),
    );
    const accepted = results.filter((r) => r.status === "fulfilled");
    const rejected = results.flatMap((r): unknown[] =>
      r.status === "rejected" ? [r.reason] : [],
    );
    expect(accepted).toHaveLength(50);
    expect(rejected).toHaveLength(150);
    for (const error of rejected) {
      expect(error).toBeInstanceOf(TRPCError);
      expect((error as TRPCError).code).toBe("TOO_MANY_REQUESTS");
      expect(
        (error as { loupe: { code: string; quota: string } }).loupe,
      ).toMatchObject({
        code: "QUOTA_EXCEEDED",
        quota: expect.stringMatching(/^(maxConcurrentRuns|maxRunsPerDay)$/),
      });
      expect((error as Error).message).toMatch(
        /quota (maxConcurrentRuns|maxRunsPerDay) exceeded: 50 of 50 used/,
      );
    }
    const [usage] = await platform.admin.caller.admin.usage({
      userId: user.userId,
    });
    expect(usage!.runsToday).toBe(50);
    expect(
      await platform.db.run.count({ where: { userId: user.userId } }),
    ).toBe(50);
    // The accepted runs finish and their reservations are all settled.
    await Promise.all(
      accepted.map((r) =>
        platform.settled(
          user.caller,
          (r as PromiseFulfilledResult<{ runId: string }>).value.runId,
        ),
      ),
    );
    const [after] = await platform.admin.caller.admin.usage({
      userId: user.userId,
    });
    expect(after).toMatchObject({ runsToday: 50, activeRuns: 0 });
  });

  it("cancelling a waiting run ends it once, releases its reservation, and it is never claimed", async () => {
    const user = await platform.approvedUser("cancel");
    const graph = probe(PROMPTS[4]!);
    // The worker claims nothing until two runs are requested: the run waits.
    stack.gatherNextPass(2);
    const { runId } = await user.caller.runs.submit({
      model: modelName,
      graph,
      reuse: false,
    });
    expect(
      (await platform.db.run.findUniqueOrThrow({ where: { id: runId } }))
        .status,
    ).toBe("requested");
    expect(await user.caller.runs.cancel({ runId })).toEqual({
      runId,
      status: "cancelled",
    });
    // A second cancel finds the ending there.
    expect(await user.caller.runs.cancel({ runId })).toEqual({
      runId,
      status: "cancelled",
    });
    const done = await platform.settled(user.caller, runId);
    expect(done.status).toBe("cancelled");
    const types = (await readStream(platform.db, streams.run(runId))).map(
      (e) => e.type,
    );
    expect(types.filter((t) => t === "quota.settled")).toHaveLength(1);
    expect((await user.caller.account.me()).quota.activeRuns).toBe(0);
    // The next claim (a later run's) passes the cancelled run by: it is in
    // no batch, and never started.
    stack.gatherNextPass(1);
    const later = await user.caller.runs.submit({
      model: modelName,
      graph: probe(PROMPTS[3]!),
      reuse: false,
    });
    expect((await platform.settled(user.caller, later.runId)).status).toBe(
      "completed",
    );
    const after = await readStream(platform.db, streams.run(runId));
    expect(after.map((e) => e.type)).toEqual(types);
    expect(types).not.toContain("run.queued");
    expect(types).not.toContain("run.started");
    expect(types).not.toContain("run.completed");
    expect(
      (await platform.db.run.findUniqueOrThrow({ where: { id: runId } }))
        .batchId,
    ).toBeNull();
    expect(stack.observed.batches.some((b) => b.runIds.includes(runId))).toBe(
      false,
    );
  });
});

describe("experiments", () => {
  it("N parallel commits on the same version: exactly one succeeds, the others get VERSION_CONFLICT with both versions", async () => {
    const owner = await platform.approvedUser("author");
    const { experimentId } = await owner.caller.experiments.create({
      title: "Paris to Rome",
      initial: {
        model: modelName,
        graph: probe(PROMPTS[0]!),
        message: "first",
      },
    });
    const N = 8;
    const outcomes = await Promise.allSettled(
      Array.from({ length: N }, (_, i) =>
        owner.caller.experiments.commitVersion({
          experimentId,
          expectedVersion: 1,
          model: modelName,
          graph: probe(PROMPTS[i % PROMPTS.length]!, i % 6),
          message: `attempt ${i}`,
        }),
      ),
    );
    const won = outcomes.filter((o) => o.status === "fulfilled");
    expect(won).toHaveLength(1);
    expect(
      (won[0] as PromiseFulfilledResult<{ version: number }>).value.version,
    ).toBe(2);
    for (const o of outcomes.filter((o) => o.status === "rejected")) {
      const error = o.reason as TRPCError & {
        loupe: Record<string, unknown>;
      };
      expect(error.code).toBe("CONFLICT");
      expect(error.loupe).toEqual({
        code: "VERSION_CONFLICT",
        expectedVersion: 1,
        actualVersion: 2,
      });
    }
    const history = await owner.caller.experiments.history({ experimentId });
    expect(history.map((h) => h.type)).toEqual([
      "experiment.created",
      "experiment.version_committed",
      "experiment.version_committed",
    ]);
    const diff = await owner.caller.experiments.diff({
      experimentId,
      from: 1,
      to: 2,
    });
    expect(diff.text.length).toBeGreaterThan(0);
  });

  it("fork, run a version, and let another user reuse the public result", async () => {
    const [owner, reader] = await Promise.all([
      platform.approvedUser("sharer"),
      platform.approvedUser("reader"),
    ]);
    const { experimentId } = await owner.caller.experiments.create({
      title: "Logit lens on the Eiffel Tower",
      visibility: "public",
      initial: {
        model: modelName,
        graph: probe(PROMPTS[2]!, 5),
        message: "v1",
      },
    });
    const run = await owner.caller.runs.submit({ experimentId, version: 1 });
    expect((await platform.settled(owner.caller, run.runId)).status).toBe(
      "completed",
    );
    // Public: another user's identical run is served from it.
    const reused = await reader.caller.runs.submit({
      experimentId,
      version: 1,
    });
    expect(reused).toMatchObject({ cached: true, cachedFrom: run.runId });
    const fork = await reader.caller.experiments.fork({
      experimentId,
      version: 1,
    });
    const forked = await reader.caller.experiments.get({
      experimentId: fork.experimentId,
    });
    expect(forked.forkedFrom).toEqual({ experimentId, version: 1 });
    expect(forked.latest!.graphHash).toBe(
      (await owner.caller.experiments.version({ experimentId, version: 1 }))
        .graphHash,
    );
    const gallery = await reader.caller.experiments.gallery({
      text: "eiffel",
    });
    expect(gallery.items.map((e) => e.id)).toContain(experimentId);
    expect(gallery.items.map((e) => e.id)).not.toContain(fork.experimentId); // private fork
  });
});
