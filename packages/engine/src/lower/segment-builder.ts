import { onnxOfDtype, type DType } from "@loupe/graph";
import {
  writeModel,
  type AttributeValue,
  type ValueInfo,
} from "../onnx/onnx-bytes.ts";
import { GraphBuilder } from "../onnx/graph-builder.ts";
import type { Program } from "../grad/program.ts";

/** Where a segment input's value comes from at run time. */
export type InputSource =
  /** A tensor of the run's environment (a model tensor or a graph value). */
  | { readonly kind: "env"; readonly key: string }
  /** Row/token window of an invoke on a hook tensor: Slice starts, ends, or Pad pads. */
  | {
      readonly kind: "window";
      readonly part: "starts" | "ends" | "pads";
      readonly invoke: number;
      readonly hookTensor: string;
      readonly batchAxes: readonly number[];
      readonly seqAxes: readonly number[];
    }
  /**
   * Rows of an invoke's right-padded view moved to the right (or back, with
   * `inverse`): for each row r and position j of the flattened [rows·W]
   * axis, the position it is read from (see run-segment's align).
   */
  | {
      readonly kind: "align";
      readonly invoke: number;
      readonly inverse: boolean;
    }
  /** Integers of an index (positions, index lists): data, not structure. */
  | {
      readonly kind: "ints";
      readonly values: readonly number[];
      readonly scalar: boolean;
    };

/** The opset segments are written for (reductions take axes as inputs from 18). */
export const SEGMENT_OPSET = 18;

/**
 * Builds a small ONNX model of intervention operations. Names are sequential
 * (`in0`, `v3`) and the data that varies between runs (constant values, index
 * positions, invoke windows) enters as inputs, so two graphs with the same
 * structure build byte-identical models: the model bytes are the cache key.
 */
export class SegmentBuilder extends GraphBuilder {
  readonly inputs: { name: string; elemType: number; source: InputSource }[] =
    [];
  readonly outputs: { name: string; elemType: number; target: string }[] = [];
  private readonly envInputs = new Map<string, string>();

  constructor() {
    super({ value: "v", constant: "k" });
  }

  /** Adds an input (env inputs are deduplicated by key). */
  input(elemType: number, source: InputSource): string {
    if (source.kind === "env") {
      const known = this.envInputs.get(source.key);
      if (known) return known;
    }
    const name = `in${this.inputs.length}`;
    this.inputs.push({ name, elemType, source });
    if (source.kind === "env") this.envInputs.set(source.key, name);
    return name;
  }

  /** Marks a value as an output written to `target` in the environment. */
  output(name: string, elemType: number, target: string): void {
    const out = `out${this.outputs.length}`;
    this.op("Identity", [name], {}, out);
    this.outputs.push({ name: out, elemType, target });
  }

  /** Adds a node; returns its (first) output name. */
  op(
    opType: string,
    input: readonly string[],
    attributes: Record<string, AttributeValue> = {},
    output: string = this.fresh(),
  ): string {
    this.emit({ opType, input, output: [output], attributes });
    return output;
  }

  /** A structural float32 scalar constant. */
  float(value: number): string {
    return this.floatScalar(value);
  }

  /** Casts `x` from one dtype to another (nothing when equal). */
  cast(x: string, from: DType, to: DType): string {
    return from === to
      ? x
      : this.op("Cast", [x], { to: { int: onnxOfDtype(to) } });
  }

  /** The segment as a program (for differentiating it). */
  program(): Program {
    const info = (name: string, elemType: number): ValueInfo => ({
      name,
      elemType,
    });
    return {
      irVersion: 8,
      opsetImports: [{ domain: "", version: SEGMENT_OPSET }],
      opset: SEGMENT_OPSET,
      nodes: this.nodes,
      initializers: this.inits,
      inputs: this.inputs.map((i) => info(i.name, i.elemType)),
      outputs: this.outputs.map((o) => info(o.name, o.elemType)),
    };
  }

  /** The encoded model. */
  build(): Uint8Array {
    return writeModel({ ...this.program(), name: "segment" });
  }

  get empty(): boolean {
    return this.nodes.length === 0;
  }
}
