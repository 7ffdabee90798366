import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GraphValidationError, type Envoy, type Graph } from "@loupe/graph";
import { RunError } from "./batch-step.ts";
import {
  FIXTURES,
  loadFixture,
  maxAbsDiff,
  type LoadedFixture,
} from "../testing/fixture-engines.ts";

/**
 * Batching: invokes and graphs share one forward pass (left-padded rows with
 * attention_mask and position_ids), yet each sees exactly what it would alone.
 */
const SHORT = "Hello World"; // 2 tokens
const LONG = "The Colosseum is located in the city of"; // 8 tokens
const MID = "The truth is the"; // 4 tokens
const BATCH_TOLERANCE = 1e-5;

const parity = JSON.parse(
  readFileSync(path.join(FIXTURES, "parity.json"), "utf8"),
) as {
  models: Record<
    string,
    { cases: Record<string, { saves: Record<string, { values: number[] }> }> }
  >;
};

let fx: LoadedFixture;
const block = (i: number) => (fx.lm as unknown as Envoy).transformer!.h![i]!;
const logits = () => fx.lm.output.item("logits");

beforeAll(async () => {
  fx = await loadFixture("gpt2-tiny");
});
afterAll(async () => {
  await fx.engine.close();
});

const alone = (prompt: string): Graph =>
  fx.lm.trace(prompt, () => {
    block(0).mlp!.output.save("mlp");
    block(1).output[0]!.save("hidden");
    logits().save("logits");
  });

describe("invokes of different lengths in one pass", () => {
  it("a prompt's values alone equal its values batched beside a longer prompt (1e-5)", async () => {
    const single = (await fx.engine.run(alone(SHORT))).saves;
    const batched = (
      await fx.engine.run(
        fx.lm.trace((tracer) => {
          tracer.invoke(LONG, () => {
            block(1).output[0]!.save("long.hidden");
          });
          tracer.invoke(SHORT, () => {
            block(0).mlp!.output.save("mlp");
            block(1).output[0]!.save("hidden");
            logits().save("logits");
          });
        }),
      )
    ).saves;
    for (const key of ["hidden", "mlp", "logits"]) {
      expect(batched[key]!.shape, key).toEqual(single[key]!.shape);
      expect(
        maxAbsDiff(
          batched[key]!.data as Float32Array,
          single[key]!.data as Float32Array,
        ),
        key,
      ).toBeLessThan(BATCH_TOLERANCE);
    }
    // Positions are the invoke's own: [1, 2, 64], not the batch's 8 tokens.
    expect(batched.hidden!.shape).toEqual([1, 2, 64]);
    expect(batched["long.hidden"]!.shape).toEqual([1, 8, 64]);
  });

  it("an empty invoke's interventions reach every row of the graph", async () => {
    const zeroAll = await fx.engine.run(
      fx.lm.trace((tracer) => {
        tracer.invoke(LONG, () => {
          logits().save("long");
        });
        tracer.invoke(MID, () => {
          logits().save("mid");
        });
        tracer.invoke(null, () => {
          block(1).mlp!.output.set(0);
          block(1).mlp!.output.save("all");
        });
      }),
    );
    const ablated = parity.models["gpt2-tiny"]!.cases.zero_ablation!.saves;
    // The LONG prompt is parity's prompt A: its logits are those of zero ablation.
    expect(
      maxAbsDiff(
        zeroAll.saves.long!.data as Float32Array,
        ablated.logits!.values,
      ),
    ).toBeLessThan(1e-4);
    // Every row of the whole-batch view was written.
    expect(zeroAll.saves.all!.shape).toEqual([2, 8, 64]);
    expect(
      [...(zeroAll.saves.all!.data as Float32Array)].every((v) => v === 0),
    ).toBe(true);
    // And the MID row changed too: compare with MID alone.
    const mid = (await fx.engine.run(alone(MID))).saves.logits!;
    expect(
      maxAbsDiff(
        zeroAll.saves.mid!.data as Float32Array,
        mid.data as Float32Array,
      ),
    ).toBeGreaterThan(1e-3);
  });
});

describe("several graphs in one pass", () => {
  it("a graph writing its own rows leaves a co-batched graph's reads unchanged", async () => {
    const reader = alone(MID);
    const expected = (await fx.engine.run(reader)).saves;
    const writer = fx.lm.trace(LONG, () => {
      block(0).mlp!.output.set(0);
      block(0).output[0]!.set(block(0).output[0]!.mul(100));
      logits().save("logits");
    });
    for (const order of [
      [writer, reader],
      [reader, writer],
    ]) {
      const results = await fx.engine.runMany(
        order.map((graph) => ({ checked: fx.engine.check(graph) })),
      );
      const got = results[order.indexOf(reader)]!.saves;
      for (const key of ["hidden", "mlp", "logits"])
        expect(
          maxAbsDiff(
            got[key]!.data as Float32Array,
            expected[key]!.data as Float32Array,
          ),
          key,
        ).toBeLessThan(BATCH_TOLERANCE);
    }
  });

  it("a graph indexing past its rows is refused by its check: it never reaches a batch", () => {
    const before = fx.engine.metrics.forwardPasses;
    const hostile = fx.lm.trace({ tokens: [332, 392] }, () => {
      // Row 1 would be the next graph's row in the batch; the invoke has one row.
      block(0).output[0]!.set([1, ":", ":"], 0);
    });
    expect(() => fx.engine.check(hostile)).toThrow(GraphValidationError);
    expect(() => fx.engine.check(hostile)).toThrow(
      /^invalid graph:\n.*index 1 is out of range for axis 0 of size 1/,
    );
    expect(fx.engine.metrics.forwardPasses).toBe(before);
  });

  it("a graph indexing past its tokens fails alone; its neighbour's results are intact", async () => {
    const expected = (await fx.engine.run(alone(MID))).saves;
    const hostile = fx.lm.trace(SHORT, () => {
      // Text prompts: the token count is unknown while validating, so this fails at run time.
      block(0).output[0]!.set([":", 5, ":"], 0);
      logits().save("logits");
    });
    const [bad, good] = await fx.engine.runMany([
      { checked: fx.engine.check(hostile) },
      { checked: fx.engine.check(alone(MID)) },
    ]);
    expect(bad!.error).toBeInstanceOf(RunError);
    expect(bad!.error!.message).toMatch(/^graph 0: /);
    expect(bad!.saves).toEqual({});
    for (const key of ["hidden", "mlp", "logits"])
      expect(
        maxAbsDiff(
          good!.saves[key]!.data as Float32Array,
          expected[key]!.data as Float32Array,
        ),
        key,
      ).toBeLessThan(BATCH_TOLERANCE);
    // A negative index past the start fails the same way (never wraps into other rows).
    const wrap = fx.lm.trace(SHORT, () => {
      block(0).output[0]!.get(":", -3, ":").save("x");
    });
    await expect(fx.engine.run(wrap)).rejects.toThrow(RunError);
  });
});

describe("usage: each graph's share of a shared pass", () => {
  it("charges rows and tokens, and the charges of a pass add up to its time", async () => {
    const one = alone(SHORT); // 1 row, 2 tokens
    const two = fx.lm.trace((tracer) => {
      tracer.invoke([LONG, MID], () => logits().save("logits")); // 2 rows, 12 tokens
    });
    const started = performance.now();
    const [a, b] = await fx.engine.runMany([
      { checked: fx.engine.check(one) },
      { checked: fx.engine.check(two) },
    ]);
    const wall = (performance.now() - started) / 1000;
    expect(a!.usage).toMatchObject({ forwardPasses: 1, rows: 1, tokens: 2 });
    expect(b!.usage).toMatchObject({ forwardPasses: 1, rows: 2, tokens: 12 });
    // Shares follow tokens: 2 of 14 and 12 of 14 of the same pass.
    expect(b!.usage.computeSeconds / a!.usage.computeSeconds).toBeCloseTo(6, 6);
    const charged = a!.usage.computeSeconds + b!.usage.computeSeconds;
    expect(charged).toBeGreaterThan(0);
    expect(charged).toBeLessThanOrEqual(wall);
  });
});
