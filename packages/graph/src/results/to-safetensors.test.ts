import { describe, expect, it } from "vitest";
import { fromSafetensors } from "./from-safetensors.ts";
import type { SavedTensor } from "./saved-tensor.ts";
import { SafetensorsError } from "./safetensors-error.ts";
import { toSafetensors } from "./to-safetensors.ts";

const every: Record<string, SavedTensor> = {
  f32: {
    dtype: "float32",
    shape: [2, 3],
    data: new Float32Array([NaN, -0, Infinity, -Infinity, 1e-45, 3.4e38]),
  },
  f16: {
    dtype: "float16",
    shape: [2],
    data: new Uint16Array([0x3c00, 0x7e00]),
  },
  i64: {
    dtype: "int64",
    shape: [3],
    data: new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, 2n ** 53n + 1n]),
  },
  i32: { dtype: "int32", shape: [1, 2], data: new Int32Array([-(2 ** 31), 7]) },
  bool: { dtype: "bool", shape: [3], data: new Uint8Array([1, 0, 1]) },
  "scalar.f32": { dtype: "float32", shape: [], data: new Float32Array([0.25]) },
  "scalar.f16": {
    dtype: "float16",
    shape: [],
    data: new Uint16Array([0xbc00]),
  },
  "scalar.i64": { dtype: "int64", shape: [], data: new BigInt64Array([-1n]) },
  "scalar.i32": { dtype: "int32", shape: [], data: new Int32Array([3]) },
  "scalar.bool": { dtype: "bool", shape: [], data: new Uint8Array([0]) },
  "empty.f32": { dtype: "float32", shape: [0, 4], data: new Float32Array(0) },
  "empty.f16": { dtype: "float16", shape: [4, 0], data: new Uint16Array(0) },
  "empty.i64": { dtype: "int64", shape: [0], data: new BigInt64Array(0) },
  "empty.i32": { dtype: "int32", shape: [1, 0, 2], data: new Int32Array(0) },
  "empty.bool": { dtype: "bool", shape: [0], data: new Uint8Array(0) },
};

function headerOf(bytes: Uint8Array): string {
  const length = Number(
    new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true),
  );
  return new TextDecoder().decode(bytes.subarray(8, 8 + length));
}

describe("toSafetensors", () => {
  it("round-trips every dtype, scalars and zero-size tensors, bit for bit", () => {
    const bytes = toSafetensors(every, { run: "r1", "": "empty key" });
    const back = fromSafetensors(bytes);
    expect(back.metadata).toEqual({ run: "r1", "": "empty key" });
    expect(Object.keys(back.tensors).sort()).toEqual(Object.keys(every).sort());
    for (const [name, tensor] of Object.entries(every)) {
      const read = back.tensors[name]!;
      expect(read.dtype, name).toBe(tensor.dtype);
      expect(read.shape, name).toEqual(tensor.shape);
      expect(read.data.constructor, name).toBe(tensor.data.constructor);
      // Compared as bytes: NaN and -0 must survive, and toEqual treats them loosely.
      expect(
        new Uint8Array(
          read.data.buffer,
          read.data.byteOffset,
          read.data.byteLength,
        ),
        name,
      ).toEqual(
        new Uint8Array(
          tensor.data.buffer,
          tensor.data.byteOffset,
          tensor.data.byteLength,
        ),
      );
    }
  });

  it("lays out the header and data as the reference writer does", () => {
    const bytes = toSafetensors({
      b: { dtype: "bool", shape: [1], data: new Uint8Array([1]) },
      a: { dtype: "float16", shape: [1], data: new Uint16Array([0x3c00]) },
      z: { dtype: "int64", shape: [1], data: new BigInt64Array([5n]) },
      "10": { dtype: "float32", shape: [1], data: new Float32Array([1]) },
      "9": { dtype: "float32", shape: [1], data: new Float32Array([2]) },
    });
    const header = headerOf(bytes);
    expect((8 + header.length) % 8).toBe(0);
    expect(header.trimEnd()).toBe(
      '{"z":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},' +
        '"10":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},' +
        '"9":{"dtype":"F32","shape":[1],"data_offsets":[12,16]},' +
        '"a":{"dtype":"F16","shape":[1],"data_offsets":[16,18]},' +
        '"b":{"dtype":"BOOL","shape":[1],"data_offsets":[18,19]}}',
    );
    expect(bytes.length).toBe(8 + header.length + 19);
  });

  it("writes no tensors as an empty header padded to 8 bytes", () => {
    expect([...toSafetensors({})]).toEqual([
      8,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      ...new TextEncoder().encode("{}      "),
    ]);
  });

  it("copies only the array's own view of a shared buffer", () => {
    const shared = new Float32Array([9, 1, 2, 9]);
    const bytes = toSafetensors({
      t: { dtype: "float32", shape: [2], data: shared.subarray(1, 3) },
    });
    expect([...fromSafetensors(bytes).tensors.t!.data]).toEqual([1, 2]);
  });

  const bad: [string, Record<string, unknown>, unknown, string[]][] = [
    [
      "an empty name",
      { "": { dtype: "int32", shape: [1], data: new Int32Array(1) } },
      undefined,
      ["a tensor has an empty name"],
    ],
    [
      "the reserved name",
      { __metadata__: { dtype: "int32", shape: [1], data: new Int32Array(1) } },
      undefined,
      [
        '"__metadata__" is reserved for the metadata; name the tensor otherwise',
      ],
    ],
    [
      "an unknown dtype",
      { h: { dtype: "bfloat16", shape: [1], data: new Uint16Array(1) } },
      undefined,
      [
        'tensor "h": dtype "bfloat16" is not one of int64, float32, int32, float16, bool',
      ],
    ],
    [
      "an array of the wrong class",
      { h: { dtype: "float32", shape: [2], data: new Float64Array(2) } },
      undefined,
      ['tensor "h": dtype float32 needs a Float32Array, got Float64Array'],
    ],
    [
      "a plain list as data",
      { h: { dtype: "int32", shape: [2], data: [1, 2] } },
      undefined,
      ['tensor "h": dtype int32 needs an Int32Array, got an array'],
    ],
    [
      "a shape that does not match the data",
      { h: { dtype: "float32", shape: [2, 3], data: new Float32Array(5) } },
      undefined,
      ['tensor "h": shape [2,3] has 6 elements, data has 5'],
    ],
    [
      "a scalar with no element",
      { s: { dtype: "int64", shape: [], data: new BigInt64Array(0) } },
      undefined,
      ['tensor "s": shape [] has 1 elements, data has 0'],
    ],
    [
      "a negative or fractional dimension",
      { h: { dtype: "float32", shape: [-1, 1.5], data: new Float32Array(1) } },
      undefined,
      [
        'tensor "h": shape must be a list of non-negative integers, got [-1,1.5]',
      ],
    ],
    [
      "a bool that is not 0 or 1",
      { m: { dtype: "bool", shape: [3], data: new Uint8Array([0, 1, 2]) } },
      undefined,
      ['tensor "m": bool element 2 is 2, expected 0 or 1'],
    ],
    [
      "a metadata value that is not a string",
      {},
      { step: 3 },
      ['metadata "step": expected a string, got number'],
    ],
    [
      "several problems at once",
      {
        a: { dtype: "float32", shape: [2], data: new Float32Array(1) },
        b: { dtype: "int32", shape: [1], data: new Float32Array(1) },
      },
      undefined,
      [
        'tensor "a": shape [2] has 2 elements, data has 1',
        'tensor "b": dtype int32 needs an Int32Array, got Float32Array',
      ],
    ],
  ];
  it.each(bad)("refuses %s", (_, tensors, metadata, issues) => {
    let error: unknown;
    try {
      toSafetensors(
        tensors as Record<string, SavedTensor>,
        metadata as Record<string, string>,
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SafetensorsError);
    expect(error).toMatchObject({
      name: "SafetensorsError",
      code: "SAFETENSORS_INVALID_INPUT",
      issues,
    });
  });
});
