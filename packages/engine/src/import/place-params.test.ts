import fs from "node:fs";
import path from "node:path";
import { createModel, type Envoy, type Manifest } from "@loupe/graph";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importOnnxModel } from "./import-onnx-model.ts";
import { LoupeEngine } from "../engine.ts";
import {
  loadFixture,
  maxAbsDiff,
  type LoadedFixture,
} from "../testing/fixture-engines.ts";

/**
 * Every parameter reachable from its module, in PyTorch's orientation
 * (issue 20, finding 2). TorchScript folds `x @ weight.T` into a MatMul by a
 * transposed copy under a generated name (`onnx::MatMul_683`), which used to
 * land on the model itself, leaving `lm_head.param("weight")` with "it has:
 * none"; it stores equal initial values once (Identity nodes name the rest).
 */
const fixtures = path.resolve(import.meta.dirname, "..", "..", "fixtures");
const MINILM = path.resolve(
  import.meta.dirname,
  "..",
  "..",
  "..",
  "..",
  "models",
  "minilm",
);
const manifestOf = async (file: string) =>
  importOnnxModel(fs.readFileSync(path.join(fixtures, file)), "m");
const paramsOf = (m: Manifest, module: string) =>
  m.modules.find((x) => x.path === module)!.params;
const LINEAR =
  /^model\.layers\.\d+\.(self_attn\.(q|k|v|o)_proj|mlp\.(gate|up|down)_proj)$|^lm_head$/;

describe("where parameters are placed", () => {
  it("gpt2-tiny: lm_head's weight is [vocab, hidden], read transposed from the file; the model itself has none; ln_f's deduplicated weights are its own", async () => {
    const { manifest, unplacedParams } = await manifestOf("gpt2-tiny.onnx");
    expect(unplacedParams).toEqual([]);
    expect(paramsOf(manifest, "lm_head")).toEqual([
      {
        name: "weight",
        tensor: "onnx::MatMul_683",
        dtype: "float32",
        shape: [466, 64],
        transpose: true,
      },
    ]);
    expect(paramsOf(manifest, "")).toEqual([]);
    expect(
      paramsOf(manifest, "transformer.ln_f")
        .map((p) => p.name)
        .sort(),
    ).toEqual(["bias", "weight"]);
  });

  it("llama-tiny: every Linear has its weight as [out, in]", async () => {
    const { manifest, unplacedParams } = await manifestOf("llama-tiny.onnx");
    expect(unplacedParams).toEqual([]);
    const linears = manifest.modules.filter((m) => LINEAR.test(m.path));
    expect(linears).toHaveLength(15);
    for (const m of linears) {
      const weight = m.params.find((p) => p.name === "weight");
      expect(weight, m.path).toBeDefined();
      const out = m.calls[0]!.outputs[0]!.shape.at(-1);
      const input = m.calls[0]!.inputs[0]!.shape.at(-1);
      expect(weight!.shape, m.path).toEqual([out, input]);
    }
  });

  it("the dynamo export: the tied table is both lm_head's and wte's weight; nothing is left unplaced", async () => {
    const { manifest, unplacedParams } = await manifestOf(
      "dynamo/gpt2-tiny-dynamo.onnx",
    );
    expect(unplacedParams).toEqual([]);
    expect(paramsOf(manifest, "transformer.wte")[0]).toMatchObject({
      name: "weight",
      tensor: "lm_head.weight",
      shape: [466, 64],
    });
  });
});

describe("float16 weights widened by a Cast (models/minilm)", () => {
  // all-MiniLM-L6-v2 stores each weight as float16 ("<name>::float16") and
  // a Cast(to=FLOAT) gives it back under the exported name, so the file is
  // half the size; the parameter is the stored weight, as shipped.
  let bytes: Uint8Array;
  let manifest: Manifest;
  let unplaced: readonly unknown[];
  beforeAll(async () => {
    bytes = new Uint8Array(fs.readFileSync(path.join(MINILM, "model.onnx")));
    const imported = await importOnnxModel(bytes, "minilm");
    manifest = imported.manifest;
    unplaced = imported.unplacedParams;
  });

  it("places every weight on its module, as float16, Linear weights transposed", () => {
    expect(unplaced).toEqual([]);
    expect(paramsOf(manifest, "")).toEqual([]);
    expect(paramsOf(manifest, "encoder.layer.0.attention.self.query")).toEqual([
      {
        name: "bias",
        tensor: "encoder.layer.0.attention.self.query.bias::float16",
        dtype: "float16",
        shape: [384],
      },
      {
        name: "weight",
        tensor: "onnx::MatMul_843::float16",
        dtype: "float16",
        shape: [384, 384],
        transpose: true,
      },
    ]);
    expect(paramsOf(manifest, "embeddings.word_embeddings")).toEqual([
      {
        name: "weight",
        tensor: "embeddings.word_embeddings.weight::float16",
        dtype: "float16",
        shape: [30522, 384],
      },
    ]);
    const placed = manifest.modules.flatMap((m) => m.params);
    expect(placed).toHaveLength(101);
    expect(placed.every((p) => p.dtype === "float16")).toBe(true);
  });

  it("reads a weight as shipped: query's output is its input times weight.T plus bias", async () => {
    const engine = await LoupeEngine.load(bytes, manifest);
    try {
      const model = createModel<Envoy>(manifest);
      const query = (model as unknown as Envoy).encoder!.layer![0]!.attention!
        .self!.query!;
      // Ids below 384: the run must not depend on how the vocabulary is read.
      const { saves } = await engine.run(
        model.trace({ tokens: [[101, 200, 300, 102]] }, () => {
          query.param("weight").save("weight");
          query.input
            .matmul(query.param("weight").cast("float32").transpose(0, 1))
            .add(query.param("bias").cast("float32"))
            .save("recomputed");
          query.output.save("output");
        }),
      );
      expect(saves.weight!.dtype).toBe("float16");
      expect(saves.weight!.shape).toEqual([384, 384]);
      expect(
        maxAbsDiff(
          saves.recomputed!.data as Float32Array,
          saves.output!.data as Float32Array,
        ),
      ).toBeLessThan(1e-5);
    } finally {
      await engine.close();
    }
  });
});

describe("reading them", () => {
  let gpt2: LoadedFixture;
  let llama: LoadedFixture;
  beforeAll(async () => {
    gpt2 = await loadFixture("gpt2-tiny");
    llama = await loadFixture("llama-tiny");
  });
  afterAll(async () => {
    await gpt2.engine.close();
    await llama.engine.close();
  });

  it("gpt2-tiny: lm_head.weight equals the tied wte.weight, value for value", async () => {
    const lm = gpt2.lm as unknown as Envoy;
    const { saves } = await gpt2.engine.run(
      gpt2.lm.trace("Hello", () => {
        lm.lm_head!.param("weight").save("head");
        lm.transformer!.wte!.param("weight").save("table");
      }),
    );
    expect(saves.head!.shape).toEqual([466, 64]);
    expect([...(saves.head!.data as Float32Array)]).toEqual([
      ...(saves.table!.data as Float32Array),
    ]);
  });

  it("llama-tiny: a Linear's output is its input times its weight transposed, as in PyTorch", async () => {
    const lm = llama.lm as unknown as Envoy;
    const { saves } = await llama.engine.run(
      llama.lm.trace("Hello World", () => {
        const gate = lm.model!.layers![1]!.mlp!.gate_proj!;
        gate.input
          .matmul(gate.param("weight").transpose(0, 1))
          .save("recomputed");
        gate.output.save("output");
      }),
    );
    expect(
      maxAbsDiff(
        saves.recomputed!.data as Float32Array,
        saves.output!.data as Float32Array,
      ),
    ).toBeLessThan(1e-5);
  });
});
