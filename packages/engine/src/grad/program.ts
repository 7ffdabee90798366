import { OnnxElementType } from "@loupe/graph";
import {
  decodeInitializer,
  ELEMENT_BYTES,
  type AttributeValue,
  type ConstTensor,
  type NodeSpec,
  type RawInitializer,
  type RawNode,
  type TensorData,
  type ValueInfo,
} from "../onnx/onnx-bytes.ts";

/**
 * A straight-line ONNX program the engine runs: a model piece or an
 * intervention segment, with its nodes in topological order. It is what the
 * backward builder differentiates.
 */
export interface Program {
  readonly irVersion: number;
  readonly opsetImports: readonly (
    Uint8Array | { domain: string; version: number }
  )[];
  /** The default domain's opset version. */
  readonly opset: number;
  readonly nodes: readonly (RawNode | NodeSpec)[];
  readonly initializers: readonly (RawInitializer | TensorData)[];
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
}

/** One node's fields and attributes, whether decoded from a file or written by Loupe. */
export interface NodeView {
  readonly opType: string;
  readonly domain: string;
  readonly name: string;
  readonly input: readonly string[];
  readonly output: readonly string[];
  int(name: string): number | undefined;
  ints(name: string): readonly number[] | undefined;
  float(name: string): number | undefined;
  tensor(name: string): ConstTensor | undefined;
  string(name: string): string | undefined;
}

export function viewNode(node: RawNode | NodeSpec): NodeView {
  if ("bytes" in node) {
    return {
      opType: node.opType,
      domain: node.domain,
      name: node.name,
      input: node.input,
      output: node.output,
      int: (n) => node.ints[n],
      ints: (n) => node.intLists?.[n],
      float: (n) => node.floats?.[n],
      tensor: (n) => node.tensors?.[n],
      // Loupe never needs a string attribute of a model's node (modes, equations).
      string: () => undefined,
    };
  }
  const attr = (n: string): AttributeValue | undefined => node.attributes?.[n];
  return {
    opType: node.opType,
    domain: node.domain ?? "",
    name: node.name ?? "",
    input: node.input,
    output: node.output,
    int: (n) => {
      const a = attr(n);
      return a && "int" in a ? a.int : undefined;
    },
    ints: (n) => {
      const a = attr(n);
      return a && "ints" in a ? a.ints : undefined;
    },
    float: (n) => {
      const a = attr(n);
      return a && "float" in a ? a.float : undefined;
    },
    tensor: (n) => {
      const a = attr(n);
      return a && "tensor" in a ? decodeTensorData(a.tensor) : undefined;
    },
    string: (n) => {
      const a = attr(n);
      return a && "string" in a ? a.string : undefined;
    },
  };
}

/** How an element of each type Loupe writes is read. */
const READERS: Readonly<
  Partial<Record<number, (view: DataView, offset: number) => number>>
> = {
  [OnnxElementType.INT64]: (view, o) => Number(view.getBigInt64(o, true)),
  [OnnxElementType.INT32]: (view, o) => view.getInt32(o, true),
  [OnnxElementType.FLOAT]: (view, o) => view.getFloat32(o, true),
  [OnnxElementType.BOOL]: (view, o) => view.getUint8(o),
};

/** The values of a tensor Loupe wrote (int64, int32, float32, bool). */
export function decodeTensorData(t: TensorData): ConstTensor | undefined {
  const view = new DataView(t.raw.buffer, t.raw.byteOffset, t.raw.byteLength);
  const values: number[] = [];
  const read = READERS[t.dataType];
  if (!read) return undefined;
  const size = ELEMENT_BYTES[t.dataType]!;
  for (let o = 0; o + size <= view.byteLength; o += size)
    values.push(read(view, o));
  return { dataType: t.dataType, dims: t.dims, values };
}

/** The values of an initializer of a program, small ones only. */
export function initializerValues(
  init: RawInitializer | TensorData,
): ConstTensor | undefined {
  return "bytes" in init ? decodeInitializer(init) : decodeTensorData(init);
}

export const initializerName = (init: RawInitializer | TensorData): string =>
  init.name ?? "";
