import { describe, expect, it } from "vitest";
import type { GraphNode } from "../format/graph-schema.ts";
import { MODEL_OPS, type Op } from "../ir/ops.ts";
import { promoteTypes, shapeRules } from "./shape-rules.ts";
import type { ValueType } from "./value-type.ts";

const f32 = (...shape: (number | string)[]): ValueType => ({
  dtype: "float32",
  shape,
});
const i64 = (...shape: (number | string)[]): ValueType => ({
  dtype: "int64",
  shape,
});
const bool = (...shape: (number | string)[]): ValueType => ({
  dtype: "bool",
  shape,
});
const scalar = (dtype: ValueType["dtype"]): ValueType => ({
  dtype,
  shape: [],
  weakScalar: true,
});

type Case = [
  string,
  Op,
  Record<string, unknown>,
  ValueType[],
  ValueType | string,
];

/** One row per rule (and per branch that matters): op, attributes, input types → output type or error. */
const cases: Case[] = [
  [
    "add broadcasts",
    "add",
    {},
    [f32("batch", "seq", 768), f32(768)],
    f32("batch", "seq", 768),
  ],
  ["add of 1 and n", "add", {}, [f32(4, 1), f32(1, 5)], f32(4, 5)],
  [
    "add: shapes that do not broadcast",
    "add",
    {},
    [f32(4, 3), f32(5)],
    "inputs have shapes [4,3] and [5], which do not broadcast",
  ],
  [
    "add: a plain number keeps the tensor's type",
    "add",
    {},
    [i64(3), scalar("int64")],
    i64(3),
  ],
  [
    "mul: a float number widens an int tensor",
    "mul",
    {},
    [i64(3), scalar("float32")],
    f32(3),
  ],
  ["sub: tensors promote", "sub", {}, [i64(3), f32(3)], f32(3)],
  ["div is true division", "div", {}, [i64(3), i64(3)], f32(3)],
  ["pow", "pow", {}, [f32(2, 2), scalar("float32")], f32(2, 2)],
  ["maximum", "maximum", {}, [f32(2), f32(2)], f32(2)],
  ["minimum", "minimum", {}, [f32(2), f32(1)], f32(2)],
  ["eq gives bool", "eq", {}, [i64(5), scalar("int64")], bool(5)],
  ["lt", "lt", {}, [f32(2, 3), f32(3)], bool(2, 3)],
  ["ne", "ne", {}, [f32(2), f32(2)], bool(2)],
  ["le", "le", {}, [f32(2), f32(2)], bool(2)],
  ["gt", "gt", {}, [f32(2), f32(2)], bool(2)],
  ["ge", "ge", {}, [f32(2), f32(2)], bool(2)],
  ["where", "where", {}, [bool(2, 1), f32(3), scalar("float32")], f32(2, 3)],
  [
    "where needs a bool condition",
    "where",
    {},
    [f32(2), f32(2), f32(2)],
    "input 0 (the condition) is float32, expected bool",
  ],
  [
    "matmul",
    "matmul",
    {},
    [f32("batch", 5, 768), f32(768, 50257)],
    f32("batch", 5, 50257),
  ],
  ["matmul of vectors", "matmul", {}, [f32(768), f32(768)], f32()],
  [
    "matmul with batch broadcast",
    "matmul",
    {},
    [f32(2, 1, 3, 4), f32(5, 4, 6)],
    f32(2, 5, 3, 6),
  ],
  [
    "matmul: inner mismatch",
    "matmul",
    {},
    [f32(3, 4), f32(5, 6)],
    "input 1 has shape [5,6], expected [4,*]",
  ],
  [
    "matmul of a scalar",
    "matmul",
    {},
    [f32(), f32(3)],
    "matmul needs tensors of rank 1 or more, got a scalar",
  ],
  ["neg keeps dtype", "neg", {}, [i64(3)], i64(3)],
  [
    "abs of bool is an error",
    "abs",
    {},
    [bool(3)],
    "input 0 is bool; abs needs numbers",
  ],
  ["relu", "relu", {}, [f32(3)], f32(3)],
  ["exp of ints is float", "exp", {}, [i64(3)], f32(3)],
  ["log", "log", {}, [f32(3)], f32(3)],
  ["sqrt", "sqrt", {}, [f32(3)], f32(3)],
  ["tanh", "tanh", {}, [f32(3)], f32(3)],
  ["gelu", "gelu", {}, [f32(3)], f32(3)],
  ["sigmoid", "sigmoid", {}, [f32(3)], f32(3)],
  [
    "sum over dims",
    "sum",
    { dims: [0, -1], keepdim: false },
    [f32(2, 3, 4)],
    f32(3),
  ],
  [
    "sum keepdim",
    "sum",
    { dims: [1], keepdim: true },
    [f32(2, 3, 4)],
    f32(2, 1, 4),
  ],
  [
    "sum of bools counts",
    "sum",
    { dims: null, keepdim: false },
    [bool(5)],
    i64(),
  ],
  [
    "mean of ints is float",
    "mean",
    { dims: null, keepdim: true },
    [i64(2, 3)],
    f32(1, 1),
  ],
  ["max", "max", { dims: [0], keepdim: false }, [i64(2, 3)], i64(3)],
  [
    "min: dimension out of range",
    "min",
    { dims: [2], keepdim: false },
    [f32(2, 3)],
    "dimension 2 is out of range for rank 2",
  ],
  [
    "sum: a dimension twice",
    "sum",
    { dims: [1, -1], keepdim: false },
    [f32(2, 3)],
    "dimension -1 is given twice",
  ],
  [
    "argmax",
    "argmax",
    { dim: -1, keepdim: false },
    [f32("batch", 50257)],
    i64("batch"),
  ],
  [
    "argmin flattened",
    "argmin",
    { dim: null, keepdim: false },
    [f32(2, 3)],
    i64(),
  ],
  ["softmax", "softmax", { dim: -1 }, [i64(2, 3)], f32(2, 3)],
  [
    "log_softmax: dimension out of range",
    "log_softmax",
    { dim: 3 },
    [f32(2, 3)],
    "dimension 3 is out of range for rank 2",
  ],
  [
    "topk values",
    "topk",
    { k: 5, dim: -1, largest: true, part: "values" },
    [f32(2, 100)],
    f32(2, 5),
  ],
  [
    "topk indices",
    "topk",
    { k: 5, dim: 0, largest: false, part: "indices" },
    [f32(8, 3)],
    i64(5, 3),
  ],
  [
    "topk: k too large",
    "topk",
    { k: 5, dim: -1, largest: true, part: "values" },
    [f32(2, 3)],
    "k = 5 is larger than dimension -1 (size 3)",
  ],
  [
    "norm",
    "norm",
    { p: 2, dims: [-1], keepdim: true },
    [f32(2, 768)],
    f32(2, 1),
  ],
  [
    "reshape with -1",
    "reshape",
    { shape: [-1, 64] },
    [f32(2, 3, 128)],
    f32(12, 64),
  ],
  [
    "reshape: wrong size",
    "reshape",
    { shape: [5, 5] },
    [f32(2, 3)],
    "cannot reshape [2,3] (6 elements) to [5,5] (25 elements)",
  ],
  [
    "reshape: two -1",
    "reshape",
    { shape: [-1, -1] },
    [f32(6)],
    "at most one dimension can be -1",
  ],
  [
    "reshape of a symbolic shape",
    "reshape",
    { shape: [-1, 768] },
    [f32("batch", "seq", 768)],
    f32("?", 768),
  ],
  ["transpose", "transpose", { dims: [0, -1] }, [f32(2, 3, 4)], f32(4, 3, 2)],
  [
    "transpose: out of range",
    "transpose",
    { dims: [0, 3] },
    [f32(2, 3)],
    "dimensions 0, 3 are out of range for rank 2",
  ],
  ["permute", "permute", { dims: [2, 0, 1] }, [f32(2, 3, 4)], f32(4, 2, 3)],
  [
    "permute: not a permutation",
    "permute",
    { dims: [0, 0, 1] },
    [f32(2, 3, 4)],
    "dims [0,0,1] are not a permutation of the 3 dimensions",
  ],
  ["concat", "concat", { dim: 1 }, [f32(2, 3), f32(2, 5)], f32(2, 8)],
  [
    "concat of symbolic lengths",
    "concat",
    { dim: 1 },
    [f32(1, "seq", 4), f32(1, 2, 4)],
    f32(1, "?", 4),
  ],
  [
    "concat: other dimensions differ",
    "concat",
    { dim: 0 },
    [f32(2, 3), f32(2, 4)],
    "input 1 has shape [2,4], expected [*,3]",
  ],
  [
    "stack",
    "stack",
    { dim: 0 },
    [f32(2, 3), f32(2, 3), f32(2, 3)],
    f32(3, 2, 3),
  ],
  [
    "stack: shapes differ",
    "stack",
    { dim: -1 },
    [f32(2, 3), f32(3, 2)],
    "input 1 has shape [3,2], expected [2,3]",
  ],
  ["cast", "cast", { dtype: "int64" }, [f32(2)], i64(2)],
  [
    "getitem",
    "getitem",
    { index: [{ slice: [null, null, null] }, -1] },
    [f32("batch", "seq", 768)],
    f32("batch", 768),
  ],
  [
    "getitem out of range",
    "getitem",
    { index: [3] },
    [f32(2)],
    "index 3 is out of range for axis 0 of size 2",
  ],
  [
    "setitem",
    "setitem",
    { index: [{ slice: [null, null, null] }, 0] },
    [f32(2, 5), f32(2)],
    f32(2, 5),
  ],
  [
    "setitem: value too big",
    "setitem",
    { index: [0] },
    [f32(2, 5), f32(2, 5)],
    "value of shape [2,5] does not fit the indexed region [5]",
  ],
  ["save passes its value", "save", { name: "x" }, [f32(3)], f32(3)],
  [
    "constant",
    "constant",
    { dtype: "int64", shape: [2], data: "" },
    [],
    i64(2),
  ],
  [
    "tensor input",
    "tensor",
    { name: "dir", dtype: "float32", shape: [768] },
    [],
    f32(768),
  ],
];

describe("shape rules", () => {
  it.each(cases)("%s", (_, op, attrs, args, expected) => {
    const node = {
      id: "n9",
      trace: 0,
      invoke: 0,
      op,
      args: args.map((_, i) => `n${i}`),
      ...attrs,
    } as GraphNode;
    const result = shapeRules[op](node, args);
    if (typeof expected === "string")
      expect(result).toEqual({ error: expected });
    else
      expect(result).toEqual({
        type: expect.objectContaining({
          dtype: expected.dtype,
          shape: expected.shape,
        }),
      });
  });

  it("has a case for every value operation", () => {
    const covered = new Set(cases.map((c) => c[1]));
    expect(
      Object.keys(shapeRules).filter(
        (op) =>
          !(MODEL_OPS as readonly string[]).includes(op) &&
          !covered.has(op as Op),
      ),
    ).toEqual([]);
  });
});

describe("type promotion with plain numbers (PyTorch's rule)", () => {
  const t = (dtype: ValueType["dtype"], weakScalar = false): ValueType => ({
    dtype,
    shape: weakScalar ? [] : [2],
    ...(weakScalar ? { weakScalar } : {}),
  });
  it("lifts a tensor to the default type of a higher-category number only", () => {
    expect(promoteTypes(t("bool"), t("int64", true))).toBe("int64");
    expect(promoteTypes(t("bool"), t("float32", true))).toBe("float32");
    expect(promoteTypes(t("int32"), t("int64", true))).toBe("int32");
    expect(promoteTypes(t("int64"), t("float32", true))).toBe("float32");
    expect(promoteTypes(t("float16"), t("float32", true))).toBe("float16");
    expect(promoteTypes(t("float16", true), t("bool"))).toBe("float32");
    expect(promoteTypes(t("bool"), t("bool", true))).toBe("bool");
  });
});
