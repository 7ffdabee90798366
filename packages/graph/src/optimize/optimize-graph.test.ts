import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Graph, GraphNode } from "../format/graph-schema.ts";
import { gpt2, gpt2Manifest } from "../testing/gpt2-fixture.ts";
import { decodeElements } from "../trace/encode-constant.ts";
import { constant, type TensorValue } from "../trace/tensor-value.ts";
import { eliminateCommonSubexpressions } from "./eliminate-common-subexpressions.ts";
import { eliminateDeadNodes, hasEffect } from "./eliminate-dead-nodes.ts";
import { foldConstants } from "./fold-constants.ts";
import { optimizeGraph, OptimizationError } from "./optimize-graph.ts";
import type { RewritePass } from "./rewrite-pass.ts";
import { validateGraph } from "../validate/validate-graph.ts";

const ops = (g: Graph) =>
  g.nodes.map(
    (n) => `${n.id}:${n.op}${n.args.length ? `(${n.args.join(",")})` : ""}`,
  );
const constantValues = (g: Graph, id: string) => {
  const node = g.nodes.find((n) => n.id === id) as Extract<
    GraphNode,
    { op: "constant" }
  >;
  return {
    dtype: node.dtype,
    shape: node.shape,
    values: decodeElements(node.data, node.dtype),
  };
};

describe("eliminateDeadNodes", () => {
  it("keeps only what feeds a save or a write", () => {
    const lm = gpt2();
    const before = lm.trace("x", () => {
      const h = lm.layers[0].output[0];
      void h.relu(); // unused
      void lm.layers[1].output[0]; // unused read
      lm.layers[2].output[0].set(h.mul(2));
      h.softmax().save("p");
    });
    expect(ops(before)).toEqual([
      "n0:read",
      "n1:relu(n0)",
      "n2:read",
      "n3:read",
      "n4:constant",
      "n5:mul(n0,n4)",
      "n6:write(n5)",
      "n7:softmax(n0)",
      "n8:save(n7)",
    ]);
    expect(ops(eliminateDeadNodes.run(before))).toEqual([
      "n0:read",
      "n4:constant",
      "n5:mul(n0,n4)",
      "n6:write(n5)",
      "n7:softmax(n0)",
      "n8:save(n7)",
    ]);
  });
});

describe("eliminateCommonSubexpressions", () => {
  it("merges equal pure nodes, across invokes, but never reads or inputs", () => {
    const lm = gpt2();
    const before = lm.trace((t) => {
      t.invoke("a", () => {
        const h = lm.layers[0].output[0];
        h.mul(2).save("a");
        h.mul(2).save("b");
        void lm.lm_head.param("weight").save("w1");
      });
      t.invoke("b", () => {
        void lm.lm_head.param("weight").save("w2");
        void lm.layers[0].output[0].mul(2).save("c");
      });
    });
    expect(ops(eliminateCommonSubexpressions.run(before))).toEqual([
      "n0:read",
      "n1:constant",
      "n2:mul(n0,n1)",
      "n3:save(n2)",
      "n6:save(n2)",
      "n7:param",
      "n8:save(n7)",
      "n10:save(n7)",
      "n11:read",
      "n13:mul(n11,n1)",
      "n14:save(n13)",
    ]);
  });
});

describe("foldConstants", () => {
  it("folds exact elementwise operations on constants, with float32 rounding and broadcasting", () => {
    const lm = gpt2();
    const before = lm.trace("x", () => {
      const a = lm.layers[0].output[0].mul(0); // not constant: stays
      void a.save("a");
    });
    expect(foldConstants.run(before)).toBe(before);

    const graph = lm.trace("x", () => {
      const h = lm.layers[0].output[0];
      h.add(
        constantOf([[1, 2, 3]])
          .mul([[10], [20]])
          .add(0.1),
      ).save("h");
      constantOf([1, 2, 3]).gt(2).save("mask");
      constantOf([1.5, -2.5]).cast("int64").save("ints");
      constantOf([1, 4, 9]).sqrt().save("roots");
    });
    const after = foldConstants.run(graph);
    const foldedIds = after.nodes
      .filter((n) => n.op === "constant")
      .map((n) => n.id);
    expect(
      after.nodes.filter(
        (n) =>
          n.op === "mul" || n.op === "gt" || n.op === "cast" || n.op === "sqrt",
      ),
    ).toEqual([]);
    const sum = constantValues(
      after,
      graph.nodes.find(
        (n) =>
          n.op === "add" &&
          n.args.length === 2 &&
          n.args.every((a) => foldedIds.includes(a)),
      )!.id,
    );
    expect(sum).toEqual({
      dtype: "float32",
      shape: [2, 3],
      values: [10, 20, 30, 20, 40, 60].map((v) =>
        Math.fround(v + Math.fround(0.1)),
      ),
    });
    const values = after.nodes
      .filter((n) => n.op === "constant")
      .map((n) => constantValues(after, n.id));
    expect(values).toContainEqual({
      dtype: "bool",
      shape: [3],
      values: [0, 0, 1],
    });
    expect(values).toContainEqual({
      dtype: "int64",
      shape: [2],
      values: [1, -2],
    });
    expect(values).toContainEqual({
      dtype: "float32",
      shape: [3],
      values: [1, 2, 3],
    });
  });

  it("leaves transcendental operations to the engine", () => {
    const lm = gpt2();
    const graph = lm.trace("x", () => void constantOf([1, 2]).exp().save("e"));
    expect(foldConstants.run(graph)).toBe(graph);
  });

  it("keeps NaN through relu and leaves casts of NaN, infinity or overflow to integers unfolded", () => {
    const lm = gpt2();
    const nan = lm.trace("x", () => {
      constant([-1, 4], "float32").sqrt().relu().save("r");
    });
    const folded = optimizeGraph(nan);
    const saved = folded.nodes.find((n) => n.op === "save")!.args[0]!;
    expect(constantValues(folded, saved).values).toEqual([NaN, 2]);
    const inf = lm.trace("x", () => {
      constant([1, 0], "float32").div(0).cast("int64").save("i");
      constant([3e10], "float32").cast("int32").save("j");
    });
    const out = optimizeGraph(inf);
    expect(out.nodes.filter((n) => n.op === "cast")).toHaveLength(2);
  });
});

describe("optimizeGraph", () => {
  it("runs the passes to a fixed point", () => {
    const lm = gpt2();
    const graph = lm.trace("x", () => {
      const h = lm.layers[0].output[0];
      h.add(constantOf([1]).mul(2)).save("a");
      h.add(constantOf([1]).mul(2)).save("b");
    });
    expect(ops(optimizeGraph(graph, { manifest: gpt2Manifest }))).toEqual([
      "n0:read",
      "n3:constant",
      "n4:add(n0,n3)",
      "n5:save(n4)",
      "n10:save(n4)",
    ]);
  });

  it("in debug mode, names a pass that breaks the graph", () => {
    const broken: RewritePass = {
      name: "drop-reads",
      run: (g) =>
        g.nodes[0]?.op === "read"
          ? {
              ...g,
              nodes: g.nodes.map((n) =>
                n.op === "read" ? { ...n, module: "nowhere" } : n,
              ),
            }
          : g,
    };
    const lm = gpt2();
    const graph = lm.trace("x", () => void lm.layers[0].output[0].save("h"));
    expect(() =>
      optimizeGraph(graph, { manifest: gpt2Manifest }, [broken]),
    ).toThrow(OptimizationError);
    expect(() =>
      optimizeGraph(graph, { manifest: gpt2Manifest }, [broken]),
    ).toThrow("pass drop-reads produced an invalid graph");
  });

  it("is idempotent and never removes a save or a write (random graphs)", () => {
    type Step = (x: TensorValue) => TensorValue;
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.integer({ min: 0, max: 3 }).map((k) => (x: TensorValue) => x.add(k)),
      fc.constant((x: TensorValue) => x.relu()),
      fc.constant((x: TensorValue) => x.mul(x)),
      fc.constant((x: TensorValue) => x.get(":", -1)),
      fc.constant((x: TensorValue) => x.mean(-1, true)),
    );
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.nat(11),
            fc.array(step, { maxLength: 6 }),
            fc.constantFrom("save", "write", "drop"),
          ),
          { minLength: 1, maxLength: 6 },
        ),
        (plan) => {
          const lm = gpt2();
          const sorted = [...plan].sort((a, b) => a[0] - b[0]);
          const graph = lm.trace("x", () => {
            sorted.forEach(([layer, chain, use], k) => {
              const h = lm.layers[layer]!.output[0];
              const v = chain.reduce((acc, s) => s(acc), h);
              if (use === "save") v.save(`v${k}`);
              if (use === "write") h.set(h.add(v.mean()));
            });
          });
          fc.pre(validateGraph(graph, gpt2Manifest).ok);
          const once = optimizeGraph(graph, { manifest: gpt2Manifest });
          expect(optimizeGraph(once)).toEqual(once);
          const effects = (g: Graph) =>
            g.nodes.filter(hasEffect).map((n) => n.id);
          expect(effects(once)).toEqual(effects(graph));
        },
      ),
      { numRuns: 150 },
    );
  });
});

/** A float32 constant in the trace being built. */
function constantOf(values: Parameters<typeof constant>[0]): TensorValue {
  return constant(values, "float32");
}
