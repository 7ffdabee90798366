import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { extractModuleTree, scopeOfNode } from "./extract-module-tree.ts";
import { decodeOnnxModel, OnnxDecodeError } from "./onnx-bytes.ts";

// reference.json records, from PyTorch at fixture-build time, every module name
// (named_modules) and, for two hooked modules, the ONNX tensors of their output.
const fixtures = path.resolve(import.meta.dirname, "..", "..", "fixtures");
const reference = JSON.parse(
  fs.readFileSync(path.join(fixtures, "reference.json"), "utf8"),
) as {
  models: Record<
    string,
    {
      modules: string[];
      hooks: Record<string, { module: string; onnx_outputs: string[] }>;
    }
  >;
};

describe.each(["gpt2-tiny", "llama-tiny"])(
  "extractModuleTree on %s",
  (name) => {
    const model = decodeOnnxModel(
      fs.readFileSync(path.join(fixtures, `${name}.onnx`)),
    );
    const tree = extractModuleTree(model);
    const expected = reference.models[name]!;

    it("recovers only modules PyTorch has, and every module that computes something", () => {
      const recovered = tree.modules.map((m) => m.path).filter((p) => p !== "");
      expect(recovered.filter((p) => !expected.modules.includes(p))).toEqual(
        [],
      );
      // Modules that leave no nodes in the export: dropouts (identity in eval),
      // ModuleLists (containers), and Llama's per-layer rotary_emb, unused since
      // transformers computes the rotary embedding once in model.rotary_emb.
      const missing = expected.modules.filter((p) => !recovered.includes(p));
      expect(
        missing.every((p) =>
          /(drop|dropout|\.h|\.layers|self_attn\.rotary_emb)$/.test(p),
        ),
        `missing: ${missing.join(", ")}`,
      ).toBe(true);
      expect(tree.unresolved).toEqual([]);
    });

    it("finds the output tensors PyTorch's hooks saw", () => {
      for (const hook of Object.values(expected.hooks)) {
        const module = tree.modules.find((m) => m.path === hook.module);
        expect(module?.calls[0]?.outputs.at(-1), hook.module).toBe(
          hook.onnx_outputs.at(-1),
        );
      }
    });

    it("numbers hook events in forward order, children inside their parents", () => {
      const byPath = new Map(tree.modules.map((m) => [m.path, m.calls[0]!]));
      for (const [p, call] of byPath) {
        expect(call.enter).toBeLessThan(call.exit);
        const parent = byPath.get(p.split(".").slice(0, -1).join("."));
        if (p !== "" && parent)
          expect(parent.enter < call.enter && call.exit < parent.exit, p).toBe(
            true,
          );
      }
      const root = byPath.get("")!;
      expect(root.inputs).toEqual([
        "input_ids",
        "attention_mask",
        "position_ids",
      ]);
      expect(root.outputs).toEqual(["logits"]);
    });
  },
);

describe("extractModuleTree on gpt2-tiny-dynamo (scopes in node metadata)", () => {
  const model = decodeOnnxModel(
    fs.readFileSync(path.join(fixtures, "dynamo", "gpt2-tiny-dynamo.onnx")),
  );
  const tree = extractModuleTree(model);
  // build_dynamo.py records the ONNX tensors that leave each hooked module.
  const dynamoReference = JSON.parse(
    fs.readFileSync(path.join(fixtures, "dynamo", "reference.json"), "utf8"),
  ) as { hooks: Record<string, { module: string; onnx_outputs: string[] }> };

  it("recovers every module PyTorch has but the ModuleList, and nothing else", () => {
    const recovered = tree.modules.map((m) => m.path).filter((p) => p !== "");
    const pytorch = reference.models["gpt2-tiny"]!.modules;
    expect(recovered.sort()).toEqual(
      pytorch.filter((p) => p !== "transformer.h").sort(),
    );
    expect(tree.unresolved).toEqual([]);
  });

  it("finds the output tensors build_dynamo.py read for PyTorch's hooks", () => {
    for (const hook of Object.values(dynamoReference.hooks)) {
      const module = tree.modules.find((m) => m.path === hook.module);
      expect(module?.calls[0]?.outputs, hook.module).toEqual(hook.onnx_outputs);
    }
  });

  it("gives each call the contiguous nodes whose metadata names it, events nested in node order", () => {
    const byPath = new Map(tree.modules.map((m) => [m.path, m.calls]));
    for (const [p, calls] of byPath) {
      expect(calls, p).toHaveLength(1);
      const call = calls[0]!;
      expect(call.nodes, p).toEqual(
        call.nodes.map((_, i) => call.nodes[0]! + i),
      );
      if (p !== "")
        for (const i of call.nodes)
          expect(
            model.nodes[i]!.metadata["pkg.torch.onnx.name_scopes"],
          ).toContain(`'${p}'`);
      expect(call.enter).toBeLessThan(call.exit);
      const parent = byPath.get(p.split(".").slice(0, -1).join("."))?.[0];
      if (p !== "" && parent)
        expect(parent.enter < call.enter && call.exit < parent.exit, p).toBe(
          true,
        );
    }
    const root = byPath.get("")![0]!;
    expect(root.nodes).toHaveLength(model.nodes.length);
    expect(root.inputs).toEqual([
      "input_ids",
      "attention_mask",
      "position_ids",
    ]);
    expect(root.outputs).toEqual(["logits"]);
  });
});

describe("scopeOfNode", () => {
  it.each([
    [
      "/transformer/h.0/mlp/c_fc/Gemm",
      undefined,
      { path: "transformer.h.0.mlp.c_fc", call: 0 },
    ],
    ["Identity_3", undefined, { path: "", call: 0 }],
    [
      "/transformer/h.0/ln_1/Add",
      new Set(["transformer", "transformer/h.0", "transformer/h.0/ln_1"]),
      { path: "transformer.h.0.ln_1", call: 0 },
    ],
    [
      "/model/attn_1/MatMul",
      new Set(["model", "model/attn", "model/attn_1"]),
      { path: "model.attn", call: 1 },
    ],
  ])("reads %s", (name, known, expected) => {
    expect(scopeOfNode(name, known)).toMatchObject(expected);
  });
});

it("rejects bytes that are not an ONNX model, saying so", () => {
  expect(() =>
    decodeOnnxModel(new TextEncoder().encode("definitely not protobuf")),
  ).toThrow(OnnxDecodeError);
});
