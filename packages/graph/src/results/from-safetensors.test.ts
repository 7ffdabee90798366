import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { fromSafetensors } from "./from-safetensors.ts";
import { SafetensorsError } from "./safetensors-error.ts";
import { toSafetensors } from "./to-safetensors.ts";

/** Written by Python's safetensors 0.8.0 (__golden__/make_golden.py). */
const golden = new Uint8Array(
  readFileSync(
    path.join(import.meta.dirname, "__golden__", "golden.safetensors"),
  ),
);

/** A file whose header is `header` (as JSON text), padded, followed by `data`. */
function fileWith(header: string, data: number[] = []): Uint8Array {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe("fromSafetensors", () => {
  it("reads the file Python's safetensors wrote", () => {
    const { tensors, metadata } = fromSafetensors(golden);
    expect(metadata).toEqual({ loupe: 'golden "file"\n\u2713' });
    expect(Object.keys(tensors)).toHaveLength(16);
    const { logits, half, ids, positions, mask } = tensors;
    expect(logits).toMatchObject({ dtype: "float32", shape: [2, 3] });
    expect([...logits!.data]).toEqual([
      NaN,
      -0,
      Infinity,
      -Infinity,
      Math.fround(1e-45),
      Math.fround(3.4e38),
    ]);
    expect(half).toMatchObject({ dtype: "float16", shape: [4] });
    expect([...half!.data]).toEqual([0x3c00, 0xc100, 0x7e00, 0x7bff]);
    expect(ids).toMatchObject({ dtype: "int64", shape: [2, 2] });
    expect([...ids!.data]).toEqual([
      -(2n ** 63n),
      2n ** 63n - 1n,
      2n ** 53n + 1n,
      -1n,
    ]);
    expect(positions).toMatchObject({
      dtype: "int32",
      data: new Int32Array([-(2 ** 31), 0, 2 ** 31 - 1]),
    });
    expect(mask).toMatchObject({
      dtype: "bool",
      shape: [2, 2],
      data: new Uint8Array([1, 0, 0, 1]),
    });
    expect(tensors["scalar.i64"]).toMatchObject({
      shape: [],
      data: new BigInt64Array([7n]),
    });
    expect(tensors["scalar.f16"]).toMatchObject({
      shape: [],
      data: new Uint16Array([0xbc00]),
    });
    expect(tensors["empty.f32"]).toMatchObject({
      shape: [0, 3],
      data: new Float32Array(0),
    });
    expect(tensors["empty.i64"]).toMatchObject({
      shape: [2, 0],
      data: new BigInt64Array(0),
    });
    expect(tensors["x\u{1F600}"]?.data).toEqual(new Float32Array([1]));
    expect(tensors["x\uFB01"]?.data).toEqual(new Float32Array([2]));
  });

  it("writes the golden file back byte for byte", () => {
    const { tensors, metadata } = fromSafetensors(golden);
    expect(
      Buffer.from(toSafetensors(tensors, metadata)).equals(Buffer.from(golden)),
    ).toBe(true);
  });

  it("reads from a buffer at any byte offset into aligned, unaliased arrays", () => {
    const shifted = new Uint8Array(golden.length + 3);
    shifted.set(golden, 3);
    const view = shifted.subarray(3);
    const { tensors } = fromSafetensors(view);
    expect(tensors.ids!.data[3]).toBe(-1n);
    view.fill(0);
    expect(tensors.ids!.data[3]).toBe(-1n);
  });

  const bad: [string, Uint8Array, unknown[]][] = [
    [
      "a file shorter than the length field",
      new Uint8Array(5),
      ["safetensors: 5 bytes is too short for the 8-byte header length"],
    ],
    [
      "a header length past the end",
      fileWith("{}").subarray(0, 9),
      ["safetensors: header length 2 runs past the end of the file (9 bytes)"],
    ],
    [
      "a huge header length",
      new Uint8Array([0, 0, 0, 0, 1, 0, 0, 0, 0x7b, 0x7d]),
      [
        "safetensors: header length 4294967296 is over the 100000000-byte limit",
      ],
    ],
    [
      "a header that is not JSON",
      fileWith("{nope"),
      // The parser's own words vary between Node versions.
      [expect.stringMatching(/^safetensors: header is not UTF-8 JSON \(.+\)$/)],
    ],
    [
      "a header that is not UTF-8",
      fileWith("{}").fill(0xff, 8, 9),
      [expect.stringMatching(/^safetensors: header is not UTF-8 JSON \(.+\)$/)],
    ],
    [
      "a header that is a list",
      fileWith("[]"),
      ["safetensors: header is not a JSON object"],
    ],
    [
      "a dtype Loupe does not read",
      fileWith(
        '{"w":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]}}',
        [0, 0],
      ),
      [
        'tensor "w": dtype "BF16" is not one Loupe reads (F32, F16, I64, I32, BOOL)',
      ],
    ],
    [
      "a bad shape",
      fileWith('{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}'),
      ['tensor "w": shape [-1] is not a list of non-negative integers'],
    ],
    [
      "bad offsets",
      fileWith('{"w":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}'),
      [
        'tensor "w": data_offsets [4,0] is not [begin, end] with 0 <= begin <= end',
      ],
    ],
    [
      "a span that does not fit the shape",
      fileWith(
        '{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}',
        [0, 0, 0, 0],
      ),
      ['tensor "w": shape [2] of F32 needs 8 bytes, data_offsets [0,4] hold 4'],
    ],
    [
      "overlapping tensors",
      fileWith(
        '{"a":{"dtype":"I32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"I32","shape":[1],"data_offsets":[2,6]}}',
        [0, 0, 0, 0, 0, 0],
      ),
      [
        'tensor "b": data starts at byte 2, expected 4 (tensors must cover the data without gaps or overlaps)',
      ],
    ],
    [
      "data the header does not cover",
      fileWith(
        '{"a":{"dtype":"BOOL","shape":[1],"data_offsets":[0,1]}}',
        [1, 0],
      ),
      ["safetensors: tensors cover 1 bytes of data, the file holds 2"],
    ],
    [
      "bad metadata and a bad tensor together",
      fileWith(
        '{"__metadata__":{"n":1},"w":{"dtype":"F64","shape":[],"data_offsets":[0,8]}}',
        [0, 0, 0, 0, 0, 0, 0, 0],
      ),
      [
        'safetensors: __metadata__ "n" is not a string',
        'tensor "w": dtype "F64" is not one Loupe reads (F32, F16, I64, I32, BOOL)',
      ],
    ],
  ];
  it.each(bad)("refuses %s", (_, bytes, issues) => {
    let error: unknown;
    try {
      fromSafetensors(bytes);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SafetensorsError);
    expect(error).toMatchObject({ code: "SAFETENSORS_INVALID_FILE", issues });
  });
});
