import { OnnxElementType } from "@loupe/graph";
import {
  int64Tensor,
  type AttributeValue,
  type NodeSpec,
  type TensorData,
} from "./onnx-bytes.ts";

/** How a builder names what it creates. */
export interface BuilderNames {
  /** Prefix of value names (followed by a counter). */
  readonly value: string;
  /** Prefix of constants (followed by their index); by default constants are values. */
  readonly constant?: string;
}

/**
 * The engine's one writer of new ONNX nodes: fresh names, structural
 * constants, nodes in order. Intervention segments (lower/segment-builder.ts)
 * and backward programs (grad/emitter.ts) are both built on it, each adding
 * what its models need (segment inputs and outputs; tensor facts for rules).
 * Names are sequential, so the same structure builds the same bytes.
 */
export class GraphBuilder {
  readonly nodes: NodeSpec[] = [];
  readonly inits: TensorData[] = [];
  #counter = 0;

  constructor(readonly names: BuilderNames) {}

  /** A fresh value name. */
  fresh(): string {
    return `${this.names.value}${this.#counter++}`;
  }

  /** Adds a node as it is. */
  protected emit(node: NodeSpec): void {
    this.nodes.push(node);
  }

  /** A node with several outputs; returns their names. */
  opN(
    opType: string,
    input: readonly string[],
    count: number,
    attributes: Record<string, AttributeValue> = {},
  ): string[] {
    const output = Array.from({ length: count }, () => this.fresh());
    this.emit({ opType, input, output, attributes });
    return output;
  }

  /** A structural int64 constant (axes, shapes, indices). */
  ints(values: readonly number[], scalar = false): string {
    const name = this.#constantName();
    this.inits.push(int64Tensor(name, values, scalar));
    return name;
  }

  /** A structural float scalar constant: float32, or float64. */
  floatScalar(
    value: number,
    dataType:
      | typeof OnnxElementType.FLOAT
      | typeof OnnxElementType.DOUBLE = OnnxElementType.FLOAT,
  ): string {
    const name = this.#constantName();
    const double = dataType === OnnxElementType.DOUBLE;
    const raw = new Uint8Array(double ? 8 : 4);
    const view = new DataView(raw.buffer);
    if (double) view.setFloat64(0, value, true);
    else view.setFloat32(0, value, true);
    this.inits.push({ name, dataType, dims: [], raw });
    return name;
  }

  #constantName(): string {
    return this.names.constant === undefined
      ? this.fresh()
      : `${this.names.constant}${this.inits.length}`;
  }
}
