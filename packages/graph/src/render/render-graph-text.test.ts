import { expect, it } from "vitest";
import { paperExamples } from "../examples/paper-examples.ts";
import { gpt2 } from "../testing/gpt2-fixture.ts";
import { graphToDag, graphToDot } from "./graph-dag.ts";
import { renderGraphText } from "./render-graph-text.ts";

it("renders a graph as readable text under its traces and invokes", () => {
  expect(renderGraphText(paperExamples["example-4-patching"]!(gpt2()))).toBe(
    [
      "trace 0 (gpt2-small)",
      '  invoke 0: "The Colosseum is located in the city of"',
      "    n0 = layers.5.output[0]",
      "    n1 = n0[:, 6, :]",
      '  invoke 1: "The Louvre is located in the city of"',
      "    n2 = layers.5.output[0]",
      "    layers.5.output[0][:, 5, :] = n1",
      "    n4 = model.output[0]",
      '    save n4 as "logits"',
    ].join("\n"),
  );
});

it("renders every operation kind on one line", () => {
  const lm = gpt2();
  const text = renderGraphText(
    lm
      .edit(() => void lm.layers[0].mlp.output.set(0))
      .trace({ tokens: [[1, 2, 3]] }, (tracer) => {
        const h = lm.layers[1].output[0];
        const top = lm.lm_head.call(h).topk(3, { largest: false });
        top.indices.save("idx");
        h.sum([0, 1], true).where(1.5, h).save("w");
        lm.layers[2].skip(h);
        tracer.cache(["lm_head"]);
        tracer.stop();
      }),
  );
  expect(text).toBe(
    [
      "trace 0 (gpt2-small)",
      "  invoke 0: edits (every row)",
      "    n0 = layers.0.mlp.output",
      "    n1 = 0",
      "    layers.0.mlp.output = n1",
      "  invoke 1: [1 2 3]",
      "    n3 = layers.1.output[0]",
      "    n4 = lm_head(n3)",
      "    n5 = topk(n4, k=3, dim=-1, smallest).values",
      "    n6 = topk(n4, k=3, dim=-1, smallest).indices",
      '    save n6 as "idx"',
      "    n8 = sum(n3, dims=[0,1], keepdim=true)",
      "    n9 = 1.5",
      "    n10 = where(n8, n9, n3)",
      '    save n10 as "w"',
      "    skip layers.2, output = n3",
      "    cache lm_head",
      "    stop",
    ].join("\n"),
  );
});

it("exports a DAG with every arg as an edge, and Graphviz DOT", () => {
  const graph = paperExamples["example-4-patching"]!(gpt2());
  const dag = graphToDag(graph);
  expect(dag.edges).toEqual([
    { from: "n0", to: "n1" },
    { from: "n1", to: "n3" },
    { from: "n4", to: "n5" },
  ]);
  expect(dag.nodes.map((n) => n.kind)).toEqual([
    "model",
    "value",
    "model",
    "effect",
    "model",
    "effect",
  ]);
  const dot = graphToDot(graph);
  expect(dot).toContain("subgraph cluster_t0_i1 {");
  expect(dot).toContain(
    'n3 [label="layers.5.output[0][:, 5, :] = n1", shape=octagon];',
  );
  expect(dot).toContain("n1 -> n3;");
});
