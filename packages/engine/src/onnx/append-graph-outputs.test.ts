import fs from "node:fs";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { expect, it } from "vitest";
import { appendGraphOutputs } from "./append-graph-outputs.ts";

// ONNX Runtime (C++ protobuf, which merges repeated message fields as the
// protobuf spec says) is the consumer of appended outputs, so it is the judge.
it("adds graph outputs that ONNX Runtime computes, leaving the model's own results unchanged", async () => {
  const bytes = fs.readFileSync(
    path.resolve(
      import.meta.dirname,
      "..",
      "..",
      "fixtures",
      "llama-tiny.onnx",
    ),
  );
  const extra = [
    "/model/norm/Mul_1_output_0",
    "/model/layers.0/Add_1_output_0",
  ];
  const plain = await ort.InferenceSession.create(bytes);
  const hooked = await ort.InferenceSession.create(
    appendGraphOutputs(bytes, extra),
  );
  expect(hooked.outputNames).toEqual(["logits", ...extra]);
  const ids = BigInt64Array.from([5n, 9n, 12n, 40n]);
  const feeds = {
    input_ids: new ort.Tensor("int64", ids, [1, 4]),
    attention_mask: new ort.Tensor(
      "int64",
      BigInt64Array.from([1n, 1n, 1n, 1n]),
      [1, 4],
    ),
    position_ids: new ort.Tensor(
      "int64",
      BigInt64Array.from([0n, 1n, 2n, 3n]),
      [1, 4],
    ),
  };
  const [a, b] = [await plain.run(feeds), await hooked.run(feeds)];
  expect(Array.from(b.logits!.data as Float32Array)).toEqual(
    Array.from(a.logits!.data as Float32Array),
  );
  expect(b["/model/layers.0/Add_1_output_0"]!.dims).toEqual([1, 4, 64]);
  expect(appendGraphOutputs(bytes, [])).toBe(bytes);
  await Promise.all([plain.release(), hooked.release()]);
});
