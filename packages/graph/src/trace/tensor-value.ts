import type { DType } from "../ir/dtype.ts";
import { parseIndex, type IndexSpec } from "../ir/index-spec.ts";
import type { BinaryOp, CompareOp, ReduceOp, UnaryOp } from "../ir/ops.ts";
import type { Dim } from "../ir/shape.ts";
import { encodeConstant, type NestedValues } from "./encode-constant.ts";
import { activeBuilder, type GraphBuilder } from "./graph-builder.ts";
import { TraceError } from "./trace-error.ts";
import type { HookSlot } from "../manifest/hook-site.ts";

/** A value an operation accepts: a graph value, or numbers/booleans as a constant. */
export type Operand = TensorValue | NestedValues;

/** What an in-place operation takes: the operand, or a region's index and the operand. */
export type InPlaceArgs =
  [value: Operand] | [index: readonly unknown[] | string, value: Operand];

/** The module tensor a value was read from; `.set` on it writes into the model. */
export interface ModuleTarget {
  readonly module: string;
  readonly call: number;
  readonly slot: HookSlot;
  /** For slot `source`: the operation inside the module (`softmax_0`). */
  readonly source?: string;
  readonly item: number | null;
}

/**
 * A value in the graph being built: the output of one node. Its methods add
 * nodes (PyTorch-like names; no operator overloading in TypeScript). Values are
 * immutable: `.set` returns the new value, and on a module's input or output it
 * also writes the new value into the model (NNsight's `x[...] = v`).
 *
 * Loupe's idiom, which the docs and the portal write: an index is one string
 * as NumPy writes it between the brackets, `x.at(":, -1")` for `x[:, -1]`,
 * `x.set(":, :, 3", v)` for `x[:, :, 3] = v` and `x.add_(":, :, 3", 2)` for
 * `x[:, :, 3] += 2`. Methods, not a Proxy with `x[":, -1"] = v`: a string
 * index signature would type every misspelt method as a TensorValue.
 */
export class TensorValue {
  /** @internal */
  constructor(
    readonly id: string,
    /** @internal */ readonly builder: GraphBuilder,
    /** @internal */ readonly target?: ModuleTarget,
    /** @internal True for the gradient of `target` (`.grad`). */
    readonly isGrad = false,
    /** @internal For a gradient: the read or write node whose value it is the gradient of. */
    readonly of?: string,
  ) {}

  /**
   * The gradient of this module input or output (this invoke's rows), from the
   * trace's backward pass (`loss.backward()`, anywhere in the same trace). It
   * is readable like any value, and assignable: `x.grad = g` (or
   * `x.grad.set(index, g)`) replaces what flows further back.
   *
   * @example
   * const out = lm.transformer.h[5].mlp.output;
   * const g = out.grad.save("g");
   * logits.get(0, -1, paris).sub(logits.get(0, -1, rome)).backward();
   */
  get grad(): TensorValue {
    const target = gradTarget(this);
    return new TensorValue(
      activeBuilder().add({ op: "grad", args: [], ...target, of: this.id }),
      this.builder,
      target,
      true,
      this.id,
    );
  }

  set grad(value: Operand) {
    const target = gradTarget(this);
    this.builder.add({
      op: "write_grad",
      args: [toValue(value).id],
      ...target,
      index: null,
      of: this.id,
    });
  }

  /** Runs the trace's backward pass from this scalar (e.g. a logit difference). */
  backward(): void {
    this.#op({ op: "backward", args: [this.id] });
  }

  /** `x[index]`: NumPy-style indexing, e.g. `.get(":", -1)`, `.get("[:, 5, [1, 2]]")`. */
  get(...index: unknown[]): TensorValue {
    return this.#op({
      op: "getitem",
      args: [this.id],
      index: parseIndexOrThrow(index),
    });
  }

  /**
   * `x[index]` with the index in one string, as NumPy writes it between the
   * brackets: `.at(":, -1")`, `.at(\`:, ${p}, :\`)`, `.at(":, :, [1, 2]")`.
   * The same node as `.get(…)`, which takes the items one by one.
   *
   * @example lm.transformer.h[5].output[0].at(":, -1")
   */
  at(index: string | number, ...rest: number[]): TensorValue {
    return this.get(index, ...rest);
  }

  /**
   * `x[index] = value`, or `.set(value)` to replace the whole tensor. Returns the
   * new value; on a module's `.input`/`.output` (or a tuple element of them) the
   * model continues with it.
   *
   * @example lm.layers[5].output[0].set(":, 5, :", hidden)
   */
  set(
    ...args: [Operand] | [index: readonly unknown[] | string, value: Operand]
  ): TensorValue {
    const [indexArg, valueArg] =
      args.length === 1 ? [undefined, args[0]] : args;
    const index: IndexSpec | null =
      indexArg === undefined ? null : parseIndexOrThrow(indexItems(indexArg));
    const value = this.#operand(valueArg);
    if (this.target && this.isGrad) {
      return new TensorValue(
        this.builder.add({
          op: "write_grad",
          args: [value.id],
          ...this.target,
          index,
          ...(this.of === undefined ? {} : { of: this.of }),
        }),
        this.builder,
        this.target,
        true,
        this.of,
      );
    }
    if (this.target) {
      return new TensorValue(
        this.builder.add({
          op: "write",
          args: [value.id],
          ...this.target,
          index,
        }),
        this.builder,
        this.target,
      );
    }
    if (index === null) return value;
    return this.#op({ op: "setitem", args: [this.id, value.id], index });
  }

  /**
   * `x[index] += value` in NNsight (`x += value` without an index): writes
   * `x[index] + value` back, node for node as `.set(index,
   * x.get(index).add(value))`, and returns the new value.
   *
   * @example lm.transformer.h[3].output[0].add_(":, -1", steer)
   */
  add_(...args: InPlaceArgs): TensorValue {
    return this.#inPlace("add", args);
  }
  /** `x[index] -= value` (see add_). */
  sub_(...args: InPlaceArgs): TensorValue {
    return this.#inPlace("sub", args);
  }
  /** `x[index] *= value` (see add_). */
  mul_(...args: InPlaceArgs): TensorValue {
    return this.#inPlace("mul", args);
  }
  /** `x[index] /= value` (see add_). */
  div_(...args: InPlaceArgs): TensorValue {
    return this.#inPlace("div", args);
  }

  add(other: Operand): TensorValue {
    return this.#binary("add", other);
  }
  sub(other: Operand): TensorValue {
    return this.#binary("sub", other);
  }
  mul(other: Operand): TensorValue {
    return this.#binary("mul", other);
  }
  div(other: Operand): TensorValue {
    return this.#binary("div", other);
  }
  pow(other: Operand): TensorValue {
    return this.#binary("pow", other);
  }
  maximum(other: Operand): TensorValue {
    return this.#binary("maximum", other);
  }
  minimum(other: Operand): TensorValue {
    return this.#binary("minimum", other);
  }
  matmul(other: Operand): TensorValue {
    return this.#op({ op: "matmul", args: [this.id, this.#operand(other).id] });
  }

  eq(other: Operand): TensorValue {
    return this.#compare("eq", other);
  }
  ne(other: Operand): TensorValue {
    return this.#compare("ne", other);
  }
  lt(other: Operand): TensorValue {
    return this.#compare("lt", other);
  }
  le(other: Operand): TensorValue {
    return this.#compare("le", other);
  }
  gt(other: Operand): TensorValue {
    return this.#compare("gt", other);
  }
  ge(other: Operand): TensorValue {
    return this.#compare("ge", other);
  }
  /** Elementwise `this ? a : b` (this must be bool). */
  where(a: Operand, b: Operand): TensorValue {
    return this.#op({
      op: "where",
      args: [this.id, this.#operand(a).id, this.#operand(b).id],
    });
  }

  neg(): TensorValue {
    return this.#unary("neg");
  }
  abs(): TensorValue {
    return this.#unary("abs");
  }
  exp(): TensorValue {
    return this.#unary("exp");
  }
  log(): TensorValue {
    return this.#unary("log");
  }
  sqrt(): TensorValue {
    return this.#unary("sqrt");
  }
  tanh(): TensorValue {
    return this.#unary("tanh");
  }
  relu(): TensorValue {
    return this.#unary("relu");
  }
  gelu(): TensorValue {
    return this.#unary("gelu");
  }
  sigmoid(): TensorValue {
    return this.#unary("sigmoid");
  }

  /** Sum over `dims` (all when omitted). */
  sum(dims?: number | number[], keepdim = false): TensorValue {
    return this.#reduce("sum", dims, keepdim);
  }
  mean(dims?: number | number[], keepdim = false): TensorValue {
    return this.#reduce("mean", dims, keepdim);
  }
  max(dims?: number | number[], keepdim = false): TensorValue {
    return this.#reduce("max", dims, keepdim);
  }
  min(dims?: number | number[], keepdim = false): TensorValue {
    return this.#reduce("min", dims, keepdim);
  }
  /** Index of the largest element along `dim` (of the flattened tensor when omitted). */
  argmax(dim?: number, keepdim = false): TensorValue {
    return this.#op({
      op: "argmax",
      args: [this.id],
      dim: dim ?? null,
      keepdim,
    });
  }
  argmin(dim?: number, keepdim = false): TensorValue {
    return this.#op({
      op: "argmin",
      args: [this.id],
      dim: dim ?? null,
      keepdim,
    });
  }
  softmax(dim = -1): TensorValue {
    return this.#op({ op: "softmax", args: [this.id], dim });
  }
  logSoftmax(dim = -1): TensorValue {
    return this.#op({ op: "log_softmax", args: [this.id], dim });
  }
  /** The k largest (or smallest) elements along `dim` and their indices. */
  topk(
    k: number,
    { dim = -1, largest = true }: { dim?: number; largest?: boolean } = {},
  ): { values: TensorValue; indices: TensorValue } {
    const make = (part: "values" | "indices") =>
      this.#op({ op: "topk", args: [this.id], k, dim, largest, part });
    return { values: make("values"), indices: make("indices") };
  }
  /** The p-norm over `dims` (all when omitted). */
  norm(p = 2, dims?: number | number[], keepdim = false): TensorValue {
    return this.#op({
      op: "norm",
      args: [this.id],
      p,
      dims: dims === undefined ? null : [dims].flat(),
      keepdim,
    });
  }

  /** A new shape with the same elements; one dimension may be -1. */
  reshape(...shape: number[]): TensorValue {
    return this.#op({ op: "reshape", args: [this.id], shape });
  }
  transpose(dim0: number, dim1: number): TensorValue {
    return this.#op({ op: "transpose", args: [this.id], dims: [dim0, dim1] });
  }
  permute(...dims: number[]): TensorValue {
    return this.#op({ op: "permute", args: [this.id], dims });
  }
  cast(dtype: DType): TensorValue {
    return this.#op({ op: "cast", args: [this.id], dtype });
  }

  /**
   * Marks the value to be returned with the results, under `name` (default: its
   * node id), and returns the value itself, so it can still be used.
   */
  save(name?: string): TensorValue {
    this.#op({ op: "save", args: [this.id], name: name ?? this.id });
    return this;
  }

  #op(draft: Parameters<GraphBuilder["add"]>[0]): TensorValue {
    const builder = activeBuilder();
    if (builder !== this.builder) {
      throw new TraceError(
        "FOREIGN_VALUE",
        `value ${this.id} belongs to another trace: to pass values between traces, build them in one lm.session(...)`,
        { nodeId: this.id },
      );
    }
    return new TensorValue(builder.add(draft), builder);
  }
  #inPlace(op: "add" | "sub" | "mul" | "div", args: InPlaceArgs): TensorValue {
    if (args.length === 1) return this.set(this[op](args[0]));
    const [index, value] = args;
    return this.set(index, this.get(...indexItems(index))[op](value));
  }
  #unary(op: UnaryOp): TensorValue {
    return this.#op({ op, args: [this.id] });
  }
  #binary(op: BinaryOp, other: Operand): TensorValue {
    return this.#op({ op, args: [this.id, this.#operand(other).id] });
  }
  #compare(op: CompareOp, other: Operand): TensorValue {
    return this.#op({ op, args: [this.id, this.#operand(other).id] });
  }
  #reduce(
    op: ReduceOp,
    dims: number | number[] | undefined,
    keepdim: boolean,
  ): TensorValue {
    return this.#op({
      op,
      args: [this.id],
      dims: dims === undefined ? null : [dims].flat(),
      keepdim,
    });
  }
  #operand(value: Operand): TensorValue {
    return toValue(value);
  }
}

/** The module tensor whose gradient `.grad` names, or why it has none. */
function gradTarget(value: TensorValue): ModuleTarget {
  if (!value.target)
    throw new TraceError(
      "BAD_ARGUMENT",
      `value ${value.id} is not a module's input or output (or an operation's output inside one): .grad exists on those only (e.g. lm.transformer.h[5].mlp.output.grad)`,
      { nodeId: value.id },
    );
  if (value.isGrad)
    throw new TraceError(
      "BAD_ARGUMENT",
      `value ${value.id} is a gradient already: Loupe differentiates once (no .grad.grad)`,
      { nodeId: value.id },
    );
  return value.target;
}

/** Turns an operand into a graph value, adding a constant node for plain numbers. */
export function toValue(value: Operand): TensorValue {
  const builder = activeBuilder();
  if (value instanceof TensorValue) {
    if (value.builder !== builder) {
      throw new TraceError(
        "FOREIGN_VALUE",
        `value ${value.id} belongs to another trace: to pass values between traces, build them in one lm.session(...)`,
        { nodeId: value.id },
      );
    }
    return value;
  }
  let encoded;
  try {
    encoded = encodeConstant(
      value,
      typeof value === "number" && !Number.isInteger(value)
        ? "float32"
        : undefined,
    );
  } catch (error) {
    throw new TraceError(
      "BAD_ARGUMENT",
      `cannot make a constant of ${JSON.stringify(value)}: ${(error as Error).message}`,
    );
  }
  return new TensorValue(
    builder.add({ op: "constant", args: [], ...encoded }),
    builder,
  );
}

/** A constant tensor: `constant([[1, 2], [3, 4]], "float32")`. */
export function constant(values: NestedValues, dtype?: DType): TensorValue {
  const builder = activeBuilder();
  return new TensorValue(
    builder.add({ op: "constant", args: [], ...encodeConstant(values, dtype) }),
    builder,
  );
}

/** A tensor the user supplies with the request (its data travels beside the graph). */
export function tensorInput(
  name: string,
  dtype: DType,
  shape: Dim[],
): TensorValue {
  const builder = activeBuilder();
  return new TensorValue(
    builder.add({ op: "tensor", args: [], name, dtype, shape }),
    builder,
  );
}

/** Joins values along an existing dimension. */
export function concat(values: readonly Operand[], dim = 0): TensorValue {
  const builder = activeBuilder();
  if (values.length === 0)
    throw new TraceError("BAD_ARGUMENT", "concat needs at least one value");
  return new TensorValue(
    builder.add({ op: "concat", args: values.map((v) => toValue(v).id), dim }),
    builder,
  );
}

/** Stacks values along a new dimension. */
export function stack(values: readonly Operand[], dim = 0): TensorValue {
  const builder = activeBuilder();
  if (values.length === 0)
    throw new TraceError("BAD_ARGUMENT", "stack needs at least one value");
  return new TensorValue(
    builder.add({ op: "stack", args: values.map((v) => toValue(v).id), dim }),
    builder,
  );
}

/** Elementwise `cond ? a : b`. */
export function where(cond: Operand, a: Operand, b: Operand): TensorValue {
  return toValue(cond).where(a, b);
}

/** An index argument as `.get`'s items: one string stays one (parsed whole). */
function indexItems(index: readonly unknown[] | string): readonly unknown[] {
  return typeof index === "string" ? [index] : index;
}

function parseIndexOrThrow(args: readonly unknown[]): IndexSpec {
  try {
    return parseIndex(args);
  } catch (error) {
    throw new TraceError("BAD_ARGUMENT", (error as Error).message);
  }
}
