import fs from "node:fs";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { OnnxElementType } from "@loupe/graph";
import protobuf from "protobufjs";
import { ELEMENT_BYTES, writeExternalData } from "../onnx/onnx-bytes.ts";
import { INLINE_ELEMENTS, INLINE_WEIGHTS_FILE } from "./store-weights.ts";
import { WeightStoreError } from "./weight-store-error.ts";

/** Initializers smaller than this stay (4096 bytes: no tensor over 4096 elements is smaller). */
const MOVED_BYTES = 4096;
/** Offsets in the weights file are multiples of a page (as storeWeights writes them). */
const ALIGNMENT = 4096;
const LEN = 2;

/** A model file walked on disk: its small model, and how to copy its weights out. */
export interface ExternalizedModel {
  /** The model with its large weights pointing into `loupe-inline-weights.bin`. */
  readonly model: Uint8Array;
  /**
   * Copies the weights into `<folder>/loupe-inline-weights.bin`, once per
   * folder (a later call with the same folder and size reuses it). Call it
   * only once the file is known to be the one imported (its model hash):
   * a reused weights file is trusted by its name.
   */
  writeWeights(folder: string): void;
}

/**
 * Turns an ONNX file that keeps its weights inline into a small model whose
 * large weights point into `loupe-inline-weights.bin`, without ever holding
 * the file in memory: the protobuf is walked on disk (ModelProto -> graph ->
 * initializer -> raw_data), every field but the weights' data is read, and
 * `writeWeights` copies each weight's bytes from file to file in chunks.
 * Load the model with `externalDataDir` set to the folder written to.
 *
 * Hand-written on protobufjs' Writer because no ONNX library for Node reads a
 * model without reading its weights.
 */
export function externalizeModelFile(onnxPath: string): ExternalizedModel {
  const file = new FileCursor(onnxPath);
  const moved: { from: number; length: number; to: number }[] = [];
  let end = 0;
  const place = (from: number, length: number) => {
    const to = end;
    end = Math.ceil((end + length) / ALIGNMENT) * ALIGNMENT;
    moved.push({ from, length, to });
    return to;
  };
  const model = protobuf.Writer.create();
  try {
    for (const f of file.fields(0, file.size)) {
      if (f.no === 7 && f.wire === LEN) {
        const graph = protobuf.Writer.create();
        for (const g of file.fields(f.start, f.end)) {
          const tensor =
            g.no === 5 && g.wire === LEN && g.end - g.start >= MOVED_BYTES
              ? externalTensor(file, g.start, g.end, place)
              : undefined;
          if (tensor) graph.uint32((5 << 3) | LEN).bytes(tensor);
          else copyField(graph, g, file);
        }
        model.uint32((7 << 3) | LEN).bytes(graph.finish());
      } else copyField(model, f, file);
    }
  } finally {
    file.close();
  }
  return {
    model: model.finish(),
    writeWeights(folder: string) {
      if (moved.length === 0) return;
      const source = new FileCursor(onnxPath);
      try {
        writeWeights(source, folder, moved, end);
      } finally {
        source.close();
      }
    },
  };
}

/**
 * The bytes of a model file's weights, walking its structure on disk (the
 * weights' data is skipped, not read): raw_data's length, or for weights in
 * external files or typed fields their element count times element size.
 */
export function readWeightBytes(onnxPath: string): number {
  const file = new FileCursor(onnxPath);
  try {
    let total = 0;
    for (const f of file.fields(0, file.size)) {
      if (f.no !== 7 || f.wire !== LEN) continue;
      for (const g of file.fields(f.start, f.end)) {
        if (g.no !== 5 || g.wire !== LEN) continue;
        const t = tensorHeader(file, g.start, g.end);
        total += t.rawBytes ?? t.count * (ELEMENT_BYTES[t.dataType] ?? 4);
      }
    }
    return total;
  } finally {
    file.close();
  }
}

/** What a TensorProto in the file says of its size, its data left unread. */
function tensorHeader(
  file: FileCursor,
  start: number,
  end: number,
): { count: number; dataType: number; rawBytes?: number; external: boolean } {
  let count = 1;
  let dataType: number = OnnxElementType.FLOAT;
  let rawBytes: number | undefined;
  let external = false;
  for (const f of file.fields(start, end)) {
    if (f.no === 1) count *= file.varintsProduct(f);
    else if (f.no === 2) dataType = file.varintAt(f.start);
    else if (f.no === 9 && f.wire === LEN) rawBytes = f.end - f.start;
    else if (f.no === 14) external = file.varintAt(f.start) === 1;
  }
  return {
    count,
    dataType,
    ...(rawBytes === undefined ? {} : { rawBytes }),
    external,
  };
}

interface FileField {
  readonly no: number;
  readonly wire: number;
  /** Payload range in the file (for varints and fixed fields: the value's bytes). */
  readonly start: number;
  readonly end: number;
}

/** Re-emits a field as it is in the file (a varint or fixed value re-encoded to the same bytes). */
function copyField(w: protobuf.Writer, f: FileField, file: FileCursor): void {
  w.uint32((f.no << 3) | f.wire);
  const bytes = file.read(f.start, f.end - f.start);
  if (f.wire === LEN) {
    w.bytes(bytes);
    return;
  }
  const r = protobuf.Reader.create(bytes);
  if (f.wire === 0) w.uint64(r.uint64());
  else if (f.wire === 1) w.fixed64(r.fixed64());
  else w.fixed32(r.fixed32());
}

/**
 * A TensorProto with its raw_data moved to the weights file: every other
 * field as in the file, then external_data entries and data_location 1.
 * Undefined for a tensor of up to INLINE_ELEMENTS elements (kept inline, as
 * storeWeights keeps them: the engine decodes small constants) or one
 * already in an external file.
 */
function externalTensor(
  file: FileCursor,
  start: number,
  end: number,
  place: (from: number, length: number) => number,
): Uint8Array | undefined {
  const header = tensorHeader(file, start, end);
  if (header.external || header.count <= INLINE_ELEMENTS) return undefined;
  const w = protobuf.Writer.create();
  let data: FileField | undefined;
  let name = "";
  for (const f of file.fields(start, end)) {
    if (f.no === 9 && f.wire === LEN) data = f;
    else {
      if (f.no === 8)
        name = new TextDecoder().decode(file.read(f.start, f.end - f.start));
      if (f.no === 4 || f.no === 5 || f.no === 6 || f.no === 7 || f.no === 10)
        throw new WeightStoreError(
          `initializer ${name || "(unnamed)"} keeps its data in typed fields, not raw_data; re-export it (torch.onnx writes raw_data)`,
        );
      copyField(w, f, file);
    }
  }
  if (!data)
    throw new WeightStoreError(
      `initializer ${name || "(unnamed)"} has no raw_data to move out`,
    );
  const length = data.end - data.start;
  const offset = place(data.start, length);
  writeExternalData(w, { location: INLINE_WEIGHTS_FILE, offset, length });
  return w.finish();
}

/** Copies the weights' bytes into the weights file (to a temporary name, then renamed). */
function writeWeights(
  file: FileCursor,
  folder: string,
  moved: readonly { from: number; length: number; to: number }[],
  size: number,
): void {
  fs.mkdirSync(folder, { recursive: true });
  const target = path.join(folder, INLINE_WEIGHTS_FILE);
  if (fs.existsSync(target) && fs.statSync(target).size === size) return;
  const temp = `${target}.${randomUUID()}.tmp`;
  const out = fs.openSync(temp, "w");
  const chunk = Buffer.allocUnsafe(1 << 20);
  try {
    for (const m of moved)
      for (let done = 0; done < m.length;) {
        const n = Math.min(chunk.length, m.length - done);
        file.readInto(chunk, m.from + done, n);
        fs.writeSync(out, chunk, 0, n, m.to + done);
        done += n;
      }
    fs.ftruncateSync(out, size);
  } finally {
    fs.closeSync(out);
  }
  fs.renameSync(temp, target);
}

/** Reads a file at offsets, through a small window: protobuf headers one by one. */
class FileCursor {
  readonly #fd: number;
  readonly size: number;
  #window = Buffer.alloc(0);
  #windowAt = 0;

  constructor(file: string) {
    this.#fd = fs.openSync(file, "r");
    this.size = fs.fstatSync(this.#fd).size;
  }

  close(): void {
    fs.closeSync(this.#fd);
  }

  readInto(buf: Buffer, at: number, length: number): void {
    if (fs.readSync(this.#fd, buf, 0, length, at) !== length)
      throw new WeightStoreError(
        `the model file ends before byte ${at + length}`,
      );
  }

  read(at: number, length: number): Uint8Array {
    const buf = Buffer.allocUnsafe(length);
    this.readInto(buf, at, length);
    return new Uint8Array(buf.buffer, buf.byteOffset, length);
  }

  #byte(at: number): number {
    if (at < this.#windowAt || at >= this.#windowAt + this.#window.length) {
      const length = Math.min(64 * 1024, this.size - at);
      if (length <= 0)
        throw new WeightStoreError(`the model file ends at byte ${at}`);
      this.#window = Buffer.allocUnsafe(length);
      this.readInto(this.#window, at, length);
      this.#windowAt = at;
    }
    return this.#window[at - this.#windowAt]!;
  }

  /** The value of the varint at `at`. */
  varintAt(at: number): number {
    return this.#varint(at).value;
  }

  /** The product of a field's varints (packed, or one value): a tensor's element count from its dims. */
  varintsProduct(f: FileField): number {
    if (f.wire !== LEN) return this.#varint(f.start).value;
    let product = 1;
    for (let at = f.start; at < f.end;) {
      const v = this.#varint(at);
      product *= v.value;
      at = v.end;
    }
    return product;
  }

  /** A varint at `at`: its value and where it ends. */
  #varint(at: number): { value: number; end: number } {
    let value = 0;
    let shift = 0;
    for (let i = at; ; i++) {
      const b = this.#byte(i);
      value += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (b < 0x80) return { value, end: i + 1 };
    }
  }

  /** The fields of the message in the file's bytes [start, end). */
  *fields(start: number, end: number): Generator<FileField> {
    let at = start;
    while (at < end) {
      const tag = this.#varint(at);
      const no = Math.floor(tag.value / 8);
      const wire = tag.value & 7;
      at = tag.end;
      let s = at;
      if (wire === LEN) {
        const len = this.#varint(at);
        s = len.end;
        at = s + len.value;
      } else if (wire === 0) at = this.#varint(at).end;
      else if (wire === 1) at += 8;
      else if (wire === 5) at += 4;
      else
        throw new WeightStoreError(
          `the model file has a protobuf field of wire type ${wire} at byte ${at}, which ONNX does not use`,
        );
      if (at > end)
        throw new WeightStoreError(
          `the model file's field ${no} at byte ${s} runs past its message`,
        );
      yield { no, wire, start: s, end: at };
    }
  }
}
