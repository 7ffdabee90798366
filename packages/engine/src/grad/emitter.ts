import { OnnxElementType } from "@loupe/graph";
import { int64Tensor, type AttributeValue } from "../onnx/onnx-bytes.ts";
import { inferOutputTypes } from "../model/element-types.ts";
import { GraphBuilder } from "../onnx/graph-builder.ts";
import type { TensorFact } from "./tensor-facts.ts";

/** Prefix of every tensor the backward builder names (no export uses it). */
export const GRAD_PREFIX = "loupe∇";

const FLOAT_TYPES = new Set<number>([
  OnnxElementType.FLOAT,
  OnnxElementType.FLOAT16,
  OnnxElementType.DOUBLE,
  OnnxElementType.BFLOAT16,
]);
export const isFloatType = (t: number | undefined) =>
  t !== undefined && FLOAT_TYPES.has(t);

/** ONNX Runtime's contrib operator domain (FusedMatMul). */
export const MICROSOFT_DOMAIN = "com.microsoft";

/**
 * Writes the nodes of a backward program on the engine's one GraphBuilder:
 * the few composite steps every rule shares (zeros, sums over broadcast
 * axes), and facts of the tensors it creates, recorded as it goes so later
 * rules can ask for their rank.
 */
export class Emitter extends GraphBuilder {
  constructor(
    readonly opset: number,
    readonly facts: Map<string, TensorFact>,
  ) {
    super({ value: GRAD_PREFIX });
  }

  op(
    opType: string,
    input: readonly string[],
    attributes: Record<string, AttributeValue> = {},
    fact: TensorFact = {},
  ): string {
    const output = this.fresh();
    this.emit({ opType, input, output: [output], attributes });
    this.facts.set(output, {
      ...fact,
      elemType: fact.elemType ?? this.inferType(opType, input, attributes),
    });
    return output;
  }

  /**
   * x·y with either operand's last two axes transposed in the product
   * (ONNX Runtime's com.microsoft FusedMatMul): a gradient's product with a
   * weight's transpose reads the weight where it is, instead of a Transpose
   * node that ONNX Runtime would fold into a transposed copy of the weight
   * kept by the session (GPT-2 small: the weights over again).
   */
  fusedMatMul(
    x: string,
    y: string,
    transA: boolean,
    transB: boolean,
    fact: TensorFact = {},
  ): string {
    const output = this.fresh();
    this.emit({
      opType: "FusedMatMul",
      domain: MICROSOFT_DOMAIN,
      input: [x, y],
      output: [output],
      attributes: {
        transA: { int: transA ? 1 : 0 },
        transB: { int: transB ? 1 : 0 },
        alpha: { float: 1 },
      },
    });
    this.facts.set(output, {
      ...fact,
      elemType: fact.elemType ?? this.typeOf(x),
    });
    return output;
  }

  private inferType(
    opType: string,
    input: readonly string[],
    attributes: Record<string, AttributeValue>,
  ): number | undefined {
    const to = attributes.to;
    const value = attributes.value;
    return inferOutputTypes(
      {
        opType,
        input,
        output: [""],
        ints: to && "int" in to ? { to: to.int } : {},
        tensorTypes:
          value && "tensor" in value ? { value: value.tensor.dataType } : {},
      },
      (t) => this.facts.get(t)?.elemType,
    )[0];
  }

  /** An int64 constant (axes, shapes), with its facts. */
  override ints(values: readonly number[], scalar = false): string {
    const name = super.ints(values, scalar);
    this.facts.set(name, {
      elemType: OnnxElementType.INT64,
      rank: scalar ? 0 : 1,
      dims: scalar ? [] : [values.length],
      value: values,
    });
    return name;
  }

  /** A scalar constant of the element type of `like` (float32 or float64). */
  scalar(value: number, like: string): string {
    const type = this.typeOf(like);
    const written =
      type === OnnxElementType.DOUBLE
        ? OnnxElementType.DOUBLE
        : OnnxElementType.FLOAT;
    const name = this.floatScalar(value, written);
    this.facts.set(name, {
      elemType: written,
      rank: 0,
      dims: [],
      value: [value],
    });
    return type === written
      ? name
      : this.op("Cast", [name], { to: { int: type } }, { elemType: type });
  }

  typeOf(t: string): number {
    return this.facts.get(t)?.elemType ?? OnnxElementType.FLOAT;
  }

  rankOf(t: string): number | undefined {
    return this.facts.get(t)?.rank;
  }

  /** Zeros of the shape and type of `x`. */
  zerosLike(x: string): string {
    const type = this.typeOf(x);
    const bytes =
      type === OnnxElementType.DOUBLE
        ? 8
        : type === OnnxElementType.FLOAT16 || type === OnnxElementType.BFLOAT16
          ? 2
          : 4;
    return this.op(
      "ConstantOfShape",
      [this.op("Shape", [x])],
      {
        value: {
          tensor: { dataType: type, dims: [1], raw: new Uint8Array(bytes) },
        },
      },
      { elemType: type, rank: this.rankOf(x) },
    );
  }

  /** `x` as a float of `like`'s type. */
  castLike(x: string, like: string): string {
    return this.op(
      "Cast",
      [x],
      { to: { int: this.typeOf(like) } },
      { elemType: this.typeOf(like), rank: this.rankOf(x) },
    );
  }

  /** Sum over `axes` (int64 tensor name). */
  reduceSum(x: string, axes: string, keepdims: boolean): string {
    return this.op(
      "ReduceSum",
      [x, axes],
      { keepdims: { int: keepdims ? 1 : 0 }, noop_with_empty_axes: { int: 1 } },
      { elemType: this.typeOf(x) },
    );
  }

  /** Mean over constant axes, in the form the opset takes (axes became an input in 18). */
  reduceMean(x: string, axes: readonly number[], keepdims: boolean): string {
    const keep = { keepdims: { int: keepdims ? 1 : 0 } };
    return this.opset >= 18
      ? this.op("ReduceMean", [x, this.ints(axes)], keep, {
          elemType: this.typeOf(x),
        })
      : this.op(
          "ReduceMean",
          [x],
          { ...keep, axes: { ints: axes } },
          {
            elemType: this.typeOf(x),
          },
        );
  }

  /** Inserts size-1 axes (ONNX Unsqueeze semantics: axes of the result). */
  unsqueeze(x: string, axes: readonly number[]): string {
    const r = this.rankOf(x);
    return this.op(
      "Unsqueeze",
      [x, this.ints(axes)],
      {},
      {
        elemType: this.typeOf(x),
        rank: r === undefined ? undefined : r + axes.length,
      },
    );
  }

  reshapeLike(x: string, like: string): string {
    return this.op(
      "Reshape",
      [x, this.op("Shape", [like])],
      {},
      {
        elemType: this.typeOf(x),
        rank: this.rankOf(like),
      },
    );
  }

  /**
   * `unbroadcast`, skipped where the shapes show nothing was broadcast into
   * `x`: every other operand is a constant of size-1 dims and no higher rank
   * (`x * 0.5`, `x ** 2`), the common case in exported models.
   */
  unbroadcastIfNeeded(
    g: string,
    x: string,
    operands: readonly string[],
  ): string {
    const rx = this.rankOf(x);
    const plain =
      rx !== undefined &&
      rx > 0 &&
      operands.every((o) => {
        if (o === x) return true;
        const f = this.facts.get(o);
        return (
          f?.dims !== undefined &&
          f.dims.length <= rx &&
          f.dims.every((d) => d === 1)
        );
      });
    return plain ? g : this.unbroadcast(g, x);
  }

  /**
   * The gradient `g` of a broadcast result, summed back to the shape of the
   * operand `x`: over leading axes `x` lacks and over axes where `x` has size 1
   * and `g` does not. Shapes are read at run time, so one backward program
   * serves every batch and sequence length.
   */
  unbroadcast(g: string, x: string): string {
    const sg = this.op("Shape", [g]);
    const sx = this.op("Shape", [x]);
    const lead = this.op("Sub", [this.op("Size", [sg]), this.op("Size", [sx])]);
    const ones = this.op(
      "ConstantOfShape",
      [this.op("Reshape", [lead, this.ints([1])])],
      {
        value: {
          tensor: int64Tensor("", [1]),
        },
      },
    );
    const padded = this.op("Concat", [ones, sx], { axis: { int: 0 } });
    const one = this.ints([1]);
    const mask = this.op("And", [
      this.op("Equal", [padded, one]),
      this.op("Not", [this.op("Equal", [sg, one])]),
    ]);
    const axes = this.op("Reshape", [
      this.op("NonZero", [mask]),
      this.ints([-1]),
    ]);
    const summed = this.reduceSum(g, axes, true);
    return this.op(
      "Reshape",
      [summed, sx],
      {},
      {
        elemType: this.typeOf(g),
        rank: this.rankOf(x),
      },
    );
  }
}
