import { OnnxElementType } from "@loupe/graph";
import protobuf from "protobufjs";

/**
 * Byte-level access to an ONNX model, for building new models out of pieces of
 * an existing one. Nodes and initializers are kept as their original encoded
 * messages: a piece of the model is assembled from those bytes unchanged, so
 * every field survives (including the ones Loupe does not model) and weights are
 * copied once, by memcpy, never decoded into numbers.
 *
 * Hand-written on protobufjs' Reader/Writer because the ONNX npm packages either
 * decode everything (weights into JS numbers) or lag behind the schema; the wire
 * format and ONNX's field numbers (onnx.proto, IR version 10) are all it needs.
 */

/** An encoded NodeProto with the fields the engine reads. */
export interface RawNode {
  readonly bytes: Uint8Array;
  readonly name: string;
  readonly opType: string;
  readonly domain: string;
  readonly input: readonly string[];
  readonly output: readonly string[];
  /** Integer attributes (`to` of Cast, `axis`, ...). */
  readonly ints: Readonly<Record<string, number>>;
  /** Data type of a tensor attribute (`value` of Constant / ConstantOfShape). */
  readonly tensorTypes: Readonly<Record<string, number>>;
  /** Integer-list attributes (`perm`, `axes`, `split`, ...). */
  readonly intLists?: Readonly<Record<string, readonly number[]>>;
  /** Float attributes (`alpha` of Gemm, `epsilon`, ...). */
  readonly floats?: Readonly<Record<string, number>>;
  /** Small tensor attributes decoded (a Constant's value, up to 4096 elements). */
  readonly tensors?: Readonly<Record<string, ConstTensor>>;
  /** metadata_props (dynamo exports keep module scopes here). */
  readonly metadata: Readonly<Record<string, string>>;
}

/** A small constant tensor, decoded: for reading axes, shapes and scalars. */
export interface ConstTensor {
  readonly dataType: number;
  readonly dims: readonly number[];
  /** The elements; empty when `truncated` (more than 4096 of them). */
  readonly values: readonly number[];
  readonly truncated?: boolean;
}

/**
 * Where an initializer's data lives when it is not in the model file
 * (TensorProto.external_data): a file relative to the model's folder, and the
 * byte range in it.
 */
export interface ExternalData {
  readonly location: string;
  readonly offset: number;
  readonly length: number;
}

/** An encoded initializer (TensorProto) with its name, type and size. */
export interface RawInitializer {
  readonly bytes: Uint8Array;
  readonly name: string;
  readonly dataType: number;
  readonly dims: readonly number[];
  /** Bytes of element data (what a session holding it allocates). */
  readonly dataBytes: number;
  /** Set when the data is in an external file rather than in `bytes`. */
  readonly external?: ExternalData;
}

/** A graph input or output: name, ONNX element type and dims. */
export interface ValueInfo {
  readonly name: string;
  readonly elemType: number;
  /** Dims; a string is a symbolic dimension, null an unknown one. */
  readonly shape?: readonly (number | string | null)[];
}

/** What module-scope recovery reads of a model (a RawModel, or a test's hand-made one). */
export interface ScopedModel {
  readonly nodes: readonly Pick<
    RawNode,
    "name" | "opType" | "domain" | "input" | "output" | "metadata"
  >[];
  readonly inputs: readonly Pick<ValueInfo, "name">[];
  readonly outputs: readonly Pick<ValueInfo, "name">[];
  readonly initializers: readonly Pick<RawInitializer, "name">[];
}

/** A model split into its encoded parts. */
export interface RawModel {
  readonly irVersion: number;
  /** Encoded OperatorSetIdProto messages, as in the file. */
  readonly opsetImports: readonly Uint8Array[];
  readonly opset: number;
  readonly nodes: readonly RawNode[];
  readonly initializers: readonly RawInitializer[];
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
}

const LEN = 2;
/** Bytes per element of ONNX data types (TensorProto.DataType). */
export const ELEMENT_BYTES: Readonly<Record<number, number>> = {
  [OnnxElementType.FLOAT]: 4,
  [OnnxElementType.UINT8]: 1,
  [OnnxElementType.INT8]: 1,
  [OnnxElementType.UINT16]: 2,
  [OnnxElementType.INT16]: 2,
  [OnnxElementType.INT32]: 4,
  [OnnxElementType.INT64]: 8,
  [OnnxElementType.BOOL]: 1,
  [OnnxElementType.FLOAT16]: 2,
  [OnnxElementType.DOUBLE]: 8,
  [OnnxElementType.UINT32]: 4,
  [OnnxElementType.UINT64]: 8,
  [OnnxElementType.BFLOAT16]: 2,
};

type Field = { no: number; wire: number; start: number; end: number };

/** Iterates the fields of a message in `buf[start, end)`. */
function* fields(buf: Uint8Array, start = 0, end = buf.length) {
  const r = protobuf.Reader.create(buf.subarray(start, end));
  while (r.pos < r.len) {
    const tag = r.uint32();
    const no = tag >>> 3;
    const wire = tag & 7;
    if (wire === LEN) {
      const len = r.uint32();
      const s = r.pos;
      r.skip(len);
      yield { no, wire, start: start + s, end: start + s + len };
    } else {
      const s = r.pos;
      r.skipType(wire);
      yield { no, wire, start: start + s, end: start + r.pos };
    }
  }
}

const utf8 = new TextDecoder();
const str = (buf: Uint8Array, f: Field) =>
  utf8.decode(buf.subarray(f.start, f.end));
/** protobufjs returns a Long for int64 (long.js is installed) or a number. */
const toNumber = (v: unknown): number =>
  typeof v === "number" ? v : (v as { toNumber(): number }).toNumber();
const varint = (buf: Uint8Array, f: Field) =>
  toNumber(protobuf.Reader.create(buf.subarray(f.start, f.end)).int64());

function packedOrSingleInts(buf: Uint8Array, f: Field): number[] {
  if (f.wire !== LEN) return [varint(buf, f)];
  const r = protobuf.Reader.create(buf.subarray(f.start, f.end));
  const out: number[] = [];
  while (r.pos < r.len) out.push(toNumber(r.int64()));
  return out;
}

function readNode(buf: Uint8Array, start: number, end: number): RawNode {
  let name = "";
  let opType = "";
  let domain = "";
  const input: string[] = [];
  const output: string[] = [];
  const ints: Record<string, number> = {};
  const tensorTypes: Record<string, number> = {};
  const intLists: Record<string, number[]> = {};
  const floats: Record<string, number> = {};
  const tensors: Record<string, ConstTensor> = {};
  const metadata: Record<string, string> = {};
  for (const f of fields(buf, start, end)) {
    if (f.no === 1) input.push(str(buf, f));
    else if (f.no === 2) output.push(str(buf, f));
    else if (f.no === 3) name = str(buf, f);
    else if (f.no === 4) opType = str(buf, f);
    else if (f.no === 7) domain = str(buf, f);
    else if (f.no === 9) {
      let key = "";
      let value = "";
      for (const m of fields(buf, f.start, f.end)) {
        if (m.no === 1) key = str(buf, m);
        else if (m.no === 2) value = str(buf, m);
      }
      metadata[key] = value;
    } else if (f.no === 5) {
      let attrName = "";
      let i: number | undefined;
      let tType: number | undefined;
      let tensor: ConstTensor | undefined;
      let fl: number | undefined;
      const list: number[] = [];
      for (const a of fields(buf, f.start, f.end)) {
        if (a.no === 1) attrName = str(buf, a);
        else if (a.no === 2)
          fl = new DataView(buf.buffer, buf.byteOffset + a.start, 4).getFloat32(
            0,
            true,
          );
        else if (a.no === 3) i = varint(buf, a);
        else if (a.no === 8) list.push(...packedOrSingleInts(buf, a));
        else if (a.no === 5) {
          for (const t of fields(buf, a.start, a.end))
            if (t.no === 2) tType = varint(buf, t);
          tensor = decodeSmallTensor(buf, a);
        }
      }
      if (i !== undefined) ints[attrName] = i;
      if (fl !== undefined) floats[attrName] = fl;
      if (list.length > 0) intLists[attrName] = list;
      if (tType !== undefined) tensorTypes[attrName] = tType;
      if (tensor) tensors[attrName] = tensor;
    }
  }
  return {
    bytes: buf.subarray(start, end),
    name,
    opType,
    domain,
    input,
    output,
    ints,
    tensorTypes,
    intLists,
    floats,
    tensors,
    metadata,
  };
}

/** Decodes a TensorProto of up to 4096 int64/int32/float/double elements. */
function decodeSmallTensor(buf: Uint8Array, t: Field): ConstTensor | undefined {
  let dataType = 0;
  const dims: number[] = [];
  let raw: Field | undefined;
  const typed: number[] = [];
  for (const f of fields(buf, t.start, t.end)) {
    if (f.no === 1) dims.push(...packedOrSingleInts(buf, f));
    else if (f.no === 2) dataType = varint(buf, f);
    else if (f.no === 9) raw = f;
    else if (f.no === 7 || f.no === 5)
      typed.push(...packedOrSingleInts(buf, f));
    else if (f.no === 4) {
      const view = new DataView(
        buf.buffer,
        buf.byteOffset + f.start,
        f.end - f.start,
      );
      for (let o = 0; o + 4 <= view.byteLength; o += 4)
        typed.push(view.getFloat32(o, true));
    }
  }
  const count = dims.reduce((a, b) => a * b, 1);
  if (count > 4096) return { dataType, dims, values: [], truncated: true };
  if (!raw) return { dataType, dims, values: typed };
  const view = new DataView(
    buf.buffer,
    buf.byteOffset + raw.start,
    raw.end - raw.start,
  );
  const values: number[] = [];
  const size = ELEMENT_BYTES[dataType];
  if (!size) return undefined;
  for (let o = 0; o + size <= view.byteLength; o += size) {
    if (dataType === OnnxElementType.INT64)
      values.push(Number(view.getBigInt64(o, true)));
    else if (dataType === OnnxElementType.INT32)
      values.push(view.getInt32(o, true));
    else if (dataType === OnnxElementType.FLOAT)
      values.push(view.getFloat32(o, true));
    else if (dataType === OnnxElementType.DOUBLE)
      values.push(view.getFloat64(o, true));
    else if (
      dataType === OnnxElementType.BOOL ||
      dataType === OnnxElementType.UINT8
    )
      values.push(view.getUint8(o));
    else return undefined;
  }
  return { dataType, dims, values };
}

function readInitializer(
  buf: Uint8Array,
  start: number,
  end: number,
): RawInitializer {
  let name = "";
  let dataType = 0;
  const dims: number[] = [];
  let dataBytes = 0;
  let elements = 0;
  let externalLocation = false;
  const entries: Record<string, string> = {};
  for (const f of fields(buf, start, end)) {
    if (f.no === 1) dims.push(...packedOrSingleInts(buf, f));
    else if (f.no === 2) dataType = varint(buf, f);
    else if (f.no === 8) name = str(buf, f);
    else if (f.no === 9) dataBytes = f.end - f.start;
    else if (f.no === 13) {
      let key = "";
      let value = "";
      for (const e of fields(buf, f.start, f.end)) {
        if (e.no === 1) key = str(buf, e);
        else if (e.no === 2) value = str(buf, e);
      }
      entries[key] = value;
    } else if (f.no === 14) externalLocation = varint(buf, f) === 1;
    else if (f.no >= 4 && f.no <= 7) elements = 1; // typed data fields; sized below
  }
  const count = dims.reduce((a, b) => a * b, 1);
  if (dataBytes === 0 && (elements || externalLocation))
    dataBytes = count * (ELEMENT_BYTES[dataType] ?? 4);
  const bytes = buf.subarray(start, end);
  if (!externalLocation) return { bytes, name, dataType, dims, dataBytes };
  return {
    bytes,
    name,
    dataType,
    dims,
    dataBytes,
    external: parseExternalData(name, entries, dataBytes),
  };
}

/** The external_data entries of an initializer, checked (ONNX's keys: location, offset, length). */
function parseExternalData(
  name: string,
  entries: Readonly<Record<string, string>>,
  dataBytes: number,
): ExternalData {
  const { location, offset = "0", length } = entries;
  const where = `initializer ${name || "(unnamed)"}`;
  if (!location)
    throw new OnnxDecodeError(
      `${where} keeps its data in an external file but names no location`,
    );
  const number = (key: string, v: string) => {
    if (!/^\d+$/.test(v))
      throw new OnnxDecodeError(
        `${where}: external data ${key} "${v}" is not a byte count`,
      );
    return Number(v);
  };
  const len = length === undefined ? dataBytes : number("length", length);
  if (len !== dataBytes)
    throw new OnnxDecodeError(
      `${where}: external data length ${len} does not match its type and dims (${dataBytes} bytes)`,
    );
  return { location, offset: number("offset", offset), length: len };
}

/** Raised for bytes that are not an ONNX model Loupe can read. */
export class OnnxDecodeError extends Error {
  override readonly name = "OnnxDecodeError";
  readonly code = "ONNX_INVALID";
}

function readValueInfo(buf: Uint8Array, f: Field): ValueInfo {
  let name = "";
  let elemType = 0;
  const shape: (number | string | null)[] = [];
  for (const v of fields(buf, f.start, f.end)) {
    if (v.no === 1) name = str(buf, v);
    else if (v.no === 2)
      for (const t of fields(buf, v.start, v.end))
        if (t.no === 1)
          for (const tt of fields(buf, t.start, t.end)) {
            if (tt.no === 1) elemType = varint(buf, tt);
            else if (tt.no === 2)
              for (const d of fields(buf, tt.start, tt.end)) {
                let dim: number | string | null = null;
                for (const x of fields(buf, d.start, d.end)) {
                  if (x.no === 1) dim = varint(buf, x);
                  else if (x.no === 2) dim = str(buf, x);
                }
                shape.push(dim);
              }
          }
  }
  return { name, elemType, shape };
}

/**
 * Reads an ONNX model file's bytes, for import: `readRawModel`, with bytes
 * that are not a model (or a model without nodes) refused as OnnxDecodeError.
 * Weights in external data files are listed with their sizes; their data is
 * never read here.
 */
export function decodeOnnxModel(bytes: Uint8Array): RawModel {
  let raw: RawModel;
  try {
    raw = readRawModel(bytes);
  } catch (error) {
    if (error instanceof OnnxDecodeError) throw error;
    throw new OnnxDecodeError(
      `not an ONNX model: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (raw.nodes.length === 0)
    throw new OnnxDecodeError("not an ONNX model: it has no graph nodes");
  return raw;
}

/**
 * Splits model bytes into encoded nodes, initializers and the header fields:
 * the engine's one model type, read by the importer, the planner and every
 * model builder. Nodes and initializers keep their encoded bytes (views of
 * `bytes`), so pieces are assembled from them unchanged.
 */
export function readRawModel(bytes: Uint8Array): RawModel {
  let irVersion = 8;
  const opsetImports: Uint8Array[] = [];
  let opset = 0;
  let graph: Field | undefined;
  for (const f of fields(bytes)) {
    if (f.no === 1) irVersion = varint(bytes, f);
    else if (f.no === 7) graph = f;
    else if (f.no === 8) {
      opsetImports.push(bytes.subarray(f.start, f.end));
      let domain = "";
      let version = 0;
      for (const o of fields(bytes, f.start, f.end)) {
        if (o.no === 1) domain = str(bytes, o);
        else if (o.no === 2) version = varint(bytes, o);
      }
      if (domain === "" || domain === "ai.onnx") opset = version;
    }
  }
  if (!graph) throw new OnnxDecodeError("not an ONNX model: it has no graph");
  const nodes: RawNode[] = [];
  const initializers: RawInitializer[] = [];
  const inputs: ValueInfo[] = [];
  const outputs: ValueInfo[] = [];
  for (const f of fields(bytes, graph.start, graph.end)) {
    if (f.no === 1) nodes.push(readNode(bytes, f.start, f.end));
    else if (f.no === 5)
      initializers.push(readInitializer(bytes, f.start, f.end));
    else if (f.no === 11) inputs.push(readValueInfo(bytes, f));
    else if (f.no === 12) outputs.push(readValueInfo(bytes, f));
  }
  const initNames = new Set(initializers.map((i) => i.name));
  return {
    irVersion,
    opsetImports,
    opset,
    nodes,
    initializers,
    // Older exports list initializers among the inputs too; they are not inputs.
    inputs: inputs.filter((i) => !initNames.has(i.name)),
    outputs,
  };
}

/**
 * A node with its inputs, outputs or name replaced; every other field of the
 * encoded message (attributes, domain) is kept byte for byte.
 */
export function renameNode(
  node: RawNode,
  change: {
    input?: readonly string[];
    output?: readonly string[];
    name?: string;
  },
): RawNode {
  const w = protobuf.Writer.create();
  const input = change.input ?? node.input;
  const output = change.output ?? node.output;
  const name = change.name ?? node.name;
  for (const i of input) w.uint32((1 << 3) | LEN).string(i);
  for (const o of output) w.uint32((2 << 3) | LEN).string(o);
  if (name) w.uint32((3 << 3) | LEN).string(name);
  const head = w.finish();
  const rest: Uint8Array[] = [];
  for (const f of fields(node.bytes)) {
    if (f.no === 1 || f.no === 2 || f.no === 3) continue;
    // Re-emit the field's tag and length before its payload.
    const tagAndLen = protobuf.Writer.create().uint32((f.no << 3) | f.wire);
    if (f.wire === LEN) tagAndLen.uint32(f.end - f.start);
    rest.push(tagAndLen.finish(), node.bytes.subarray(f.start, f.end));
  }
  const bytes = new Uint8Array(
    head.length + rest.reduce((s, p) => s + p.length, 0),
  );
  bytes.set(head, 0);
  let o = head.length;
  for (const p of rest) {
    bytes.set(p, o);
    o += p.length;
  }
  return { ...node, bytes, input, output, name };
}

// ---------------------------------------------------------------------------
// Writing

/** An attribute value of a node the engine writes. */
export type AttributeValue =
  | { readonly int: number }
  | { readonly float: number }
  | { readonly ints: readonly number[] }
  | { readonly floats: readonly number[] }
  | { readonly string: string }
  | { readonly tensor: TensorData };

/** A tensor written into a model (a Constant's value or an initializer). */
export interface TensorData {
  readonly dataType: number;
  readonly dims: readonly number[];
  readonly raw: Uint8Array;
  readonly name?: string;
}

/** A node the engine writes. */
export interface NodeSpec {
  readonly opType: string;
  readonly input: readonly string[];
  readonly output: readonly string[];
  readonly name?: string;
  readonly domain?: string;
  readonly attributes?: Readonly<Record<string, AttributeValue>>;
}

/**
 * An initializer whose data is moved out to `ref`: the same name, type and
 * dims, with data_location EXTERNAL. ONNX Runtime resolves `ref.location`
 * against the session's external-initializers folder.
 */
export function externalInitializer(
  init: RawInitializer,
  ref: ExternalData,
): RawInitializer {
  const w = protobuf.Writer.create();
  for (const d of init.dims) w.uint32((1 << 3) | 0).int64(d);
  w.uint32((2 << 3) | 0).int32(init.dataType);
  w.uint32((8 << 3) | LEN).string(init.name);
  writeExternalData(w, ref);
  return { ...init, bytes: w.finish(), external: ref };
}

/**
 * Appends a TensorProto's external_data entries (location, offset, length)
 * and data_location EXTERNAL to a tensor being written.
 */
export function writeExternalData(w: protobuf.Writer, ref: ExternalData): void {
  const entry = (key: string, value: string) =>
    w
      .uint32((13 << 3) | LEN)
      .fork()
      .uint32((1 << 3) | LEN)
      .string(key)
      .uint32((2 << 3) | LEN)
      .string(value)
      .ldelim();
  entry("location", ref.location);
  entry("offset", String(ref.offset));
  entry("length", String(ref.length));
  w.uint32((14 << 3) | 0).int32(1);
}

/** The raw_data of an initializer kept in the model (undefined for external or typed-field data). */
export function inlineRawData(init: RawInitializer): Uint8Array | undefined {
  for (const f of fields(init.bytes))
    if (f.no === 9) return init.bytes.subarray(f.start, f.end);
  return undefined;
}

function writeTensor(w: protobuf.Writer, t: TensorData): void {
  for (const d of t.dims) w.uint32((1 << 3) | 0).int64(d);
  w.uint32((2 << 3) | 0).int32(t.dataType);
  if (t.name) w.uint32((8 << 3) | LEN).string(t.name);
  w.uint32((9 << 3) | LEN).bytes(t.raw);
}

function encodeNode(node: NodeSpec): Uint8Array {
  const w = protobuf.Writer.create();
  for (const i of node.input) w.uint32((1 << 3) | LEN).string(i);
  for (const o of node.output) w.uint32((2 << 3) | LEN).string(o);
  if (node.name) w.uint32((3 << 3) | LEN).string(node.name);
  w.uint32((4 << 3) | LEN).string(node.opType);
  for (const [name, value] of Object.entries(node.attributes ?? {})) {
    const a = protobuf.Writer.create();
    a.uint32((1 << 3) | LEN).string(name);
    if ("int" in value)
      a.uint32((3 << 3) | 0)
        .int64(value.int)
        .uint32(20 << 3)
        .int32(2);
    else if ("float" in value)
      a.uint32((2 << 3) | 5)
        .float(value.float)
        .uint32(20 << 3)
        .int32(1);
    else if ("ints" in value) {
      for (const v of value.ints) a.uint32((8 << 3) | 0).int64(v);
      a.uint32(20 << 3).int32(7);
    } else if ("floats" in value) {
      for (const v of value.floats) a.uint32((7 << 3) | 5).float(v);
      a.uint32(20 << 3).int32(6);
    } else if ("string" in value)
      a.uint32((4 << 3) | LEN)
        .string(value.string)
        .uint32(20 << 3)
        .int32(3);
    else {
      a.uint32((5 << 3) | LEN).fork();
      writeTensor(a, value.tensor);
      a.ldelim()
        .uint32(20 << 3)
        .int32(4);
    }
    w.uint32((5 << 3) | LEN).bytes(a.finish());
  }
  if (node.domain) w.uint32((7 << 3) | LEN).string(node.domain);
  return w.finish();
}

function encodeValueInfo(v: ValueInfo): Uint8Array {
  const shape = protobuf.Writer.create();
  for (const d of v.shape ?? []) {
    const dim = protobuf.Writer.create();
    if (typeof d === "number") dim.uint32((1 << 3) | 0).int64(d);
    else if (typeof d === "string") dim.uint32((2 << 3) | LEN).string(d);
    shape.uint32((1 << 3) | LEN).bytes(dim.finish());
  }
  const tensorType = protobuf.Writer.create()
    .uint32((1 << 3) | 0)
    .int32(v.elemType);
  if (v.shape) tensorType.uint32((2 << 3) | LEN).bytes(shape.finish());
  const type = protobuf.Writer.create()
    .uint32((1 << 3) | LEN)
    .bytes(tensorType.finish());
  return protobuf.Writer.create()
    .uint32((1 << 3) | LEN)
    .string(v.name)
    .uint32((2 << 3) | LEN)
    .bytes(type.finish())
    .finish();
}

/** What a new model is made of: encoded parts of another model, or new ones. */
export interface ModelParts {
  readonly irVersion: number;
  /** Encoded OperatorSetIdProto messages, or `{ domain, version }`. */
  readonly opsetImports: readonly (
    Uint8Array | { domain: string; version: number }
  )[];
  readonly nodes: readonly (RawNode | NodeSpec)[];
  readonly initializers: readonly (RawInitializer | TensorData)[];
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  readonly name?: string;
}

/** Encodes a ModelProto from parts; encoded parts are copied byte for byte. */
export function writeModel(parts: ModelParts): Uint8Array {
  const g = protobuf.Writer.create();
  for (const n of parts.nodes)
    g.uint32((1 << 3) | LEN).bytes("bytes" in n ? n.bytes : encodeNode(n));
  g.uint32((2 << 3) | LEN).string(parts.name ?? "loupe");
  for (const t of parts.initializers) {
    if ("bytes" in t) g.uint32((5 << 3) | LEN).bytes(t.bytes);
    else {
      g.uint32((5 << 3) | LEN).fork();
      writeTensor(g, t);
      g.ldelim();
    }
  }
  for (const i of parts.inputs)
    g.uint32((11 << 3) | LEN).bytes(encodeValueInfo(i));
  for (const o of parts.outputs)
    g.uint32((12 << 3) | LEN).bytes(encodeValueInfo(o));
  const m = protobuf.Writer.create();
  m.uint32((1 << 3) | 0).int64(parts.irVersion);
  m.uint32((2 << 3) | LEN).string("loupe");
  m.uint32((7 << 3) | LEN).bytes(g.finish());
  for (const o of parts.opsetImports) {
    if (o instanceof Uint8Array) m.uint32((8 << 3) | LEN).bytes(o);
    else {
      const op = protobuf.Writer.create();
      if (o.domain) op.uint32((1 << 3) | LEN).string(o.domain);
      op.uint32((2 << 3) | 0).int64(o.version);
      m.uint32((8 << 3) | LEN).bytes(op.finish());
    }
  }
  return m.finish();
}

/** The values of a small initializer (up to 4096 elements), or undefined. */
export function decodeInitializer(
  init: RawInitializer,
): ConstTensor | undefined {
  const count = init.dims.reduce((a, b) => a * b, 1);
  if (count > 4096) return undefined;
  return decodeSmallTensor(init.bytes, {
    no: 0,
    wire: LEN,
    start: 0,
    end: init.bytes.length,
  });
}

/** An int64 tensor (axes, shapes, indices) to write as an initializer. */
export function int64Tensor(
  name: string,
  values: readonly number[],
  scalar = false,
): TensorData {
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return {
    name,
    dataType: OnnxElementType.INT64,
    dims: scalar ? [] : [values.length],
    raw,
  };
}
