// Written here rather than taken from npm: the one package named `safetensors`
// there (0.0.1, a single release of 4 kB, no repository) is not maintained, and
// @huggingface/hub only parses headers of files on the Hub. The format is small
// (an 8-byte length, a JSON header, raw little-endian bytes) and is checked
// against Python's `safetensors` by the golden file in __golden__/.
import type { DType } from "../ir/dtype.ts";
import type { SavedTensor } from "./saved-tensor.ts";
import { SafetensorsError } from "./safetensors-error.ts";
import {
  compareCodePoints,
  countElements,
  HOST_IS_LITTLE_ENDIAN,
  SAFETENSORS_DTYPES,
} from "./safetensors-dtypes.ts";

/**
 * Serializes tensors to the safetensors format, byte for byte as Python's
 * `safetensors` (0.8) writes them: an 8-byte little-endian header length, a
 * compact JSON header padded with spaces to a multiple of 8 bytes, then the
 * data. Tensors are laid out as the reference writer lays them out, widest
 * dtype first (I64, F32, I32, F16, BOOL), then by name, so each tensor starts at
 * a multiple of its element size. `__metadata__` keys are written sorted (Python
 * writes them in hash order).
 *
 * Throws SafetensorsError listing every bad tensor: an empty or reserved name,
 * an unknown dtype, an array of the wrong class, a shape whose element count is
 * not the array's length, a bool that is not 0 or 1, or a metadata value that is
 * not a string.
 *
 * @example
 * const bytes = toSafetensors(
 *   { logits: { dtype: "float32", shape: [1, 2], data: new Float32Array([0.5, 1]) } },
 *   { model: "gpt2" },
 * );
 */
export function toSafetensors(
  tensors: Readonly<Record<string, SavedTensor>>,
  metadata?: Readonly<Record<string, string>>,
): Uint8Array {
  if (!HOST_IS_LITTLE_ENDIAN)
    throw new Error(
      "safetensors: this host is big-endian; Loupe writes typed arrays as they are in memory",
    );
  const entries = Object.entries(tensors);
  const issues = [
    ...entries.flatMap(([name, tensor]) => checkTensor(name, tensor)),
    ...checkMetadata(metadata),
  ];
  if (issues.length > 0)
    throw new SafetensorsError("SAFETENSORS_INVALID_INPUT", issues);

  entries.sort(
    ([a, x], [b, y]) =>
      SAFETENSORS_DTYPES[x.dtype].order - SAFETENSORS_DTYPES[y.dtype].order ||
      compareCodePoints(a, b),
  );
  // Built by hand: a JS object would move integer-like names ("0") to the front.
  const fields: string[] = [];
  if (metadata !== undefined) {
    const keys = Object.keys(metadata).sort(compareCodePoints);
    fields.push(
      `"__metadata__":{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`).join(",")}}`,
    );
  }
  let offset = 0;
  for (const [name, { dtype, shape, data }] of entries) {
    const info = {
      dtype: SAFETENSORS_DTYPES[dtype].code,
      shape,
      data_offsets: [offset, offset + data.byteLength],
    };
    fields.push(`${JSON.stringify(name)}:${JSON.stringify(info)}`);
    offset += data.byteLength;
  }
  const json = new TextEncoder().encode(`{${fields.join(",")}}`);
  const headerLength = Math.ceil(json.length / 8) * 8;

  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const [, { data }] of entries) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    at += data.byteLength;
  }
  return out;
}

function checkTensor(name: string, tensor: SavedTensor): string[] {
  if (name === "") return ["a tensor has an empty name"];
  if (name === "__metadata__")
    return [
      '"__metadata__" is reserved for the metadata; name the tensor otherwise',
    ];
  const what = `tensor ${JSON.stringify(name)}`;
  const unknown = tensor as {
    dtype?: unknown;
    shape?: unknown;
    data?: unknown;
  };
  if (typeof unknown !== "object" || unknown === null)
    return [`${what}: expected { dtype, shape, data }, got ${String(unknown)}`];
  if (
    typeof unknown.dtype !== "string" ||
    !Object.hasOwn(SAFETENSORS_DTYPES, unknown.dtype)
  )
    return [
      `${what}: dtype ${JSON.stringify(unknown.dtype)} is not one of ${Object.keys(SAFETENSORS_DTYPES).join(", ")}`,
    ];
  const spec = SAFETENSORS_DTYPES[unknown.dtype as DType];
  const issues: string[] = [];
  const tag = ArrayBuffer.isView(unknown.data)
    ? (unknown.data as unknown as { [Symbol.toStringTag]: string })[
        Symbol.toStringTag
      ]
    : undefined;
  if (tag !== spec.arrayTag)
    issues.push(
      `${what}: dtype ${unknown.dtype} needs ${/^[AEIOU]/.test(spec.arrayTag) ? "an" : "a"} ${spec.arrayTag}, got ${tag ?? describe(unknown.data)}`,
    );
  const count = Array.isArray(unknown.shape)
    ? countElements(unknown.shape)
    : undefined;
  if (count === undefined)
    issues.push(
      `${what}: shape must be a list of non-negative integers, got ${JSON.stringify(unknown.shape)}`,
    );
  if (issues.length > 0) return issues;

  const data = tensor.data;
  if (count !== data.length)
    issues.push(
      `${what}: shape [${tensor.shape.join(",")}] has ${count} elements, data has ${data.length}`,
    );
  if (tensor.dtype === "bool") {
    const bad = tensor.data.findIndex((v) => v > 1);
    if (bad >= 0)
      issues.push(
        `${what}: bool element ${bad} is ${tensor.data[bad]}, expected 0 or 1`,
      );
  }
  return issues;
}

function checkMetadata(metadata: unknown): string[] {
  if (metadata === undefined) return [];
  if (
    typeof metadata !== "object" ||
    metadata === null ||
    Array.isArray(metadata)
  )
    return [`metadata: expected a map of strings, got ${describe(metadata)}`];
  return Object.entries(metadata)
    .filter(([, v]) => typeof v !== "string")
    .map(([k, v]) => `metadata "${k}": expected a string, got ${describe(v)}`);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object"
    ? (value.constructor?.name ?? "an object")
    : typeof value;
}
