import fs from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";
import { extractModuleTree } from "../onnx/extract-module-tree.ts";
import { decodeOnnxModel } from "../onnx/onnx-bytes.ts";
import { probeTensorTypes } from "./probe-tensor-types.ts";

// Runs the real onnxruntime-node on the committed GPT-2 fixture (2 layers, width 64).
const bytes = fs.readFileSync(
  path.resolve(import.meta.dirname, "..", "..", "fixtures", "gpt2-tiny.onnx"),
);

it("reads dtypes and symbolic shapes of module boundary tensors off ONNX Runtime", async () => {
  const tree = extractModuleTree(decodeOnnxModel(bytes));
  const call = (p: string) => tree.modules.find((m) => m.path === p)!.calls[0]!;
  const block = call("transformer.h.0");
  const fc = call("transformer.h.0.mlp.c_fc");
  const wpe = call("transformer.wpe");
  const names = [
    ...block.inputs,
    ...block.outputs,
    ...fc.outputs,
    ...wpe.outputs,
    "logits",
  ];
  const types = await probeTensorTypes(bytes, names);
  expect(types.get(block.outputs[0]!)).toEqual({
    dtype: "float32",
    shape: ["batch", "seq", 64],
  });
  // The block's second input is the additive attention mask built from attention_mask.
  expect(types.get(block.inputs[1]!)).toEqual({
    dtype: "float32",
    shape: ["batch", 1, 1, "seq"],
  });
  expect(types.get(fc.outputs[0]!)).toEqual({
    dtype: "float32",
    shape: ["batch", "seq", 256],
  });
  expect(types.get(wpe.outputs[0]!)).toEqual({
    dtype: "float32",
    shape: ["batch", "seq", 64],
  });
  expect(types.get("logits")).toEqual({
    dtype: "float32",
    shape: ["batch", "seq", 466],
  });
});
