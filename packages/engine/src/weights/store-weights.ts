import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  externalInitializer,
  inlineRawData,
  readRawModel,
  type RawInitializer,
  type RawModel,
} from "../onnx/onnx-bytes.ts";
import { externalDataFiles } from "./external-data-files.ts";
import { WeightStoreError } from "./weight-store-error.ts";

/**
 * Initializers up to this many elements stay in the model: the engine decodes
 * small constants (axes, shapes, scalars) from their bytes, and they weigh
 * nothing next to the weights.
 */
export const INLINE_ELEMENTS = 4096;
/** The file the engine writes a model's inline weights into. */
export const INLINE_WEIGHTS_FILE = "loupe-inline-weights.bin";
/** Offsets of weights in that file are multiples of a page, so each tensor maps on its own pages. */
const ALIGNMENT = 4096;

/** A model whose weights live in files that every session maps, once. */
export interface StoredWeights {
  /** The model's structure, every weight over INLINE_ELEMENTS elements external (no weight bytes in JS). */
  readonly raw: RawModel;
  /** The folder ONNX Runtime resolves the weights' locations in. */
  readonly folder: string;
  /** Bytes of all weights. */
  readonly weightBytes: number;
}

/** Where a model's weights are stored, and where its export's external data is. */
export interface StoreWeightsOptions {
  /** The folder the export's external data locations are relative to (its .onnx file's folder). */
  readonly externalDataDir?: string;
  /** Where the engine keeps weight folders (one per model); default `<tmp>/loupe-weights`. */
  readonly storeDir?: string;
  /** Names the model's folder in the store: its model hash (default: the bytes' SHA-256; required for a RawModel). */
  readonly key?: string;
}

/**
 * Moves a model's weights out of the JS heap into files that ONNX Runtime maps:
 * the weights an export keeps inline are written once, page-aligned, into
 * `<store>/<key>/loupe-inline-weights.bin`; weights already in external data
 * files are mapped from the export's own folder. Every model the engine builds (stages, pieces, backward
 * models, `module.call` clones) copies only the small references, and with
 * prepacking off (see `weightSessionOptions`) every session maps the same
 * pages, so the weights are in memory once however many sessions use them.
 *
 * The returned model holds no view of the model's bytes: the caller's buffer
 * can be collected once this returns.
 */
export function storeWeights(
  model: Uint8Array | RawModel,
  options: StoreWeightsOptions = {},
): StoredWeights {
  const raw = model instanceof Uint8Array ? readRawModel(model) : model;
  const key = (
    options.key ?? (model instanceof Uint8Array ? sha256(model) : "")
  ).replace(/^sha256:/, "");
  if (!/^[A-Za-z0-9_-]+$/.test(key))
    throw new WeightStoreError(
      `weight store key "${key}" must be letters, digits, _ and -`,
    );
  const files = externalDataFiles(raw);
  if (files.length > 0 && !options.externalDataDir)
    throw new WeightStoreError(
      `the model keeps weights in the external file ${files[0]}, but was given as bytes without the folder it is in (load it from its path)`,
    );
  for (const file of files) {
    const full = path.resolve(options.externalDataDir!, file);
    if (!fs.existsSync(full))
      throw new WeightStoreError(
        `the model's external data file ${full} does not exist`,
      );
  }

  // ONNX Runtime resolves every location in one folder, and refuses links
  // that lead out of it: an export with external data is mapped from its own
  // folder (read-only is fine), an inline one from the store. An export with
  // both keeps its few large inline weights inline (each session copies them).
  const folder =
    files.length > 0
      ? path.resolve(options.externalDataDir!)
      : path.join(options.storeDir ?? defaultWeightsDir(), key.slice(0, 40));
  const large =
    files.length > 0
      ? []
      : raw.initializers.filter((i) => count(i) > INLINE_ELEMENTS);
  const offsets = new Map<string, number>();
  let end = 0;
  for (const init of large) {
    offsets.set(init.name, end);
    end = align(end + init.dataBytes);
  }
  if (large.length > 0) {
    fs.mkdirSync(folder, { recursive: true });
    writeInlineWeights(folder, large, offsets, end);
  }

  const initializers = raw.initializers.map((init): RawInitializer => {
    const offset = offsets.get(init.name);
    if (offset === undefined) return { ...init, bytes: init.bytes.slice() };
    return externalInitializer(init, {
      location: INLINE_WEIGHTS_FILE,
      offset,
      length: init.dataBytes,
    });
  });
  return {
    raw: {
      ...raw,
      opsetImports: raw.opsetImports.map((o) => o.slice()),
      nodes: raw.nodes.map((n) => ({ ...n, bytes: n.bytes.slice() })),
      initializers,
    },
    folder,
    weightBytes: initializers.reduce((s, i) => s + i.dataBytes, 0),
  };
}

/** Where weight folders go when no `weightsDir` is given. */
export const defaultWeightsDir = () => path.join(os.tmpdir(), "loupe-weights");

/** The hex SHA-256 of bytes. */
export const sha256 = (bytes: Uint8Array): string =>
  createHash("sha256").update(bytes).digest("hex");

const count = (i: RawInitializer) => i.dims.reduce((a, b) => a * b, 1);
const align = (n: number) => Math.ceil(n / ALIGNMENT) * ALIGNMENT;

/**
 * Writes the inline weights file unless an earlier load wrote it (same model
 * hash, same size): to a temporary name, then renamed, so a reader never sees
 * a partial file even when two engines load the same model at once.
 */
function writeInlineWeights(
  folder: string,
  large: readonly RawInitializer[],
  offsets: ReadonlyMap<string, number>,
  size: number,
): void {
  const target = path.join(folder, INLINE_WEIGHTS_FILE);
  if (fs.existsSync(target) && fs.statSync(target).size === size) return;
  const temp = `${target}.${randomUUID()}.tmp`;
  const fd = fs.openSync(temp, "w");
  try {
    for (const init of large) {
      const data = inlineRawData(init);
      if (!data || data.length !== init.dataBytes)
        throw new WeightStoreError(
          `initializer ${init.name} has no raw data of ${init.dataBytes} bytes (weights in typed fields are not read)`,
        );
      fs.writeSync(fd, data, 0, data.length, offsets.get(init.name));
    }
    fs.ftruncateSync(fd, size);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, target);
}
