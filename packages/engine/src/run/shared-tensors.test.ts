import { afterAll, beforeAll, expect, it } from "vitest";
import {
  checkedGraphFromStore,
  GraphValidationError,
  type Envoy,
  type Graph,
} from "@loupe/graph";
import { loadFixture, type LoadedFixture } from "../testing/fixture-engines.ts";

/**
 * A tensor without a batch axis (issue 20, finding 4): gpt2-tiny as first
 * exported computes its positions inside the graph, so its position
 * embeddings, transformer.wpe's output, are [1, seq, 64]: one tensor every
 * row of the pass reads. A write to it from one of several invokes would
 * change the other invokes' results; it is refused, by the check and, for a
 * graph stored before the rule, by the engine.
 */
let fx: LoadedFixture;
const wpe = () => (fx.lm as unknown as Envoy).transformer!.wpe!;
const zeroPositions = () => {
  wpe().output.set(wpe().output.mul(0));
};
const A = [[5, 6, 7]];
const B = [[8, 9, 10]];

beforeAll(async () => {
  fx = await loadFixture("gpt2-tiny-nopos");
});
afterAll(async () => {
  await fx.engine.close();
});

const logitsOf = (tokens: number[][]) =>
  fx.lm.trace({ tokens }, () => {
    fx.lm.output.item("logits").save("logits");
  });

it("has a position embedding without a batch axis", () => {
  const wpeSpec = fx.manifest.modules.find((m) => m.path === "transformer.wpe");
  expect(wpeSpec!.calls[0]!.outputs[0]!.shape).toEqual([1, "seq", 64]);
});

it("refuses a write to it from one of two invokes, naming the node", () => {
  const graph = fx.lm.trace((tracer) => {
    tracer.invoke({ tokens: A }, zeroPositions);
    tracer.invoke({ tokens: B }, () => {
      fx.lm.output.item("logits").save("logits");
    });
  });
  expect(() => fx.engine.check(graph)).toThrow(GraphValidationError);
  expect(() => fx.engine.check(graph)).toThrow(
    /node n\d+ \(write\): transformer\.wpe\.output has no batch axis \(shape \[1,seq,64\]\)/,
  );
});

it("runs it from a trace's only invoke, or from invoke(null), where it is meant for every row", async () => {
  const alone = await fx.engine.run(
    fx.lm.trace({ tokens: A }, () => {
      zeroPositions();
      fx.lm.output.item("logits").save("logits");
    }),
  );
  const plain = await fx.engine.run(logitsOf(A));
  expect(alone.saves.logits!.data).not.toEqual(plain.saves.logits!.data);
  const both = await fx.engine.run(
    fx.lm.trace((tracer) => {
      tracer.invoke({ tokens: A }, () => {});
      tracer.invoke({ tokens: B }, () => {
        fx.lm.output.item("logits").save("logits");
      });
      tracer.invoke(null, zeroPositions);
    }),
  );
  const bZeroed = await fx.engine.run(
    fx.lm.trace({ tokens: B }, () => {
      zeroPositions();
      fx.lm.output.item("logits").save("logits");
    }),
  );
  expect(both.saves.logits!.data).toEqual(bZeroed.saves.logits!.data);
});

it("refuses it in the engine too, for a graph stored before the check refused it", async () => {
  // Checked with the write in invoke(null), then stored with it in invoke 0:
  // what a graph checked before this rule looks like.
  const allowed = fx.lm.trace((tracer) => {
    tracer.invoke({ tokens: A }, () => {});
    tracer.invoke({ tokens: B }, () => {
      fx.lm.output.item("logits").save("logits");
    });
    tracer.invoke(null, zeroPositions);
  });
  const checked = fx.engine.check(allowed);
  const stored: Graph = structuredClone(allowed);
  for (const node of stored.nodes)
    if (node.invoke === 2) Object.assign(node, { invoke: 0 });
  const old = checkedGraphFromStore({
    graph: stored,
    types: Object.fromEntries(checked.types),
    hash: "sha256:stored-before-the-rule",
    modelHash: checked.modelHash,
  });
  await expect(fx.engine.runMany([{ checked: old }])).resolves.toMatchObject([
    {
      error: expect.objectContaining({
        message: expect.stringMatching(
          /writes transformer\.wpe\.output, a tensor without a batch axis that every invoke's rows share, from invoke 0, which has only some of them/,
        ) as unknown,
      }) as unknown,
    },
  ]);
});
