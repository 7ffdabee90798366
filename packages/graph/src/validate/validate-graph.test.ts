import { describe, expect, it } from "vitest";
import type { Graph, GraphNode } from "../format/graph-schema.ts";
import { encodeConstant } from "../trace/encode-constant.ts";
import { gpt2, gpt2Manifest } from "../testing/gpt2-fixture.ts";
import { validateGraph } from "./validate-graph.ts";

/** A graph of one trace with the given invokes and nodes (positions default to trace 0, invoke 0). */
function graph(
  nodes: Partial<GraphNode>[],
  invokes: Graph["traces"][number]["invokes"] = [
    { input: { kind: "tokens", ids: [[1, 2, 3, 4, 5, 6, 7]] } },
  ],
): Graph {
  return {
    format: "loupe.graph",
    version: 1,
    traces: [{ invokes }],
    nodes: nodes.map(
      (n, i) =>
        ({ id: `n${i}`, trace: 0, invoke: 0, args: [], ...n }) as GraphNode,
    ),
  };
}
const read = (
  module: string,
  item: number | null = 0,
  extra: Partial<GraphNode> = {},
) =>
  ({
    op: "read",
    module,
    call: 0,
    slot: "output",
    item,
    ...extra,
  }) as Partial<GraphNode>;
const num = (value: number) =>
  ({
    op: "constant",
    ...encodeConstant(value, "float32"),
  }) as Partial<GraphNode>;
const messages = (g: Graph) => {
  const r = validateGraph(g, gpt2Manifest);
  return r.ok ? [] : r.issues.map((i) => i.message);
};

describe("validateGraph", () => {
  it("types every value of the paper's patching example", () => {
    const lm = gpt2();
    const g = lm.trace((tracer) => {
      let h = undefined as unknown as ReturnType<
        (typeof lm.layers)[5]["output"][0]["get"]
      >;
      tracer.invoke({ tokens: [[1, 2, 3, 4, 5, 6, 7, 8]] }, () => {
        h = lm.layers[5].output[0].get(":", 6, ":");
      });
      tracer.invoke({ tokens: [[9, 10, 11, 12, 13, 14]] }, () => {
        lm.layers[5].output[0].set([":", 5, ":"], h);
        lm.output.logits.save("logits");
      });
    });
    const r = validateGraph(g, gpt2Manifest);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.types.get("n1")).toEqual({ dtype: "float32", shape: [1, 768] });
    expect(r.types.get("n5")).toEqual({
      dtype: "float32",
      shape: [1, 6, 50257],
    });
  });

  it("refuses a write from one of several invokes to a tensor without a batch axis (every invoke's rows share it), and allows it from a trace's only invoke or from invoke(null)", () => {
    const lm = gpt2();
    const zero = () => {
      const wpe = lm.transformer.wpe.output;
      wpe.set(wpe.mul(0));
    };
    const twoInvokes = lm.trace((tracer) => {
      tracer.invoke({ tokens: [[1, 2, 3]] }, zero);
      tracer.invoke({ tokens: [[4, 5]] }, () => {
        lm.output.logits.save("logits");
      });
    });
    expect(messages(twoInvokes)).toEqual([
      "node n3 (write): transformer.wpe.output has no batch axis (shape [1,seq,768]): every invoke's rows share it, so a write from one of the trace's 2 invokes would change the others' results too; write it in a trace with one invoke, or from invoke(null)",
    ]);
    const oneInvoke = lm.trace({ tokens: [[1, 2, 3]] }, zero);
    expect(messages(oneInvoke)).toEqual([]);
    const fromNull = lm.trace((tracer) => {
      tracer.invoke({ tokens: [[1, 2, 3]] }, () => {});
      tracer.invoke({ tokens: [[4, 5]] }, () => {});
      tracer.invoke(null, zero);
    });
    expect(messages(fromNull)).toEqual([]);
  });

  it.each<[string, Partial<GraphNode>[], string[]]>([
    [
      "an unknown module, with suggestions",
      [read("transformer.h.5.mpl", null)],
      [
        'node n0 (read): unknown module "transformer.h.5.mpl": did you mean "transformer.h.5.mlp"?',
      ],
    ],
    [
      "an unknown alias child",
      [read("layers.5.mlp.down_prj", null)],
      [
        'node n0 (read): unknown module "layers.5.mlp.down_prj": did you mean "layers.5.mlp.down_proj"?',
      ],
    ],
    [
      "a container instead of a module",
      [read("transformer.h", null)],
      [
        'node n0 (read): "transformer.h" is a container of modules, not a module',
      ],
    ],
    [
      "a call that does not exist",
      [read("transformer.h.0.mlp", null, { call: 2 })],
      [
        'node n0 (read): module "transformer.h.0.mlp" has 1 call(s); call 2 does not exist',
      ],
    ],
    [
      "a tuple output read without an item",
      [read("transformer.h.0", null)],
      [
        "node n0 (read): transformer.h.0.output is a tuple: pick an element (item 0…0)",
      ],
    ],
    [
      "a single tensor read as a tuple",
      [read("transformer.h.0.mlp", 0)],
      [
        "node n0 (read): transformer.h.0.mlp.output is a single tensor, not a tuple: item must be null",
      ],
    ],
    [
      "an element the tuple lacks",
      [read("transformer.h.0", 3)],
      [
        "node n0 (read): transformer.h.0.output has 1 element(s); item 3 does not exist",
      ],
    ],
    [
      "out-of-order access",
      [read("transformer.h.5"), read("transformer.h.3")],
      [
        "node n1 (read): transformer.h.3.output is accessed after transformer.h.5.output, but the model computes it earlier: within an invoke, access modules in forward order",
      ],
    ],
    [
      "access inside a skipped module",
      [
        read("transformer.h.1"),
        { op: "skip", module: "transformer.h.2", call: 0, args: ["n0"] },
        read("transformer.h.2.mlp", null),
      ],
      [
        'node n2 (read): transformer.h.2.mlp.output is never computed: its ancestor "transformer.h.2" is skipped by node n1',
      ],
    ],
    [
      "a write to a skipped module's input",
      [
        read("transformer.h.0"),
        { op: "skip", module: "transformer.h.1", call: 0, args: ["n0"] },
        {
          op: "write",
          module: "transformer.h.1",
          call: 0,
          slot: "input",
          item: 0,
          index: null,
          args: ["n0"],
        },
      ],
      [
        'node n2 (write): transformer.h.1.input is accessed after node n1 skipped "transformer.h.1": a skipped module never reads its input, so a write to it would do nothing (access the input before the skip)',
      ],
    ],
    [
      "a value written before the pass computes it",
      [
        read("transformer.h.5"),
        {
          op: "write",
          module: "transformer.h.3",
          call: 0,
          slot: "output",
          item: 0,
          index: null,
          args: ["n0"],
          invoke: 1,
        },
      ],
      [
        "node n1 (write): its value (from node n0) exists only later in the forward pass than transformer.h.3.output",
      ],
    ],
    [
      "a value from a later invoke at the same point",
      [
        read("transformer.h.5", 0, { invoke: 1 }),
        {
          op: "write",
          module: "transformer.h.5",
          call: 0,
          slot: "output",
          item: 0,
          index: null,
          args: ["n0"],
          invoke: 0,
        },
      ],
      [
        "node n1 (write): its value (from node n0) comes from a later invoke; invokes run in the order they are written",
      ],
    ],
    [
      "a write that does not fit its region",
      [
        num(1),
        { op: "constant", ...encodeConstant([1, 2, 3], "float32") },
        {
          op: "write",
          module: "transformer.h.0",
          call: 0,
          slot: "output",
          item: 0,
          index: [{ slice: [null, null, null] }, 0],
          args: ["n1"],
        },
      ],
      [
        "node n2 (write): value of shape [3] does not fit transformer.h.0.output region [1,768]",
      ],
    ],
    [
      "a float written into token ids",
      [
        num(1.5),
        {
          op: "write",
          module: "transformer.wte",
          call: 0,
          slot: "input",
          item: 0,
          index: null,
          args: ["n0"],
        },
      ],
      [
        "node n1 (write): cannot write float32 values into transformer.wte.input, which is int64",
      ],
    ],
    [
      "a matmul with mismatched inner dimensions",
      [
        read("transformer.h.0"),
        { op: "param", module: "lm_head", name: "weight" },
        { op: "matmul", args: ["n0", "n1"] },
      ],
      ["node n2 (matmul): input 1 has shape [50257,768], expected [768,*]"],
    ],
    [
      "an unknown parameter",
      [{ op: "param", module: "lm_head", name: "bias" }],
      [
        'node n0 (param): module "lm_head" has no parameter "bias"; it has: weight',
      ],
    ],
    [
      "an index out of range",
      [read("transformer.h.0"), { op: "getitem", args: ["n0"], index: [0, 7] }],
      ["node n1 (getitem): index 7 is out of range for axis 1 of size 7"],
    ],
    [
      "call() on a module of the wrong width",
      [
        read("transformer.h.0.mlp.c_fc", null),
        { op: "call_module", module: "lm_head", args: ["n0"] },
      ],
      [
        "node n1 (call_module): input 0 has shape [1,7,3072], expected [*,768] for lm_head",
      ],
    ],
    [
      "a save name used twice",
      [
        read("transformer.h.0"),
        { op: "save", name: "h", args: ["n0"] },
        { op: "save", name: "h", args: ["n0"] },
      ],
      ['node n2 (save): the name "h" is already saved by node n1'],
    ],
    [
      "a stop used as a value",
      [{ op: "stop" }, { op: "relu", args: ["n0"] }],
      ["node n1 (relu): input 0 (node n0, a stop) has no value"],
    ],
    [
      "constant data of the wrong length",
      [{ op: "constant", dtype: "float32", shape: [2], data: "AAAAAA==" }],
      ["node n0 (constant): data holds 4 bytes, expected 8 for float32[2]"],
    ],
  ])("reports %s", (_, nodes, expected) => {
    expect(
      messages(
        graph(nodes, [
          { input: { kind: "tokens", ids: [[1, 2, 3, 4, 5, 6, 7]] } },
          { input: { kind: "tokens", ids: [[7, 6, 5, 4, 3, 2, 1]] } },
        ]),
      ),
    ).toEqual(expected);
  });

  it("returns every problem, not the first", () => {
    const g = graph([
      read("nope", null),
      { op: "param", module: "lm_head", name: "bias" },
      read("transformer.h.0"),
      { op: "getitem", args: ["n2"], index: [5] },
    ]);
    expect(messages(g)).toHaveLength(3);
  });

  it("enforces the size limits", () => {
    const g = graph([
      read("transformer.h.0"),
      { op: "save", name: "h", args: ["n0"] },
    ]);
    const r = validateGraph(g, gpt2Manifest, {
      maxNodes: 1,
      maxConstantBytes: 0,
      maxSavedBytes: 100,
    });
    expect(r.ok ? [] : r.issues.map((i) => i.message)).toEqual([
      "node n1 (save): the graph has 2 nodes, more than the limit of 1",
      "node n1 (save): saved values exceed the limit of 100 bytes (this one is float32[1,7,768])",
    ]);
  });

  it("binds batch and sequence per invoke; an empty invoke sees the whole batch", () => {
    const g = graph(
      [
        read("transformer.h.0"),
        read("transformer.h.0", 0, { invoke: 1 }),
        read("transformer.h.0", 0, { invoke: 2 }),
      ],
      [
        {
          input: {
            kind: "tokens",
            ids: [
              [1, 2],
              [3, 4],
            ],
          },
        },
        { input: { kind: "text", prompts: ["a"] } },
        { input: null },
      ],
    );
    const r = validateGraph(g, gpt2Manifest);
    expect(r.ok && [...r.types.values()].map((t) => t?.shape)).toEqual([
      [2, 2, 768],
      [1, "seq@t0.i1", 768],
      ["batch", "seq", 768],
    ]);
  });
});
