import fs from "node:fs";
import path from "node:path";
import {
  createModel,
  validateGraph,
  type Manifest,
  type TensorValue,
} from "@loupe/graph";
import * as ort from "onnxruntime-node";
import { beforeAll, describe, expect, it } from "vitest";
import { appendGraphOutputs } from "../onnx/append-graph-outputs.ts";
import { importOnnxModel, type ImportedModel } from "./import-onnx-model.ts";

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

describe("importOnnxModel on a dynamo export (torch.onnx.export(dynamo=True))", () => {
  // The same model as gpt2-tiny.onnx (build_fixtures.make_gpt2, seed 0), exported by
  // fixtures/dynamo/build_dynamo.py, which recorded PyTorch's values in reference.json.
  const bytes = fs.readFileSync(
    path.join(fixtures, "dynamo", "gpt2-tiny-dynamo.onnx"),
  );
  const reference = JSON.parse(
    fs.readFileSync(path.join(fixtures, "dynamo", "reference.json"), "utf8"),
  ) as {
    prompt: { input_ids: number[] };
    logits: Recorded;
    hooks: Record<"mlp" | "block", Recorded & { module: string }>;
  };
  interface Recorded {
    shape: number[];
    values: number[];
  }
  let dynamo: ImportedModel;
  let torchScript: Manifest;
  beforeAll(async () => {
    dynamo = await importOnnxModel(bytes, "gpt2-tiny-dynamo");
    torchScript = (await importOnnxModel(read("gpt2-tiny"), "gpt2-tiny"))
      .manifest;
  });
  const paths = (m: Manifest) => m.modules.map((x) => x.path);

  it("finds the TorchScript export's modules, plus the dropouts TorchScript folds away", () => {
    const { manifest, unresolved } = dynamo;
    expect(unresolved).toEqual([]);
    expect(manifest.model.architecture).toBe("GPT2LMHeadModel");
    expect(paths(manifest)).toEqual(
      expect.arrayContaining([
        "transformer.h.0.mlp",
        "transformer.h.1",
        "transformer.ln_f",
        "lm_head",
      ]),
    );
    const ts = new Set(paths(torchScript));
    expect(
      paths(torchScript).filter((p) => !paths(manifest).includes(p)),
    ).toEqual([]);
    // In eval mode a dropout is an Identity node ("clone") in the dynamo export
    // and nothing at all in the TorchScript one.
    expect(
      paths(manifest)
        .filter((p) => !ts.has(p))
        .sort(),
    ).toEqual([
      "transformer.drop",
      "transformer.h.0.attn.attn_dropout",
      "transformer.h.0.attn.resid_dropout",
      "transformer.h.0.mlp.dropout",
      "transformer.h.1.attn.attn_dropout",
      "transformer.h.1.attn.resid_dropout",
      "transformer.h.1.mlp.dropout",
    ]);
    const block = manifest.modules.find((m) => m.path === "transformer.h.1")!
      .calls[0]!;
    expect(block.tuple).toBe(true);
    expect(block.outputs).toEqual([
      { tensor: "add_497", dtype: "float32", shape: ["batch", "seq", 64] },
    ]);
    expect(manifest.aliases).toEqual(torchScript.aliases);
    // The symbolic batch and sequence sizes torch.export computes once are no module input.
    const inputs = (m: Manifest, module: string) =>
      m.modules
        .find((x) => x.path === module)!
        .calls[0]!.inputs.map((i) => i.tensor);
    expect(inputs(manifest, "transformer")).toEqual(
      inputs(torchScript, "transformer"),
    );
    expect(inputs(manifest, "transformer.h.0.mlp")).toEqual(["layer_norm_1"]);
    expect(
      manifest.modules
        .find((m) => m.path === "transformer")!
        .params.map((p) => p.name),
    ).toEqual([]);
  });

  it("names as module outputs the tensors that hold PyTorch's hooked values", async () => {
    const outputOf = (module: string) =>
      dynamo.manifest.modules.find((m) => m.path === module)!.calls[0]!
        .outputs[0]!.tensor;
    const hooked = {
      mlp: outputOf(reference.hooks.mlp.module),
      block: outputOf(reference.hooks.block.module),
    };
    const session = await ort.InferenceSession.create(
      appendGraphOutputs(bytes, Object.values(hooked)),
    );
    try {
      const ids = reference.prompt.input_ids;
      const tensor = (values: number[]) =>
        new ort.Tensor("int64", BigInt64Array.from(values, BigInt), [
          1,
          values.length,
        ]);
      const out = await session.run({
        input_ids: tensor(ids),
        attention_mask: tensor(ids.map(() => 1)),
        position_ids: tensor(ids.map((_, i) => i)),
      });
      const maxDiff = (name: string, expected: Recorded) => {
        const got = out[name]!;
        expect(got.dims, name).toEqual(expected.shape);
        const data = got.data as Float32Array;
        return Math.max(
          ...expected.values.map((v, i) => Math.abs(data[i]! - v)),
        );
      };
      expect(maxDiff(hooked.mlp, reference.hooks.mlp)).toBeLessThan(1e-4);
      expect(maxDiff(hooked.block, reference.hooks.block)).toBeLessThan(1e-4);
      expect(maxDiff("logits", reference.logits)).toBeLessThan(1e-4);
    } finally {
      await session.release();
    }
  });

  it("traces and validates the graph language against the dynamo manifest", () => {
    const lm = createModel(dynamo.manifest);
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
    const result = validateGraph(graph, dynamo.manifest);
    expect(result.ok && [...result.types.values()].at(-1)).toEqual({
      dtype: "float32",
      shape: [1, 3, 466],
    });
  });
});
