import { describe, expect, it } from "vitest";
import type { Graph } from "../format/graph-schema.ts";
import { manifestSchema, type Manifest } from "../manifest/manifest-schema.ts";
import { describeNode } from "../render/describe-node.ts";
import { generateModelTypes } from "../typegen/generate-model-types.ts";
import { validateGraph } from "../validate/validate-graph.ts";
import type { Envoy } from "./envoy.ts";
import { createModel } from "./model.ts";

/**
 * `.source`: the operations inside a module call are hook points, read,
 * written and differentiated like a module's outputs, in forward order.
 */
const t = (
  tensor: string,
  shape: (number | string)[] = ["batch", "seq", 8],
) => ({
  tensor,
  dtype: "float32" as const,
  shape,
});
const pattern = ["batch", 2, "seq", "seq"];
const manifest: Manifest = manifestSchema.parse({
  format: "loupe.manifest",
  version: 1,
  model: { name: "tiny", architecture: "Tiny" },
  modules: [
    {
      path: "",
      type: "Tiny",
      calls: [
        {
          enter: 0,
          exit: 12,
          inputs: [{ tensor: "ids", dtype: "int64", shape: ["batch", "seq"] }],
          outputs: [t("logits")],
          tuple: false,
        },
      ],
      params: [],
    },
    {
      path: "attn",
      type: "Module",
      calls: [
        {
          enter: 1,
          exit: 8,
          inputs: [t("x")],
          outputs: [t("attn_out")],
          tuple: false,
          source: [
            {
              name: "split_0",
              op: "Split",
              event: 4,
              outputs: [t("q"), t("k"), t("v")],
            },
            {
              name: "softmax_0",
              op: "Softmax",
              node: "/attn/Softmax",
              event: 5,
              outputs: [t("probs", pattern)],
            },
            { name: "matmul_0", op: "MatMul", event: 6, outputs: [t("mixed")] },
          ],
        },
      ],
      params: [],
    },
    {
      path: "attn.c_attn",
      type: "Module",
      calls: [
        {
          enter: 2,
          exit: 3,
          inputs: [t("x")],
          outputs: [t("qkv")],
          tuple: false,
        },
      ],
      params: [],
    },
    {
      path: "fused",
      type: "Module",
      calls: [
        {
          enter: 9,
          exit: 11,
          inputs: [t("attn_out")],
          outputs: [t("fused_out")],
          tuple: false,
          source: [
            {
              name: "attention_0",
              op: "com.microsoft.MultiHeadAttention",
              event: 10,
              outputs: [t("fused_out")],
              fused: true,
            },
          ],
        },
      ],
      params: [],
    },
    {
      path: "old",
      type: "Module",
      calls: [
        {
          enter: 11,
          exit: 11,
          inputs: [t("fused_out")],
          outputs: [t("old_out")],
          tuple: false,
        },
      ],
      params: [],
    },
  ],
  aliases: {},
});
const lm = createModel(manifest);
const root = () => lm as unknown as Envoy;
const trace = (fn: () => void): Graph => lm.trace({ tokens: [[1, 2, 3]] }, fn);

describe(".source", () => {
  it("reads, writes and differentiates an operation's output, which validates", () => {
    const graph = trace(() => {
      const p = root().attn!.source.softmax_0!.output;
      p.save("pattern");
      p.set([":", 1], 0);
      p.grad.save("g");
      lm.output.sum().backward();
    });
    const read = graph.nodes.find((n) => n.op === "read")!;
    expect(read).toMatchObject({
      module: "attn",
      call: 0,
      slot: "source",
      source: "softmax_0",
      item: null,
    });
    expect(graph.nodes.find((n) => n.op === "write")).toMatchObject({
      slot: "source",
      source: "softmax_0",
    });
    expect(graph.nodes.find((n) => n.op === "grad")).toMatchObject({
      slot: "source",
      source: "softmax_0",
    });
    const checked = validateGraph(graph, manifest);
    expect(checked.ok ? [] : checked.issues).toEqual([]);
    expect(describeNode(read)).toBe(
      `${read.id} = attn.source.softmax_0.output`,
    );
  });

  it("gives a multi-output operation's outputs as a tuple", () => {
    const graph = trace(() => {
      root().attn!.source.split_0!.output[2]!.save("v");
    });
    expect(graph.nodes[0]).toMatchObject({
      slot: "source",
      source: "split_0",
      item: 2,
    });
    expect(() =>
      trace(() => {
        root().attn!.source.split_0!.output.sum();
      }),
    ).toThrow(
      /attn\.source\.split_0\.output is a tuple: pick an element first/,
    );
  });

  it("lists the names, and names the nearest ones for a wrong name", () => {
    trace(() => {
      expect(root().attn!.source.names).toEqual([
        "split_0",
        "softmax_0",
        "matmul_0",
      ]);
      expect(root().attn!.source.softmax_0!.op).toBe("Softmax");
      expect(root().attn!.source.softmax_0!.node).toBe("/attn/Softmax");
    });
    expect(() => trace(() => root().attn!.source.softmax_1!.output)).toThrow(
      'attn has no operation "softmax_1"; operations of that kind: softmax_0',
    );
    expect(() => trace(() => root().attn!.source.gelu_0!.output)).toThrow(
      'attn has no operation "gelu_0"; it has: split_0, softmax_0, matmul_0',
    );
  });

  it("holds operations to forward order, between the module's children", () => {
    // c_attn's output (event 3) comes before the softmax (5), the module's output (8) after.
    trace(() => {
      root().attn!.c_attn!.output.save("qkv");
      root().attn!.source.softmax_0!.output.save("p");
      root().attn!.output.save("out");
    });
    expect(() =>
      trace(() => {
        root().attn!.output.save("out");
        root().attn!.source.softmax_0!.output.save("p");
      }),
    ).toThrow(
      /attn\.source\.softmax_0\.output is accessed after attn\.output, but the model computes it earlier/,
    );
    expect(() =>
      trace(() => {
        root().attn!.source.matmul_0!.output.save("m");
        root().attn!.c_attn!.output.save("qkv");
      }),
    ).toThrow(/accessed after attn\.source\.matmul_0\.output/);
  });

  it("refuses an operation of a skipped module", () => {
    expect(() =>
      trace(() => {
        root().attn!.skip(root().attn!.input);
        root().attn!.source.softmax_0!.output.save("p");
      }),
    ).toThrow(
      /attn\.source\.softmax_0\.output is never computed: node n\d+ skips "attn", so its operations never run/,
    );
  });

  it("refuses to reach inside a fused operator, by name", () => {
    expect(() =>
      trace(
        () =>
          (root().fused!.source.attention_0 as unknown as { source: unknown })
            .source,
      ),
    ).toThrow(
      /fused\.source\.attention_0 is com\.microsoft\.MultiHeadAttention, a fused operator: what it computes inside \(its attention pattern\)/,
    );
    expect(() => trace(() => root().fused!.source.softmax_0!.output)).toThrow(
      /fused has no operation "softmax_0"; it has: attention_0\. attention_0 \(com\.microsoft\.MultiHeadAttention\) is a fused operator/,
    );
    // Its output is a hook point like any other.
    trace(() => {
      root().fused!.source.attention_0!.output.save("out");
    });
  });

  it("says to re-import a model whose manifest predates .source", () => {
    expect(() => trace(() => root().old!.source.add_0!.output)).toThrow(
      "old.source is not in this model's manifest (imported before .source existed): re-import the model",
    );
  });

  it("is checked by the validator on graphs that were not traced", () => {
    const graph = trace(() => {
      root().attn!.source.softmax_0!.output.save("p");
    });
    const bad = (patch: object) => {
      const g = structuredClone(graph);
      Object.assign(g.nodes[0]!, patch);
      const r = validateGraph(g, manifest);
      return r.ok ? [] : r.issues.map((e) => e.message);
    };
    expect(bad({ source: "softmax_9" })).toEqual([
      expect.stringContaining('attn has no operation "softmax_9"'),
    ]);
    expect(bad({ source: undefined })).toEqual([
      expect.stringContaining('name the operation (source: "softmax_0")'),
    ]);
    expect(bad({ item: 0 })).toEqual([
      expect.stringContaining(
        "attn.source.softmax_0.output is a single tensor, not a tuple: item must be null",
      ),
    ]);
    expect(bad({ source: "split_0" })).toEqual([
      expect.stringContaining(
        "attn.source.split_0.output is a tuple: pick an element (item 0…2)",
      ),
    ]);
  });

  it("is typed by typegen", () => {
    const types = generateModelTypes(manifest, "Tiny");
    expect(types).toContain(
      'readonly softmax_0: Omit<SourceOpEnvoy, "output"> & { readonly output: TensorValue };',
    );
    expect(types).toContain(
      'readonly split_0: Omit<SourceOpEnvoy, "output"> & { readonly output: TupleValue & { readonly 0: TensorValue; readonly 1: TensorValue; readonly 2: TensorValue; } };',
    );
  });
});
