import type { SavedTensor } from "./saved-tensor.ts";
import { SafetensorsError } from "./safetensors-error.ts";
import {
  countElements,
  findDTypeOfCode,
  HOST_IS_LITTLE_ENDIAN,
  SAFETENSORS_DTYPES,
} from "./safetensors-dtypes.ts";

/** The reference reader's limit on the JSON header, against files that claim gigabytes of it. */
const MAX_HEADER_BYTES = 100_000_000;

/** The contents of a safetensors file. */
export interface SafetensorsContents {
  /** In the order of their data in the file. */
  readonly tensors: Record<string, SavedTensor>;
  /** The header's `__metadata__`, undefined when the file has none. */
  readonly metadata: Record<string, string> | undefined;
}

interface Entry {
  name: string;
  dtype: SavedTensor["dtype"];
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Parses a safetensors file with the reference reader's checks: the header
 * length within the file and under 100 MB, a UTF-8 JSON object, known dtypes,
 * each tensor's byte span equal to its shape's size, and spans covering the data
 * buffer exactly (no gaps, no overlaps). Every tensor is copied into its own
 * aligned buffer, so results outlive `bytes` and do not alias it. Dtypes other
 * than F32, F16, I64, I32 and BOOL are refused, naming the tensor.
 *
 * Throws SafetensorsError with every problem found in the header.
 *
 * @example
 * const { tensors, metadata } = fromSafetensors(await readFile("run.safetensors"));
 */
export function fromSafetensors(bytes: Uint8Array): SafetensorsContents {
  if (!HOST_IS_LITTLE_ENDIAN)
    throw new Error(
      "safetensors: this host is big-endian; Loupe reads data as it is in memory",
    );
  const fail = (...issues: string[]): never => {
    throw new SafetensorsError("SAFETENSORS_INVALID_FILE", issues);
  };
  if (bytes.length < 8)
    fail(
      `safetensors: ${bytes.length} bytes is too short for the 8-byte header length`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declared = view.getBigUint64(0, true);
  if (declared > BigInt(MAX_HEADER_BYTES))
    fail(
      `safetensors: header length ${declared} is over the ${MAX_HEADER_BYTES}-byte limit`,
    );
  const headerLength = Number(declared);
  if (8 + headerLength > bytes.length)
    fail(
      `safetensors: header length ${headerLength} runs past the end of the file (${bytes.length} bytes)`,
    );

  let header: unknown;
  try {
    header = JSON.parse(
      new TextDecoder("utf-8", { fatal: true }).decode(
        bytes.subarray(8, 8 + headerLength),
      ),
    );
  } catch (error) {
    throw new SafetensorsError(
      "SAFETENSORS_INVALID_FILE",
      [`safetensors: header is not UTF-8 JSON (${(error as Error).message})`],
      { cause: error },
    );
  }
  if (typeof header !== "object" || header === null || Array.isArray(header))
    fail("safetensors: header is not a JSON object");

  const issues: string[] = [];
  let metadata: Record<string, string> | undefined;
  const entries: Entry[] = [];
  for (const [name, value] of Object.entries(header as object)) {
    if (name === "__metadata__") {
      const checked = parseMetadata(value, issues);
      if (checked) metadata = checked;
    } else {
      const entry = parseEntry(name, value, issues);
      if (entry) entries.push(entry);
    }
  }
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  if (issues.length === 0) checkCoverage(entries, dataLength, issues);
  if (issues.length > 0) fail(...issues);

  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  const tensors = Object.fromEntries(
    entries.map(({ name, dtype, shape, begin, end }) => {
      const copy = new Uint8Array(end - begin);
      copy.set(bytes.subarray(dataStart + begin, dataStart + end));
      const data = SAFETENSORS_DTYPES[dtype].view(copy.buffer);
      return [name, { dtype, shape, data } as SavedTensor];
    }),
  );
  return { tensors, metadata };
}

function parseMetadata(
  value: unknown,
  issues: string[],
): Record<string, string> | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    issues.push("safetensors: __metadata__ is not a map of strings");
    return undefined;
  }
  const bad = Object.entries(value).filter(([, v]) => typeof v !== "string");
  for (const [key] of bad)
    issues.push(`safetensors: __metadata__ "${key}" is not a string`);
  return bad.length === 0 ? (value as Record<string, string>) : undefined;
}

function parseEntry(
  name: string,
  value: unknown,
  issues: string[],
): Entry | undefined {
  const what = `tensor ${JSON.stringify(name)}`;
  if (typeof value !== "object" || value === null) {
    issues.push(
      `${what}: expected { dtype, shape, data_offsets }, got ${JSON.stringify(value)}`,
    );
    return undefined;
  }
  const {
    dtype: code,
    shape,
    data_offsets: offsets,
  } = value as Record<string, unknown>;
  const dtype = typeof code === "string" ? findDTypeOfCode(code) : undefined;
  if (!dtype) {
    issues.push(
      `${what}: dtype ${JSON.stringify(code)} is not one Loupe reads (F32, F16, I64, I32, BOOL)`,
    );
    return undefined;
  }
  const count = Array.isArray(shape) ? countElements(shape) : undefined;
  if (count === undefined) {
    issues.push(
      `${what}: shape ${JSON.stringify(shape)} is not a list of non-negative integers`,
    );
    return undefined;
  }
  const [begin, end] = Array.isArray(offsets) ? (offsets as unknown[]) : [];
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    typeof begin !== "number" ||
    typeof end !== "number" ||
    !Number.isSafeInteger(begin) ||
    !Number.isSafeInteger(end) ||
    begin < 0 ||
    end < begin
  ) {
    issues.push(
      `${what}: data_offsets ${JSON.stringify(offsets)} is not [begin, end] with 0 <= begin <= end`,
    );
    return undefined;
  }
  const expected = count * SAFETENSORS_DTYPES[dtype].bytesPerElement;
  if (end - begin !== expected) {
    issues.push(
      `${what}: shape [${(shape as number[]).join(",")}] of ${code as string} needs ${expected} bytes, data_offsets [${begin},${end}] hold ${end - begin}`,
    );
    return undefined;
  }
  return { name, dtype, shape: shape as number[], begin, end };
}

function checkCoverage(
  entries: readonly Entry[],
  dataLength: number,
  issues: string[],
): void {
  let at = 0;
  for (const e of [...entries].sort(
    (a, b) => a.begin - b.begin || a.end - b.end,
  )) {
    if (e.begin !== at)
      issues.push(
        `tensor ${JSON.stringify(e.name)}: data starts at byte ${e.begin}, expected ${at} (tensors must cover the data without gaps or overlaps)`,
      );
    at = Math.max(at, e.end);
  }
  if (at !== dataLength)
    issues.push(
      `safetensors: tensors cover ${at} bytes of data, the file holds ${dataLength}`,
    );
}
