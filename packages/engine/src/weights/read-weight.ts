import fs from "node:fs";
import path from "node:path";
import { dtypeOfOnnx } from "@loupe/graph";
import * as ort from "onnxruntime-node";
import type { RawInitializer } from "../onnx/onnx-bytes.ts";
import { initializerTensor } from "../run/tensors.ts";
import { WeightStoreError } from "./weight-store-error.ts";

/**
 * A weight's values as a tensor (a graph's `param` read): from the model's
 * bytes for a small inline weight, else read from its file in `folder`, only
 * that weight's byte range, into a buffer of its own.
 */
export function readWeight(init: RawInitializer, folder: string): ort.Tensor {
  const ref = init.external;
  if (!ref) return initializerTensor(init);
  const dtype = dtypeOfOnnx(init.dataType);
  if (!dtype)
    throw new WeightStoreError(
      `weight ${init.name} has ONNX element type ${init.dataType}, which Loupe does not read`,
    );
  const buffer = new ArrayBuffer(ref.length);
  const file = path.join(folder, ref.location);
  const fd = fs.openSync(file, "r");
  try {
    const read = fs.readSync(
      fd,
      new Uint8Array(buffer),
      0,
      ref.length,
      ref.offset,
    );
    if (read !== ref.length)
      throw new WeightStoreError(
        `weight ${init.name}: ${file} ends before byte ${ref.offset + ref.length}`,
      );
  } finally {
    fs.closeSync(fd);
  }
  switch (dtype) {
    case "float32":
      return new ort.Tensor("float32", new Float32Array(buffer), init.dims);
    case "float16":
      return new ort.Tensor("float16", new Uint16Array(buffer), init.dims);
    case "int64":
      return new ort.Tensor("int64", new BigInt64Array(buffer), init.dims);
    case "int32":
      return new ort.Tensor("int32", new Int32Array(buffer), init.dims);
    case "bool":
      return new ort.Tensor("bool", new Uint8Array(buffer), init.dims);
  }
}
