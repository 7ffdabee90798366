import * as ort from "onnxruntime-node";
import {
  decodeElements,
  dtypeOfOnnx,
  toFloat16Array,
  type DType,
  type SavedTensor,
} from "@loupe/graph";
import type { RawInitializer } from "../onnx/onnx-bytes.ts";

/** An ONNX Runtime tensor of a Loupe dtype from plain numbers. */
export function ortTensor(
  dtype: DType,
  values: readonly number[],
  dims: readonly number[],
): ort.Tensor {
  switch (dtype) {
    case "float32":
      return new ort.Tensor("float32", Float32Array.from(values), dims);
    case "int64":
      return new ort.Tensor(
        "int64",
        BigInt64Array.from(values, (v) => BigInt(v)),
        dims,
      );
    case "int32":
      return new ort.Tensor("int32", Int32Array.from(values), dims);
    case "bool":
      return new ort.Tensor(
        "bool",
        Uint8Array.from(values, (v) => (v ? 1 : 0)),
        dims,
      );
    case "float16":
      return new ort.Tensor("float16", toFloat16Array(values), dims);
  }
}

/** A graph constant's tensor: its little-endian bytes, decoded once. */
export function constantTensor(
  dtype: DType,
  shape: readonly number[],
  base64: string,
): ort.Tensor {
  if (dtype === "float16") {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    return new ort.Tensor("float16", new Uint16Array(bytes.buffer), shape);
  }
  return ortTensor(dtype, decodeElements(base64, dtype), shape);
}

/** A SavedTensor as an ONNX Runtime tensor (user-supplied `tensor` inputs). */
export function fromSaved(t: SavedTensor): ort.Tensor {
  return new ort.Tensor(t.dtype, t.data, t.shape);
}

/** An ONNX Runtime result as a SavedTensor (typed array, shape, dtype). */
export function toSaved(t: ort.Tensor): SavedTensor {
  const shape = [...t.dims];
  switch (t.type) {
    case "float32":
      return { dtype: "float32", shape, data: t.data as Float32Array };
    case "int64":
      return { dtype: "int64", shape, data: t.data as BigInt64Array };
    case "int32":
      return { dtype: "int32", shape, data: t.data as Int32Array };
    case "bool":
      return { dtype: "bool", shape, data: t.data as Uint8Array };
    case "float16":
      return { dtype: "float16", shape, data: t.data as Uint16Array };
    default:
      throw new Error(
        `a saved value has type ${t.type}, which Loupe does not return`,
      );
  }
}

/** A weight's tensor, from its encoded TensorProto (raw_data or typed fields). */
export function initializerTensor(init: RawInitializer): ort.Tensor {
  const dtype = dtypeOfOnnx(init.dataType);
  if (!dtype)
    throw new Error(
      `weight ${init.name} has ONNX element type ${init.dataType}, which Loupe does not read`,
    );
  const raw = rawDataOf(init.bytes);
  const count = init.dims.reduce((a, b) => a * b, 1);
  const copy = (width: number) => {
    const buf = new ArrayBuffer(count * width);
    new Uint8Array(buf).set(raw.subarray(0, count * width));
    return buf;
  };
  switch (dtype) {
    case "float32":
      return new ort.Tensor("float32", new Float32Array(copy(4)), init.dims);
    case "int64":
      return new ort.Tensor("int64", new BigInt64Array(copy(8)), init.dims);
    case "int32":
      return new ort.Tensor("int32", new Int32Array(copy(4)), init.dims);
    case "bool":
      return new ort.Tensor("bool", new Uint8Array(copy(1)), init.dims);
    case "float16":
      return new ort.Tensor("float16", new Uint16Array(copy(2)), init.dims);
  }
}

/** The raw_data field (9) of an encoded TensorProto; float_data (4) is re-packed. */
function rawDataOf(bytes: Uint8Array): Uint8Array {
  let pos = 0;
  const varint = () => {
    let v = 0;
    let shift = 0;
    for (;;) {
      const x = bytes[pos++]!;
      v += (x & 0x7f) * 2 ** shift;
      shift += 7;
      if (x < 0x80) return v;
    }
  };
  while (pos < bytes.length) {
    const tag = varint();
    const wire = tag & 7;
    const field = tag >>> 3;
    if (wire === 2) {
      const len = varint();
      if (field === 9 || field === 4) return bytes.subarray(pos, pos + len);
      pos += len;
    } else if (wire === 0) varint();
    else if (wire === 5) pos += 4;
    else if (wire === 1) pos += 8;
    else break;
  }
  throw new Error(
    "weight without raw data (only raw_data and packed float_data are read)",
  );
}

/** A 2-D tensor transposed (a weight the file holds as `[in, out]`, read as PyTorch's `[out, in]`). */
export function transpose2d(t: ort.Tensor): ort.Tensor {
  if (t.dims.length !== 2)
    throw new Error(
      `transpose2d: expected a 2-D tensor, got [${t.dims.join(", ")}]`,
    );
  const [rows, cols] = t.dims as [number, number];
  type Elements = { length: number; [i: number]: number | bigint };
  const src = t.data as unknown as Elements;
  // The same typed array kind (float32, float16's Uint16Array, ...), element for element.
  const out = new (src.constructor as new (n: number) => Elements)(src.length);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c]!;
  return new ort.Tensor(t.type, out as unknown as Float32Array, [cols, rows]);
}
