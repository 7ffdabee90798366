import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkedGraphFromStore,
  generatedIds,
  GraphValidationError,
  tokenLimits,
  type Envoy,
  type TraceInput,
  type Graph,
} from "@loupe/graph";
import type { TokenEvent } from "./generate.ts";
import { RunError } from "./batch-step.ts";
import {
  loadFixture,
  maxAbsDiff,
  type LoadedFixture,
} from "../testing/fixture-engines.ts";

/**
 * Isolation (issue 19): in a batch of several users' graphs, a graph that
 * makes a shared pass fail (a model piece, a generation step) fails alone,
 * with the error of a run in which it was alone; the others get the results
 * they get alone. The run-time failure is real: a graph writes the token ids
 * `transformer.wte` embeds, shifted past the vocabulary (ids + 466, a value
 * only known at run time, so validation passes), and ONNX Runtime's Gather in
 * the shared model piece after that hook fails for the whole batch.
 */
const BATCH_TOLERANCE = 1e-5;
const VOCAB = 466; // gpt2-tiny's vocabulary
// Distinctive ids: an error message that named another graph's data would show them.
const GOOD_A = [417, 418, 419, 420];
const GOOD_B = [455, 456];
const BAD = [332, 392, 17];

let fx: LoadedFixture;
const lm = () => fx.lm as unknown as Envoy;
const block = (i: number) => lm().transformer!.h![i]!;

beforeAll(async () => {
  fx = await loadFixture("gpt2-tiny");
});
afterAll(async () => {
  await fx.engine.close();
});

/** Token ids shifted out of the vocabulary at the embedding's input. */
const outOfVocabulary = () => {
  const ids = lm().transformer!.wte!.input;
  ids.set(ids.add(VOCAB));
};

const good = (tokens: number[]): Graph =>
  fx.lm.trace({ tokens }, () => {
    block(0).mlp!.output.save("mlp");
    block(1).output[0]!.save("hidden");
    fx.lm.output.item("logits").save("logits");
  });

const expectSameSaves = (
  got: Record<string, { data: ArrayLike<number> | BigInt64Array }>,
  want: Record<string, { data: ArrayLike<number> | BigInt64Array }>,
) => {
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  for (const key of Object.keys(want))
    if (want[key]!.data instanceof BigInt64Array)
      expect(got[key]!.data, key).toEqual(want[key]!.data);
    else
      expect(
        maxAbsDiff(
          got[key]!.data as Float32Array,
          want[key]!.data as Float32Array,
        ),
        key,
      ).toBeLessThan(BATCH_TOLERANCE);
};

/** The error a run fails with (the test fails if it succeeds). */
const errorOf = (run: Promise<unknown>): Promise<Error> =>
  run.then(
    () => {
      throw new Error("expected the run to fail");
    },
    (e: unknown) => e as Error,
  );

const expectNoDataOf = (message: string, ...others: number[][]) => {
  for (const id of others.flat())
    expect(message).not.toMatch(new RegExp(`\\b${id}\\b`));
};

describe("a shared pass that fails", () => {
  it("fails the graph that caused it, alone; the others equal their runs alone", async () => {
    const bad = fx.lm.trace({ tokens: BAD }, () => {
      outOfVocabulary();
      fx.lm.output.item("logits").save("logits");
    });
    const wantA = (await fx.engine.run(good(GOOD_A))).saves;
    const wantB = (await fx.engine.run(good(GOOD_B))).saves;

    const before = structuredClone(fx.engine.metrics);
    const [failed, a, b] = await fx.engine.runMany([
      { checked: fx.engine.check(bad) },
      { checked: fx.engine.check(good(GOOD_A)) },
      { checked: fx.engine.check(good(GOOD_B)) },
    ]);
    const after = structuredClone(fx.engine.metrics);
    const solo = await errorOf(fx.engine.run(bad));
    expect(solo).toBeInstanceOf(RunError);
    expect(solo.message).toMatch(/^graph 0: .*Gather/);
    expect(failed!.error).toBeInstanceOf(RunError);
    // The error of its run alone, naming it, and nothing of the others' data.
    expect(failed!.error!.message).toBe(solo.message);
    expectNoDataOf(failed!.error!.message, GOOD_A, GOOD_B);
    expect(failed!.saves).toEqual({});
    expect(a!.error).toBeUndefined();
    expect(b!.error).toBeUndefined();
    expectSameSaves(a!.saves, wantA);
    expectSameSaves(b!.saves, wantB);

    // [0, 1, 2] failed; [0] failed alone, and never ran again; [1, 2] ran.
    expect({
      failedSharedPasses:
        after.isolation.failedSharedPasses -
        before.isolation.failedSharedPasses,
      graphReruns: after.isolation.graphReruns - before.isolation.graphReruns,
      graphsFailedAlone:
        after.isolation.graphsFailedAlone - before.isolation.graphsFailedAlone,
    }).toEqual({ failedSharedPasses: 1, graphReruns: 3, graphsFailedAlone: 1 });
    expect(after.forwardPasses - before.forwardPasses).toBe(3);
    // Each graph is charged the passes of the attempt its result comes from.
    expect(a!.usage).toMatchObject({ forwardPasses: 1, rows: 1, tokens: 4 });
    expect(b!.usage).toMatchObject({ forwardPasses: 1, rows: 1, tokens: 2 });
    expect(failed!.usage).toMatchObject({ forwardPasses: 1, rows: 1 });
  });

  it("in a generation: the others' tokens equal their runs alone and stream once", async () => {
    const options = { maxNewTokens: 5 };
    const bad = fx.lm.generate({ tokens: BAD }, options, (g) => {
      g.iter(2, outOfVocabulary); // steps 0 and 1 generate; step 2 fails
    });
    const goods = [GOOD_A, GOOD_B].map((tokens) =>
      fx.lm.generate({ tokens }, options, () => {
        block(1).output[0]!.save("hidden");
      }),
    );
    const alone = [];
    for (const graph of goods) alone.push(await fx.engine.run(graph));

    const before = structuredClone(fx.engine.metrics);
    const events: TokenEvent[] = [];
    const results = await fx.engine.runMany(
      [bad, ...goods].map((graph) => ({ checked: fx.engine.check(graph) })),
      { onToken: (e) => events.push(e) },
    );
    const after = structuredClone(fx.engine.metrics);
    const solo = await errorOf(fx.engine.run(bad));
    expect(solo).toBeInstanceOf(RunError);
    const [failed, ...rest] = results;
    expect(failed!.error).toBeInstanceOf(RunError);
    expect(failed!.error!.message).toBe(solo.message);
    expectNoDataOf(failed!.error!.message, GOOD_A, GOOD_B);
    expect(failed!.generated).toMatchObject([{ reason: "error" }]);
    expect(failed!.generated[0]!.ids).toHaveLength(2);
    for (const [i, result] of rest.entries()) {
      expect(result.error).toBeUndefined();
      expect(generatedIds(result.saves)).toEqual(generatedIds(alone[i]!.saves));
      expectSameSaves(result.saves, alone[i]!.saves);
      expect(result.usage.forwardPasses).toBe(options.maxNewTokens);
    }

    // Every token streamed once, in step order, though steps 0 and 1 ran twice.
    const keys = events.map(
      (e) => `${e.graph}/${e.trace}/${e.invoke}/${e.row}/${e.step}`,
    );
    expect(new Set(keys).size).toBe(keys.length);
    const streamed = (graph: number) =>
      events.filter((e) => e.graph === graph).map((e) => e.id);
    expect(streamed(0)).toEqual(failed!.generated[0]!.ids);
    for (const [i, result] of rest.entries())
      expect(streamed(i + 1)).toEqual(result.generated[0]!.ids);

    expect(after.isolation.failedSharedPasses).toBe(
      before.isolation.failedSharedPasses + 1,
    );
    expect(after.isolation.graphReruns).toBe(before.isolation.graphReruns + 3);
    expect(after.isolation.graphsFailedAlone).toBe(
      before.isolation.graphsFailedAlone + 1,
    );
  });
});

describe("a graph checked against another model", () => {
  it("fails alone, naming both models; the others run", async () => {
    // What a worker would get if a model changed under a stored check.
    const elsewhere = checkedGraphFromStore({
      graph: good(GOOD_A),
      types: Object.fromEntries(fx.engine.check(good(GOOD_A)).types),
      hash: "sha256:elsewhere",
      modelHash: "sha256:another-model",
    });
    const wantA = (await fx.engine.run(good(GOOD_A))).saves;
    const wantB = (await fx.engine.run(good(GOOD_B))).saves;
    const [a, failed, b] = await fx.engine.runMany([
      { checked: fx.engine.check(good(GOOD_A)) },
      { checked: elsewhere },
      { checked: fx.engine.check(good(GOOD_B)) },
    ]);
    expect(failed!.error).toBeInstanceOf(GraphValidationError);
    expect(failed!.error!.message).toMatch(
      /^graph 1: invalid graph:\n.*checked against model sha256:another-model/,
    );
    expect(failed!.usage.forwardPasses).toBe(0);
    expectSameSaves(a!.saves, wantA);
    expectSameSaves(b!.saves, wantB);
  });
});

describe("token ids and rows the model cannot take (issue 20, finding 7)", () => {
  // Refused before anything runs, locally too, naming the limit: never a
  // Gather failing inside ONNX Runtime.
  const limits = () => tokenLimits(fx.engine.manifest);
  const saveLogits = (input: TraceInput) =>
    fx.lm.trace(input, () => {
      fx.lm.output.item("logits").save("logits");
    });

  it("knows gpt2-tiny's limits from its manifest", () => {
    expect(limits()).toEqual({ vocabSize: VOCAB, maxPositions: 128 });
  });

  it("refuses a token id at the vocabulary's size, naming it", async () => {
    const before = fx.engine.metrics.isolation.failedSharedPasses;
    await expect(
      fx.engine.run(saveLogits({ tokens: [[5, VOCAB]] })),
    ).rejects.toThrow(
      new RegExp(
        `token id ${VOCAB} is outside model .*'s vocabulary of ${VOCAB} tokens \\(ids 0 to ${VOCAB - 1}\\)`,
      ),
    );
    expect(fx.engine.metrics.isolation.failedSharedPasses).toBe(before);
  });

  it("refuses a row longer than the positions, and a generation that grows past them", async () => {
    const P = limits().maxPositions!;
    const row = (n: number) => Array.from({ length: n }, (_, i) => i % 400);
    await expect(
      fx.engine.run(saveLogits({ tokens: [row(P + 1)] })),
    ).rejects.toThrow(`a row of ${P + 1} tokens`);
    const growing = fx.lm.generate(
      { tokens: [row(P - 1)] },
      { maxNewTokens: 3 },
      () => {
        fx.lm.output.item("logits").save("logits");
      },
    );
    await expect(fx.engine.run(growing)).rejects.toThrow(
      `a row of ${P + 1} tokens (prompt plus generated tokens) is longer than model`,
    );
    // At the limit, it runs.
    const { saves } = await fx.engine.run(saveLogits({ tokens: [row(P)] }));
    expect(saves.logits!.shape).toEqual([1, P, VOCAB]);
  });

  it("fails alone in a batch; the others run", async () => {
    const wantA = (await fx.engine.run(good(GOOD_A))).saves;
    const [a, bad] = await fx.engine.runMany([
      { checked: fx.engine.check(good(GOOD_A)) },
      { checked: fx.engine.check(saveLogits({ tokens: [[VOCAB + 7]] })) },
    ]);
    expect(bad!.error).toBeInstanceOf(GraphValidationError);
    expect(bad!.error!.message).toContain(`token id ${VOCAB + 7}`);
    expect(bad!.usage.forwardPasses).toBe(0);
    expectSameSaves(a!.saves, wantA);
  });
});
