import { diffGraphs, graphToDag, parseGraphOrThrow } from "@loupe/graph";
import { expect, it } from "vitest";
import { describeInvoke } from "./describe-invoke";
import { factsModel, patchingSession } from "./facts-model.fixture";
import { groupGraphDiff } from "./group-graph-diff";
import { summarizeDag } from "./summarize-dag";

const lm = factsModel();

it("pairs a moved layer, a new scale and a new prompt into readable rows", () => {
  const before = patchingSession(lm);
  const after = patchingSession(lm, {
    layer: 1,
    prompt: "The Louvre is in",
    scale: 3,
  });
  expect(groupGraphDiff(diffGraphs(before, after))).toEqual([
    {
      trace: 0,
      invoke: 0,
      rows: [
        {
          change: "changed",
          before: "n0 = layers.2.output[0]",
          after: "n0 = layers.1.output[0]",
        },
        {
          change: "recomputed",
          before: "n1 = n0[:, 1, :]",
          after: "n1 = n0[:, 1, :]",
        },
      ],
    },
    {
      trace: 0,
      invoke: 1,
      rows: [
        {
          change: "input",
          before: '"The Louvre is located in the city of"',
          after: '"The Louvre is in"',
        },
        { change: "constant", before: "n3 = 2", after: "n3 = 3" },
        {
          change: "changed",
          before: "n2 = layers.2.output[0]",
          after: "n2 = layers.1.output[0]",
        },
        {
          change: "changed",
          before: "layers.2.output[0][:, 1, :] = n4",
          after: "layers.1.output[0][:, 1, :] = n4",
        },
        {
          change: "recomputed",
          before: "n4 = mul(n1, n3)",
          after: "n4 = mul(n1, n3)",
        },
      ],
    },
  ]);
});

it("shows whole invokes and nodes that exist on one side only as added or removed", () => {
  const one = lm.trace("Hello", () => void lm.output.item("logits").save("a"));
  const two = lm.trace((t) => {
    t.invoke("Hello", () => void lm.output.item("logits").save("a"));
    t.invoke(
      { tokens: [[1, 2, 3]] },
      () => void lm.output.item("logits").save("b"),
    );
  });
  expect(groupGraphDiff(diffGraphs(two, one))).toEqual([
    {
      trace: 0,
      invoke: 1,
      rows: [
        { change: "invoke-removed", before: "[1 2 3]" },
        { change: "removed", before: "n2 = model.output[0]" },
        { change: "removed", before: 'save n2 as "b"' },
      ],
    },
  ]);
  expect(groupGraphDiff(diffGraphs(one, two))[0]!.rows[0]).toEqual({
    change: "invoke-added",
    after: "[1 2 3]",
  });
});

it("has no groups for graphs that differ only in node ids", () => {
  const a = patchingSession(lm);
  const renumbered = parseGraphOrThrow(
    JSON.parse(
      JSON.stringify(a).replace(
        /"n(\d+)"/g,
        (_, d: string) => `"n${Number(d) + 50}"`,
      ),
    ),
  );
  expect(groupGraphDiff(diffGraphs(a, renumbered))).toEqual([]);
});

it("describes invokes as renderGraphText does, and anything else as JSON", () => {
  expect(describeInvoke({ input: { kind: "text", prompts: ["a", "b"] } })).toBe(
    '"a", "b"',
  );
  expect(
    describeInvoke({ input: { kind: "tokens", ids: [[1, 2], [3]] } }),
  ).toBe("[1 2], [3]");
  expect(describeInvoke({ input: null })).toBe("the whole batch");
  expect(describeInvoke({ input: null, edit: true })).toBe("edits (every row)");
  expect(describeInvoke({ odd: 1 })).toBe('{"odd":1}');
});

it("summarizes a DAG by its named ops", () => {
  expect(summarizeDag(graphToDag(patchingSession(lm)))).toBe(
    "17 nodes in 3 invokes of 2 traces: 5 reads, 1 write, 3 saves, 2 module calls, 6 values.",
  );
  expect(summarizeDag({ nodes: [], edges: [] })).toBe(
    "An empty graph: no nodes.",
  );
});
