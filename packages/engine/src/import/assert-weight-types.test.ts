import { readFileSync } from "node:fs";
import path from "node:path";
import { OnnxElementType } from "@loupe/graph";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { assertWeightTypes } from "./assert-weight-types.ts";
import { importOnnxModel } from "./import-onnx-model.ts";

const fixtures = path.resolve(import.meta.dirname, "..", "..", "fixtures");
const { FLOAT, FLOAT16, BFLOAT16, INT64, INT32, BOOL } = OnnxElementType;

describe("bfloat16 weights", () => {
  // fixtures/bf16-weight.onnx (build_fp16.py): y = x @ float(w), w bfloat16.
  const bytes = new Uint8Array(
    readFileSync(path.join(fixtures, "bf16-weight.onnx")),
  );

  it("make a model ONNX Runtime itself runs", async () => {
    const session = await ort.InferenceSession.create(bytes);
    const x = new ort.Tensor("float32", Float32Array.of(1, 2, 3, 4), [1, 4]);
    const { y } = await session.run({ x });
    expect([...(y!.data as Float32Array)]).toEqual([1, 2, 3, 4]);
    await session.release();
  });

  it("are refused at import, naming the weight and the type", async () => {
    const error: unknown = await importOnnxModel(bytes, "bf16").catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({
      name: "UnsupportedTensorError",
      code: "UNSUPPORTED_TENSOR",
      message:
        'weight "proj.weight" has ONNX element type 16 (bfloat16), which Loupe does not run: export the model in float32 or float16 (model.float() or model.half() before torch.onnx.export)',
    });
  });

  it("are named, three at most, with a count of the rest", () => {
    const weight = (name: string, dataType: number) => ({ name, dataType });
    expect(() =>
      assertWeightTypes({
        initializers: [
          weight("a", FLOAT),
          weight("b", BFLOAT16),
          weight("c", FLOAT16),
          weight("d", BFLOAT16),
          weight("e", BFLOAT16),
          weight("f", BFLOAT16),
          weight("g", BFLOAT16),
        ],
      }),
    ).toThrow(
      /^weights "b", "d", "e" and 2 more have ONNX element type 16 \(bfloat16\), which Loupe does not run/,
    );
  });

  it("leave float32, float16 and integer weights alone", () => {
    expect(() =>
      assertWeightTypes({
        initializers: [FLOAT, FLOAT16, INT64, INT32, BOOL].map((t) => ({
          name: `w${t}`,
          dataType: t,
        })),
      }),
    ).not.toThrow();
  });
});
