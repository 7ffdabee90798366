import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createModel, OnnxElementType, type Envoy } from "@loupe/graph";
import { writeModel, type NodeSpec } from "../onnx/onnx-bytes.ts";
import { FIXTURES } from "../testing/fixture-engines.ts";
import { LoupeEngine } from "../engine.ts";
import { importOnnxModel } from "./import-onnx-model.ts";

/** What the importer lists as a module call's own operations (`.source`). */
describe("source operations", () => {
  it("lists GPT-2 attention's operations in order, with readable names, events inside the call and probed types", async () => {
    const bytes = readFileSync(path.join(FIXTURES, "gpt2-tiny.onnx"));
    const { manifest, unreachable } = await importOnnxModel(bytes, "gpt2-tiny");
    expect(unreachable).toEqual([]);
    const attn = manifest.modules.find(
      (m) => m.path === "transformer.h.0.attn",
    )!;
    const call = attn.calls[0]!;
    const names = call.source!.map((s) => s.name);
    // The model's math, not its shape arithmetic (Shape, Gather of a size, Concat of sizes).
    expect(names).toEqual([
      "split_0",
      "reshape_0",
      "transpose_0",
      "reshape_1",
      "transpose_1",
      "reshape_2",
      "transpose_2",
      "transpose_3",
      "matmul_0",
      "div_0",
      "cast_0",
      "where_0",
      "add_0",
      "softmax_0",
      "cast_1",
      "matmul_1",
      "transpose_4",
      "reshape_3",
    ]);
    const softmax = call.source!.find((s) => s.name === "softmax_0")!;
    expect(softmax).toMatchObject({
      op: "Softmax",
      node: "/transformer/h.0/attn/Softmax",
      outputs: [{ dtype: "float32", shape: ["batch", 4, "seq", "seq"] }],
    });
    // Events lie inside the call, after c_attn's exit and before c_proj's enter.
    const child = (p: string) =>
      manifest.modules.find((m) => m.path === `transformer.h.0.attn.${p}`)!
        .calls[0]!;
    const events = call.source!.map((s) => s.event);
    expect(events).toEqual([...events].sort((a, b) => a - b));
    expect(events[0]!).toBeGreaterThan(child("c_attn").exit);
    expect(events.at(-1)!).toBeLessThan(child("c_proj").enter);
    expect(call.enter).toBeLessThan(events[0]!);
    // Every event number is used once across the manifest.
    const all = manifest.modules.flatMap((m) =>
      m.calls.flatMap((c) => [
        c.enter,
        c.exit,
        ...(c.source ?? []).map((s) => s.event),
      ]),
    );
    expect(new Set(all).size).toBe(all.length);
  });

  it("marks a fused attention operator, lists it as unreachable and refuses .source inside it by name", async () => {
    const bytes = fusedAttentionModel();
    const { manifest, unreachable } = await importOnnxModel(bytes, "fused");
    expect(unreachable).toEqual([
      {
        path: "attn",
        call: 0,
        name: "multiheadattention_0",
        reason:
          "MultiHeadAttention is a fused operator: the tensors it computes inside (an attention pattern) stay inside ONNX Runtime's kernel",
      },
    ]);
    const lm = createModel(manifest);
    const root = lm as unknown as Envoy;
    expect(() =>
      lm.trace({ tokens: [[1, 2, 3]] }, () => {
        root.attn!.source.softmax_0!.output.save("p");
      }),
    ).toThrow(
      'attn has no operation "softmax_0"; it has: multiheadattention_0. multiheadattention_0 (com.microsoft.MultiHeadAttention) is a fused operator',
    );
    // Its output is reachable, and runs.
    const engine = await LoupeEngine.load(bytes, manifest);
    try {
      const { saves } = await engine.run(
        lm.trace({ tokens: [[1, 2, 3]] }, () => {
          root.attn!.source.multiheadattention_0!.output.save("out");
          root.attn!.output.save("attn");
        }),
      );
      expect(saves.out!.shape).toEqual([1, 3, 8]);
      expect(saves.out!.data).toEqual(saves.attn!.data);
    } finally {
      await engine.close();
    }
  });
});

/** Embedding, then `attn` computing self-attention with ONNX Runtime's fused MultiHeadAttention kernel. */
function fusedAttentionModel(): Uint8Array {
  const d = 8;
  const vocab = 16;
  const values = (n: number, seed: number) =>
    new Uint8Array(
      Float32Array.from(
        { length: n },
        (_, i) => Math.sin(i * 0.37 + seed) * 0.5,
      ).buffer,
    );
  const nodes: NodeSpec[] = [
    {
      opType: "Gather",
      name: "/wte/Gather",
      input: ["wte.weight", "input_ids"],
      output: ["h"],
    },
    {
      opType: "MatMul",
      name: "/attn/q/MatMul",
      input: ["h", "attn.q.weight"],
      output: ["q"],
    },
    {
      opType: "MultiHeadAttention",
      domain: "com.microsoft",
      name: "/attn/MultiHeadAttention",
      input: ["q", "h", "h"],
      output: ["attn_out"],
      attributes: { num_heads: { int: 2 } },
    },
    {
      opType: "MatMul",
      name: "/lm_head/MatMul",
      input: ["attn_out", "lm_head.weight"],
      output: ["logits"],
    },
  ];
  return writeModel({
    irVersion: 8,
    opsetImports: [
      { domain: "", version: 17 },
      { domain: "com.microsoft", version: 1 },
    ],
    nodes,
    initializers: [
      {
        name: "wte.weight",
        dataType: OnnxElementType.FLOAT,
        dims: [vocab, d],
        raw: values(vocab * d, 1),
      },
      {
        name: "attn.q.weight",
        dataType: OnnxElementType.FLOAT,
        dims: [d, d],
        raw: values(d * d, 2),
      },
      {
        name: "lm_head.weight",
        dataType: OnnxElementType.FLOAT,
        dims: [d, vocab],
        raw: values(d * vocab, 3),
      },
    ],
    inputs: [
      {
        name: "input_ids",
        elemType: OnnxElementType.INT64,
        shape: ["batch", "sequence"],
      },
    ],
    outputs: [
      {
        name: "logits",
        elemType: OnnxElementType.FLOAT,
        shape: ["batch", "sequence", vocab],
      },
    ],
    name: "fused",
  });
}
