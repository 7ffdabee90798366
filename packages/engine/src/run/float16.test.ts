import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  constant,
  createModel,
  fromFloat16Array,
  loadTokenizer,
  type Envoy,
  type Graph,
  type Manifest,
  type Model,
  type SavedTensor,
} from "@loupe/graph";
import { LoupeEngine } from "../engine.ts";
import { importOnnxModel } from "../import/import-onnx-model.ts";
import { FIXTURES } from "../testing/fixture-engines.ts";

/**
 * Parity of a float16 model with PyTorch: gpt2-tiny converted to float16
 * weights and compute (fixtures/build_fp16.py), against PyTorch in float32 on
 * the same float16-rounded weights (fixtures/parity-fp16.json), for every case
 * of the float32 parity test. The engine computes in float16, so each tensor
 * may differ by float16's rounding: max|a - b| <= 1e-2 * max|reference|.
 */
const RELATIVE_TOLERANCE = 1e-2;

interface ParityFile {
  prompts: Record<"A" | "B" | "C", { text: string }>;
  models: Record<
    string,
    {
      cases: Record<
        string,
        { saves: Record<string, { shape: number[]; values: number[] }> }
      >;
    }
  >;
}
const parity = JSON.parse(
  readFileSync(path.join(FIXTURES, "parity-fp16.json"), "utf8"),
) as ParityFile;
const cases = parity.models["gpt2-tiny-fp16"]!.cases;
const { A, B, C } = parity.prompts;

/** The values of a saved float tensor, float16 widened. */
function valuesOf(t: SavedTensor): Float32Array {
  if (t.dtype === "float16") return fromFloat16Array(t.data);
  if (t.dtype === "float32") return t.data;
  throw new Error(`expected a float tensor, got ${t.dtype}`);
}

/** max|got - want| / max|want|. */
function relativeError(
  got: ArrayLike<number>,
  want: readonly number[],
): number {
  expect(got.length).toBe(want.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  return Number.isNaN(diff) ? Infinity : diff / scale;
}

describe("a float16 model (gpt2-tiny-fp16) against PyTorch", () => {
  let engine: LoupeEngine;
  let manifest: Manifest;
  let lm: Model<Envoy & Record<string, Envoy>>;
  const mod = (dotted: string) =>
    dotted.split(".").reduce<Envoy>((m, part) => m[part]!, lm);
  const h = (i: number) => mod(`transformer.h.${i}`);

  beforeAll(async () => {
    const bytes = new Uint8Array(
      readFileSync(path.join(FIXTURES, "gpt2-tiny-fp16.onnx")),
    );
    ({ manifest } = await importOnnxModel(bytes, "gpt2-tiny-fp16"));
    const tokenizer = loadTokenizer(
      JSON.parse(readFileSync(path.join(FIXTURES, "tokenizer.json"), "utf8")),
    );
    engine = await LoupeEngine.load(bytes, manifest, tokenizer);
    lm = createModel<Envoy & Record<string, Envoy>>(manifest);
  });
  afterAll(async () => {
    await engine.close();
  });

  it("imports with float16 weights and float16 module outputs", () => {
    const block = manifest.modules.find((m) => m.path === "transformer.h.0")!;
    expect(block.calls[0]!.outputs[0]!.dtype).toBe("float16");
    const root = manifest.modules.find((m) => m.path === "")!;
    expect(root.calls[0]!.outputs[0]).toMatchObject({
      label: "logits",
      dtype: "float16",
    });
    const wte = manifest.modules.find((m) => m.path === "transformer.wte")!;
    expect(wte.params[0]).toMatchObject({ name: "weight", dtype: "float16" });
  });

  it("generates greedily from float16 logits: the first token is the reference's argmax", async () => {
    const want = cases.plain!.saves.logits!;
    const [, seq, vocab] = want.shape as [number, number, number];
    const last = want.values.slice((seq - 1) * vocab, seq * vocab);
    const argmax = last.indexOf(Math.max(...last));
    const { generated } = await engine.run(
      lm.generate(A.text, { maxNewTokens: 1 }, () => {}),
    );
    expect(generated[0]!.ids).toEqual([argmax]);
  });

  it("refuses gradients by name, before anything compiles", async () => {
    const graph = lm.trace(B.text, () => {
      h(0).output[0]!.grad.save("grad");
      const last = lm.output.item("logits").get(0, -1, ":");
      last.get(3).sub(last.get(5)).backward();
    });
    const compiled = engine.metrics.segmentsCompiled;
    await expect(engine.run(graph)).rejects.toMatchObject({
      name: "GraphValidationError",
      message: expect.stringContaining(
        'gradients on float16 model gpt2-tiny-fp16 are not supported: the backward pass differentiates float32 models only (weight "transformer.wte.weight" is float16)',
      ) as unknown,
    });
    expect(engine.metrics.segmentsCompiled).toBe(compiled);
  });

  const logits = () => lm.output.item("logits").save("logits");
  const graphs: Record<string, () => Graph> = {
    plain: () => lm.trace(A.text, logits),
    saved_outputs: () =>
      lm.trace(A.text, () => {
        mod("transformer.h.0.mlp").output.save("mlp0");
        h(1).output[0]!.save("block1");
      }),
    set_neurons: () =>
      lm.trace(B.text, () => {
        mod("transformer.h.1.mlp.c_proj").input.set([":", ":", [3, 17, 40]], 5);
        logits();
      }),
    patching: () =>
      lm.trace((tracer) => {
        let hidden: ReturnType<Envoy["output"]["get"]> | undefined;
        tracer.invoke(A.text, () => {
          hidden = h(0).output[0]!.get(":", 3, ":");
        });
        tracer.invoke(B.text, () => {
          h(0).output[0]!.set([":", 1, ":"], hidden!);
          logits();
        });
      }),
    zero_ablation: () =>
      lm.trace(A.text, () => {
        mod("transformer.h.1.mlp").output.set(0);
        logits();
      }),
    // A float32 constant added to a float16 hook, written back as float16.
    steering: () =>
      lm.trace(B.text, () => {
        const v = Array.from({ length: 64 }, (_, j) =>
          Math.fround(0.5 * Math.sin(j)),
        );
        const hidden = h(0).output[0]!;
        hidden.set(hidden.add(constant(v, "float32")));
        logits();
      }),
    logit_lens: () =>
      lm.trace(A.text, () => {
        for (const i of [0, 1]) {
          const last = h(i).output[0]!.get(":", -1, ":");
          mod("lm_head")
            .call(mod("transformer.ln_f").call(last))
            .save(`layer${i}`);
        }
      }),
    skip: () =>
      lm.trace(A.text, () => {
        h(1).skip(h(1).input);
        logits();
      }),
    session: () =>
      lm.session(() => {
        let hidden: ReturnType<Envoy["output"]["get"]> | undefined;
        lm.trace(A.text, () => {
          hidden = h(1).output[0]!.get(":", -1, ":");
        });
        lm.trace(C.text, () => {
          h(1).output[0]!.set([":", -1, ":"], hidden!);
          logits();
        });
      }),
  };

  it.each(Object.keys(cases))(
    "%s is within 1e-2 of PyTorch's largest value",
    async (caseName) => {
      const build = graphs[caseName];
      expect(build, `no graph for case ${caseName}`).toBeDefined();
      const { saves } = await engine.run(build!());
      const expected = cases[caseName]!.saves;
      expect(Object.keys(saves).sort()).toEqual(Object.keys(expected).sort());
      for (const [key, want] of Object.entries(expected)) {
        const got = saves[key]!;
        expect(got.shape, key).toEqual(want.shape);
        expect(got.dtype, key).toBe("float16");
        const error = relativeError(valuesOf(got), want.values);
        console.info(`float16 ${caseName}/${key}: ${error.toExponential(2)}`);
        expect(error, key).toBeLessThanOrEqual(RELATIVE_TOLERANCE);
      }
    },
  );
});
