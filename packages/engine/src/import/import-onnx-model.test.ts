import fs from "node:fs";
import path from "node:path";
import { createModel, validateGraph, type TensorValue } from "@loupe/graph";
import { describe, expect, it } from "vitest";
import { importOnnxModel } from "./import-onnx-model.ts";

const fixtures = path.resolve(import.meta.dirname, "..", "..", "fixtures");
const read = (name: string) =>
  fs.readFileSync(path.join(fixtures, `${name}.onnx`));

describe("importOnnxModel", () => {
  it("writes a GPT-2 manifest that the graph language traces and validates against", async () => {
    const { manifest, unresolved } = await importOnnxModel(
      read("gpt2-tiny"),
      "gpt2-tiny",
    );
    expect(unresolved).toEqual([]);
    expect(manifest.model).toMatchObject({
      name: "gpt2-tiny",
      architecture: "GPT2LMHeadModel",
      hash: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
    });
    const block = manifest.modules.find((m) => m.path === "transformer.h.1")!
      .calls[0]!;
    expect(block.tuple).toBe(true);
    expect(block.outputs).toEqual([
      {
        tensor: "/transformer/h.1/Add_1_output_0",
        dtype: "float32",
        shape: ["batch", "seq", 64],
      },
    ]);
    expect(
      manifest.modules
        .find((m) => m.path === "transformer.h.0.ln_1")!
        .params.map((p) => p.name)
        .sort(),
    ).toEqual(["bias", "weight"]);

    const lm = createModel(manifest);
    const graph = lm.trace((tracer) => {
      let hidden: TensorValue | undefined;
      tracer.invoke({ tokens: [[5, 6, 7, 8]] }, () => {
        hidden = lm.layers!["1"]!.output.item(0).get(":", -1, ":");
      });
      tracer.invoke({ tokens: [[9, 10, 11]] }, () => {
        lm.layers!["1"]!.output.item(0).set([":", -1, ":"], hidden!);
        lm.lm_head!.output.save("logits");
      });
    });
    const result = validateGraph(graph, manifest);
    expect(result.ok && [...result.types.values()].at(-1)).toEqual({
      dtype: "float32",
      shape: [1, 3, 466],
    });
  });

  it("imports Llama, taking each module's last computed tensor as its output", async () => {
    const { manifest } = await importOnnxModel(
      read("llama-tiny"),
      "llama-tiny",
    );
    expect(manifest.model.architecture).toBe("LlamaForCausalLM");
    const layer0 = manifest.modules.find((m) => m.path === "model.layers.0")!
      .calls[0]!;
    expect(layer0.outputs).toEqual([
      {
        tensor: "/model/layers.0/Add_1_output_0",
        dtype: "float32",
        shape: ["batch", "seq", 64],
      },
    ]);
    const norm = manifest.modules.find(
      (m) => m.path === "model.layers.0.input_layernorm",
    )!.calls[0]!;
    expect(norm.outputs.map((o) => o.tensor)).toEqual([
      "/model/layers.0/input_layernorm/Mul_1_output_0",
    ]);
    expect(
      manifest.modules.find((m) => m.path === "")!.calls[0]!.outputs,
    ).toEqual([
      {
        tensor: "logits",
        label: "logits",
        dtype: "float32",
        shape: ["batch", "seq", 466],
      },
    ]);
  });
});
