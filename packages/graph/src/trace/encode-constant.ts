import type { DType } from "../ir/dtype.ts";
import { fromFloat16Bits, toFloat16Bits } from "../ir/float16.ts";

/** A constant's element type, shape and little-endian bytes in base64. */
export interface EncodedConstant {
  readonly dtype: DType;
  readonly shape: number[];
  readonly data: string;
}

/** Nested arrays of numbers or booleans, as users write tensors. */
export type NestedValues = number | boolean | readonly NestedValues[];

/**
 * Encodes nested numbers as a constant: float32 unless `dtype` says otherwise or
 * every value is an integer (int64) or a boolean (bool). Ragged arrays are rejected.
 */
export function encodeConstant(
  values: NestedValues,
  dtype?: DType,
): EncodedConstant {
  const shape: number[] = [];
  let probe: NestedValues = values;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0] as NestedValues;
  }
  const flat: (number | boolean)[] = [];
  const walk = (v: NestedValues, depth: number) => {
    if (depth === shape.length) {
      if (Array.isArray(v))
        throw new RangeError("ragged array: rows of different depth");
      flat.push(v as number | boolean);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw new RangeError(
        `ragged array: expected ${shape[depth]} elements at depth ${depth}`,
      );
    }
    for (const x of v as readonly NestedValues[]) walk(x, depth + 1);
  };
  walk(values, 0);
  const type: DType =
    dtype ??
    (flat.every((v) => typeof v === "boolean")
      ? "bool"
      : flat.every((v) => Number.isInteger(v))
        ? "int64"
        : "float32");
  return { dtype: type, shape, data: encodeElements(flat.map(Number), type) };
}

/** Little-endian bytes of the elements, base64 (the format's `data` field). */
export function encodeElements(
  values: readonly number[],
  dtype: DType,
): string {
  const width = { float32: 4, float16: 2, int64: 8, int32: 4, bool: 1 }[dtype];
  const view = new DataView(new ArrayBuffer(values.length * width));
  values.forEach((v, i) => {
    const at = i * width;
    if (dtype === "float32") view.setFloat32(at, v, true);
    else if (dtype === "float16") view.setUint16(at, toFloat16Bits(v), true);
    else if (dtype === "int64")
      view.setBigInt64(at, BigInt(Math.trunc(v)), true);
    else if (dtype === "int32") view.setInt32(at, v, true);
    else view.setUint8(at, v ? 1 : 0);
  });
  let binary = "";
  const bytes = new Uint8Array(view.buffer);
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** Decodes a constant's elements back to numbers (for rendering and folding). */
export function decodeElements(data: string, dtype: DType): number[] {
  const binary = atob(data);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  const view = new DataView(bytes.buffer);
  const width = { float32: 4, float16: 2, int64: 8, int32: 4, bool: 1 }[dtype];
  const out: number[] = [];
  for (let at = 0; at + width <= bytes.length; at += width) {
    if (dtype === "float32") out.push(view.getFloat32(at, true));
    else if (dtype === "float16")
      out.push(fromFloat16Bits(view.getUint16(at, true)));
    else if (dtype === "int64") out.push(Number(view.getBigInt64(at, true)));
    else if (dtype === "int32") out.push(view.getInt32(at, true));
    else out.push(view.getUint8(at));
  }
  return out;
}
