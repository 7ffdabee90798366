import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  constant,
  GraphValidationError,
  type Envoy,
  type Graph,
} from "@loupe/graph";
import { loadFixture, type LoadedFixture } from "./testing/fixture-engines.ts";

let fx: LoadedFixture;
const lm = () => fx.lm as unknown as Envoy;
const block = (i: number) => lm().transformer!.h![i]!;

beforeAll(async () => {
  fx = await loadFixture("gpt2-tiny");
});
afterAll(async () => {
  await fx.engine.close();
});

describe("compilation, as the engine's metrics show it", () => {
  const steer = (scale: number): Graph =>
    fx.lm.trace("The truth is the", () => {
      const h = block(0).output[0]!;
      h.set(
        h.add(
          constant(
            Array.from({ length: 64 }, (_, j) => scale * Math.sin(j)),
            "float32",
          ),
        ),
      );
      fx.lm.output.item("logits").save("logits");
    });

  it("loading compiles the model once, as stages that share no weights", () => {
    // 2 layers: [embeddings + layer 0], [layer 1], [final norm + head].
    expect(fx.engine.metrics.piecesCompiled).toBe(3);
    // Each weight lands in one stage. The only copies are of tensors the exporter
    // deduplicated (identical random-init LayerNorm weights and biases, which
    // several layers read through Identity nodes): at most one copy per alias.
    const { plan } = fx.engine;
    const aliased = plan.nodes
      .filter(
        (n) => n.opType === "Identity" && plan.initializers.has(n.input[0]!),
      )
      .reduce(
        (sum, n) => sum + plan.initializers.get(n.input[0]!)!.dataBytes,
        0,
      );
    expect(aliased).toBeLessThan(plan.weightBytes / 100);
    expect(fx.engine.metrics.weightBytesLoaded).toBeLessThanOrEqual(
      plan.weightBytes + aliased,
    );
  });

  it("a changed constant creates no new session", async () => {
    const first = (await fx.engine.run(steer(0.5))).saves.logits!;
    const before = { ...fx.engine.metrics };
    const second = (await fx.engine.run(steer(2))).saves.logits!;
    expect(fx.engine.metrics.piecesCompiled).toBe(before.piecesCompiled);
    expect(fx.engine.metrics.segmentsCompiled).toBe(before.segmentsCompiled);
    expect(fx.engine.metrics.weightBytesLoaded).toBe(before.weightBytesLoaded);
    // ...and the new value took effect.
    expect([...second.data]).not.toEqual([...first.data]);
  });

  it("a new hook set on a loaded model compiles less than the whole model", async () => {
    const before = { ...fx.engine.metrics };
    await fx.engine.run(
      fx.lm.trace("Hello World", () => {
        block(1).mlp!.c_proj!.input.set([":", ":", [3, 17]], 5);
        fx.lm.output.item("logits").save("logits");
      }),
    );
    const loaded =
      fx.engine.metrics.weightBytesLoaded - before.weightBytesLoaded;
    // Only layer 1's stage is cut in two: its weights are loaded again, nothing else.
    expect(fx.engine.metrics.piecesCompiled - before.piecesCompiled).toBe(2);
    expect(loaded).toBeGreaterThan(0);
    expect(loaded).toBeLessThan(fx.engine.weightBytes / 2);
  });
});

describe("bad graphs", () => {
  it("fail before any session is created, with the validator's message", async () => {
    const unknown: Graph = fx.lm.trace("Hello World", () => {
      block(0).output[0]!.save("h");
    });
    const renamed = JSON.parse(
      JSON.stringify(unknown).replace(
        /transformer\.h\.0/g,
        "transformer.h.0.mpl",
      ),
    ) as Graph;
    const before = { ...fx.engine.metrics };
    await expect(fx.engine.run(renamed)).rejects.toThrow(GraphValidationError);
    await expect(fx.engine.run(renamed)).rejects.toThrow(
      /unknown module "transformer\.h\.0\.mpl".*did you mean/s,
    );
    const wrongShape = fx.lm.trace("Hello World", () => {
      block(0).output[0]!.set(constant([1, 2, 3], "float32"));
    });
    await expect(fx.engine.run(wrongShape)).rejects.toThrow(
      /value of shape \[3\] does not fit/,
    );
    expect(fx.engine.metrics).toEqual(before);
  });
});

describe("the session cache", () => {
  it("stays within its memory budget by evicting least recently used sessions, with the same results", async () => {
    const small = await loadFixture("gpt2-tiny", { cacheBudgetBytes: 1 });
    // The stages compiled at load are pinned; they are what a budget cannot evict.
    const pinned = small.engine.cachedBytes;
    try {
      const graph = (layer: number) =>
        small.lm.trace("The truth is the", () => {
          const mlp = (small.lm as unknown as Envoy).transformer!.h![layer]!
            .mlp!;
          mlp.output.set(mlp.output.mul(0.5));
          small.lm.output.item("logits").save("logits");
        });
      const first = (await small.engine.run(graph(1))).saves.logits!;
      await small.engine.run(graph(0));
      const again = (await small.engine.run(graph(1))).saves.logits!;
      expect(small.engine.metrics.evictions).toBeGreaterThan(0);
      // Beside the pinned stages, at most the session just created stays.
      expect(small.engine.cachedBytes).toBeLessThan(2 * pinned);
      expect([...again.data]).toEqual([...first.data]);
      const reference = (await fx.engine.run(graph(1))).saves.logits!;
      expect([...again.data]).toEqual([...reference.data]);
    } finally {
      await small.engine.close();
    }
  });
});
