import * as ort from "onnxruntime-node";
import { OnnxElementType } from "@loupe/graph";
import { describe, expect, it } from "vitest";
import {
  int64Tensor,
  writeModel,
  type AttributeValue,
  type NodeSpec,
  type TensorData,
} from "../onnx/onnx-bytes.ts";
import { buildBackward } from "./build-backward.ts";
import { GradientError } from "./gradient-error.ts";
import type { Program } from "./program.ts";

/**
 * Every rule against central finite differences, in float64 (ONNX Runtime
 * has double kernels for these operators) so that the numerical gradient is
 * accurate to ~1e-8 and the comparison can be tight. Inputs are random but
 * seeded; the loss is sum(output * r) for a random r, so every element of the
 * output's gradient is exercised.
 */

type Input = {
  name: string;
  dims: number[];
  /** Values; random in [lo, hi) when absent. */
  data?: number[];
  type?: "double" | "float" | "int64" | "bool";
  lo?: number;
  hi?: number;
};

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const ONNX_TYPES = {
  double: OnnxElementType.DOUBLE,
  float: OnnxElementType.FLOAT,
  int64: OnnxElementType.INT64,
  bool: OnnxElementType.BOOL,
} as const;

function node(
  opType: string,
  input: string[],
  output: string | string[],
  attributes: Record<string, AttributeValue> = {},
): NodeSpec {
  return {
    opType,
    input,
    output: typeof output === "string" ? [output] : output,
    attributes,
  };
}

const ints = (name: string, values: number[]): TensorData =>
  int64Tensor(name, values);

function program(
  nodes: NodeSpec[],
  inputs: Input[],
  outputs: string[],
  inits: TensorData[],
  opset: number,
): Program {
  return {
    irVersion: 8,
    opsetImports: [{ domain: "", version: opset }],
    opset,
    nodes,
    initializers: inits,
    inputs: inputs.map((i) => ({
      name: i.name,
      elemType: ONNX_TYPES[i.type ?? "double"],
    })),
    outputs: outputs.map((o) => ({
      name: o,
      elemType: ONNX_TYPES.double,
    })),
  };
}

function tensorOf(i: Input, data: number[]): ort.Tensor {
  const type = i.type ?? "double";
  if (type === "int64")
    return new ort.Tensor(
      "int64",
      BigInt64Array.from(data.map(BigInt)),
      i.dims,
    );
  if (type === "bool")
    return new ort.Tensor("bool", Uint8Array.from(data), i.dims);
  return new ort.Tensor(
    type === "double" ? "float64" : "float32",
    type === "double" ? Float64Array.from(data) : Float32Array.from(data),
    i.dims,
  );
}

async function check(
  nodes: NodeSpec[],
  inputs: Input[],
  outputs: string[],
  options: {
    wrt?: string[];
    inits?: TensorData[];
    opset?: number;
    outputType?: "double" | "float";
    tolerance?: number;
  } = {},
) {
  const random = rng(7);
  const opset = options.opset ?? 18;
  const values = inputs.map(
    (i) =>
      i.data ??
      Array.from(
        { length: i.dims.reduce((a, b) => a * b, 1) },
        () => (i.lo ?? -1) + ((i.hi ?? 1) - (i.lo ?? -1)) * random(),
      ),
  );
  const p = program(nodes, inputs, outputs, options.inits ?? [], opset);
  const forward = await ort.InferenceSession.create(
    writeModel({
      ...p,
      outputs: p.outputs.map((o) => ({
        ...o,
        elemType: ONNX_TYPES[options.outputType ?? "double"],
      })),
    }),
  );
  const wrt =
    options.wrt ??
    inputs.filter((i) => (i.type ?? "double") === "double").map((i) => i.name);
  const feeds = (vals: number[][]) =>
    Object.fromEntries(inputs.map((i, k) => [i.name, tensorOf(i, vals[k]!)]));
  const base = await forward.run(feeds(values));
  const weights = outputs.map((o) =>
    Array.from({ length: base[o]!.data.length }, () => random() * 2 - 1),
  );
  const loss = async (vals: number[][]) => {
    const out = await forward.run(feeds(vals));
    let s = 0;
    outputs.forEach((o, k) =>
      (out[o]!.data as Float64Array).forEach(
        (v, j) => (s += v * weights[k]![j]!),
      ),
    );
    return s;
  };
  const ranks = new Map(inputs.map((i) => [i.name, i.dims.length]));
  const back = buildBackward(
    {
      ...p,
      outputs: p.outputs.map((o) => ({
        ...o,
        elemType: ONNX_TYPES[options.outputType ?? "double"],
      })),
    },
    { seeds: outputs, wrt, inputRanks: ranks },
  );
  const session = await ort.InferenceSession.create(back.bytes);
  const bfeeds: Record<string, ort.Tensor> = {};
  const all = feeds(values);
  for (const name of session.inputNames) {
    if (all[name]) bfeeds[name] = all[name];
    else {
      const o = [...back.seedInputs].find(([, s]) => s === name)![0];
      const k = outputs.indexOf(o);
      const dims = base[o]!.dims as number[];
      bfeeds[name] =
        options.outputType === "float"
          ? new ort.Tensor("float32", Float32Array.from(weights[k]!), dims)
          : new ort.Tensor("float64", Float64Array.from(weights[k]!), dims);
    }
  }
  const grads = await session.run(bfeeds);
  const eps = options.outputType === "float" ? 1e-2 : 1e-6;
  const tol = options.tolerance ?? 1e-6;
  for (const name of wrt) {
    const k = inputs.findIndex((i) => i.name === name);
    const outName = back.gradOutputs.get(name);
    const analytic = outName
      ? Array.from(grads[outName]!.data as Float64Array, Number)
      : values[k]!.map(() => 0);
    expect(analytic.length, `gradient of ${name}`).toBe(values[k]!.length);
    for (let j = 0; j < values[k]!.length; j++) {
      const plus = values.map((v) => [...v]);
      const minus = values.map((v) => [...v]);
      plus[k]![j]! += eps;
      minus[k]![j]! -= eps;
      const numeric = ((await loss(plus)) - (await loss(minus))) / (2 * eps);
      const scale = Math.max(1, Math.abs(numeric));
      expect(
        Math.abs(analytic[j]! - numeric) / scale,
        `d loss / d ${name}[${j}]: analytic ${analytic[j]} vs numeric ${numeric}`,
      ).toBeLessThan(tol);
    }
  }
}

const x = (dims: number[], extra: Partial<Input> = {}): Input => ({
  name: "x",
  dims,
  ...extra,
});
const y = (dims: number[], extra: Partial<Input> = {}): Input => ({
  name: "y",
  dims,
  ...extra,
});

describe("buildBackward: each rule against finite differences (float64)", () => {
  it.each(["Add", "Sub", "Mul", "Div", "Max", "Min"])(
    "%s with broadcasting on both sides",
    async (op) => {
      await check(
        [node(op, ["x", "y"], "out")],
        [x([2, 1, 4]), y([3, 1], op === "Div" ? { lo: 0.5, hi: 2 } : {})],
        ["out"],
      );
    },
  );

  it("Pow of a positive base and exponent, both differentiated", async () => {
    await check(
      [node("Pow", ["x", "y"], "out")],
      [x([2, 3], { lo: 0.5, hi: 2 }), y([3])],
      ["out"],
    );
  });

  it.each([
    ["Neg", {}],
    ["Abs", {}],
    ["Exp", {}],
    ["Log", { lo: 0.5, hi: 2 }],
    ["Sqrt", { lo: 0.5, hi: 2 }],
    ["Reciprocal", { lo: 0.5, hi: 2 }],
    ["Tanh", {}],
    ["Sigmoid", {}],
    ["Relu", {}],
    ["Sin", {}],
    ["Cos", {}],
    ["Identity", {}],
  ] as const)("%s", async (op, range) => {
    await check([node(op, ["x"], "out")], [x([3, 4], range)], ["out"]);
  });

  it("Erf (float32 kernels only: finite differences at eps 1e-2)", async () => {
    await check(
      [node("Erf", ["x"], "out")],
      [x([3, 4], { type: "float" })],
      ["out"],
      { wrt: ["x"], outputType: "float", tolerance: 2e-3 },
    );
  });

  it.each(["none", "tanh"])(
    "Gelu, approximate=%s (opset 20, float32 kernel: finite differences at eps 1e-2)",
    async (approximate) => {
      await check(
        [node("Gelu", ["x"], "out", { approximate: { string: approximate } })],
        [x([3, 4], { type: "float" })],
        ["out"],
        { wrt: ["x"], outputType: "float", tolerance: 2e-3, opset: 20 },
      );
    },
  );

  it("ReduceMean with axes folded from a constant subgraph (dynamo: Reshape(Constant, Constant))", async () => {
    await check(
      [
        node("Constant", [], "axes_flat", {
          value: {
            tensor: {
              dataType: OnnxElementType.INT64,
              dims: [],
              raw: new Uint8Array(new BigInt64Array([-1n]).buffer),
            },
          },
        }),
        node("Constant", [], "shape1", {
          value: {
            tensor: {
              dataType: OnnxElementType.INT64,
              dims: [1],
              raw: new Uint8Array(new BigInt64Array([1n]).buffer),
            },
          },
        }),
        node("Reshape", ["axes_flat", "shape1"], "axes"),
        node("ReduceMean", ["x", "axes"], "out", { keepdims: { int: 1 } }),
      ],
      [x([3, 4])],
      ["out"],
      { wrt: ["x"] },
    );
  });

  it.each([
    [
      [2, 3, 4],
      [4, 5],
    ],
    [
      [2, 3, 4, 5],
      [2, 3, 5, 2],
    ],
    [[4], [4, 3]],
    [[3, 4], [4]],
    [
      [1, 3, 4],
      [2, 4, 2],
    ],
  ])("MatMul %j @ %j", async (a, b) => {
    await check([node("MatMul", ["x", "y"], "out")], [x(a), y(b)], ["out"]);
  });

  it.each([
    [0, 0, [3, 4], [4, 5]],
    [1, 0, [4, 3], [4, 5]],
    [0, 1, [3, 4], [5, 4]],
    [1, 1, [4, 3], [5, 4]],
  ])(
    "Gemm transA=%i transB=%i with alpha, beta and a bias",
    async (ta, tb, a, b) => {
      await check(
        [
          node("Gemm", ["x", "y", "z"], "out", {
            transA: { int: ta },
            transB: { int: tb },
            alpha: { float: 0.5 },
            beta: { float: 2 },
          }),
        ],
        [x(a), y(b), { name: "z", dims: [5] }],
        ["out"],
      );
    },
  );

  it.each([-1, 1])("Softmax and LogSoftmax over axis %i", async (axis) => {
    await check(
      [
        node("Softmax", ["x"], "s", { axis: { int: axis } }),
        node("LogSoftmax", ["x"], "l", { axis: { int: axis } }),
      ],
      [x([2, 3, 4])],
      ["s", "l"],
    );
  });

  it.each([
    ["ReduceMean", 0],
    ["ReduceMean", 1],
    ["ReduceSum", 0],
    ["ReduceMax", 1],
    ["ReduceMin", 0],
    ["ReduceL2", 1],
  ] as const)("%s over axes (1, -1), keepdims=%i", async (op, keep) => {
    await check(
      [node(op, ["x", "axes"], "out", { keepdims: { int: keep } })],
      [x([2, 3, 4])],
      ["out"],
      { inits: [ints("axes", [1, -1])] },
    );
  });

  it("ReduceMean with its axes attribute (opset 14, as TorchScript exports)", async () => {
    await check(
      [
        node("ReduceMean", ["x"], "out", {
          axes: { ints: [-1] },
          keepdims: { int: 1 },
        }),
      ],
      [x([2, 3, 4])],
      ["out"],
      { opset: 14 },
    );
  });

  it("Reshape, Transpose, Unsqueeze, Squeeze, Expand, Flatten in a chain", async () => {
    await check(
      [
        node("Reshape", ["x", "shape"], "r"),
        node("Transpose", ["r"], "t", { perm: { ints: [2, 0, 1] } }),
        node("Unsqueeze", ["t", "ax0"], "u"),
        node("Expand", ["u", "big"], "e"),
        node("Squeeze", ["e", "ax1"], "s"),
        node("Flatten", ["s"], "out", { axis: { int: 1 } }),
      ],
      [x([6, 4])],
      ["out"],
      {
        inits: [
          ints("shape", [2, 3, 4]),
          ints("ax0", [1]),
          ints("big", [4, 1, 2, 3]),
          ints("ax1", [1]),
        ],
      },
    );
  });

  it("Concat and Split (sizes as input), one split output unused", async () => {
    await check(
      [
        node("Concat", ["x", "y"], "c", { axis: { int: -1 } }),
        node("Split", ["c", "sizes"], ["a", "b", "unused"], {
          axis: { int: -1 },
        }),
        node("Mul", ["a", "b"], "out"),
      ],
      [x([2, 3]), y([2, 4])],
      ["out"],
      { inits: [ints("sizes", [3, 3, 1])] },
    );
  });

  it("Slice with negative starts and a step of 2", async () => {
    await check(
      [node("Slice", ["x", "st", "en", "ax", "sp"], "out")],
      [x([3, 7])],
      ["out"],
      {
        inits: [
          ints("st", [-6]),
          ints("en", [100]),
          ints("ax", [1]),
          ints("sp", [2]),
        ],
      },
    );
  });

  it("Gather with a scalar index and with a list that repeats an index", async () => {
    await check(
      [
        node("Gather", ["x", "i"], "a", { axis: { int: 1 } }),
        node("Gather", ["x", "list"], "b", { axis: { int: -1 } }),
      ],
      [x([2, 3, 4]), { name: "i", dims: [], data: [-1], type: "int64" }],
      ["a", "b"],
      { inits: [ints("list", [0, 2, 2, 3])] },
    );
  });

  it("Where with a broadcast condition, both branches differentiated", async () => {
    await check(
      [node("Where", ["c", "x", "y"], "out")],
      [
        { name: "c", dims: [1, 4], data: [1, 0, 0, 1], type: "bool" },
        x([3, 4]),
        y([3, 1]),
      ],
      ["out"],
    );
  });

  it("a write into a window: Pad, ScatterElements and Where as segments lower it", async () => {
    // The splice exactly as segments write it (see run-segment.ts).
    await check(
      [
        node("Pad", ["y", "pads"], "padded"),
        node("Pad", ["ones", "pads"], "inside_f"),
        node("Cast", ["inside_f"], "inside", {
          to: { int: OnnxElementType.BOOL },
        }),
        node("Where", ["inside", "padded", "x"], "w"),
        node("ScatterElements", ["w", "idx", "upd"], "out", {
          axis: { int: 1 },
        }),
      ],
      [
        x([3, 5]),
        y([2, 2]),
        { name: "ones", dims: [2, 2], data: [1, 1, 1, 1] },
        { name: "idx", dims: [3, 1], data: [4, 0, 4], type: "int64" },
        { name: "upd", dims: [3, 1] },
      ],
      ["out"],
      { wrt: ["x", "y", "upd"], inits: [ints("pads", [1, 2, 0, 1])] },
    );
  });

  it("TopK values", async () => {
    await check(
      [node("TopK", ["x", "k"], ["v", "i"], { axis: { int: -1 } })],
      [x([3, 5])],
      ["v"],
      { inits: [ints("k", [2])] },
    );
  });

  it.each([-1, -2, 1])(
    "LayerNormalization over axis %i, scale and bias differentiated too",
    async (axis) => {
      await check(
        [
          node("LayerNormalization", ["x", "scale", "bias"], "out", {
            axis: { int: axis },
            epsilon: { float: 1e-5 },
          }),
        ],
        [
          x([2, 3, 4]),
          { name: "scale", dims: axis === 1 || axis === -2 ? [3, 4] : [4] },
          { name: "bias", dims: axis === 1 || axis === -2 ? [3, 4] : [4] },
        ],
        ["out"],
        { opset: 17 },
      );
    },
  );

  it("SplitToSequence and SequenceAt (a dynamo export's split), as Slices", async () => {
    const scalar = (name: string, v: number) => int64Tensor(name, [v], true);
    await check(
      [
        node("SplitToSequence", ["x", "size"], "seq", { axis: { int: 1 } }),
        node("SequenceAt", ["seq", "k0"], "a"),
        node("SequenceAt", ["seq", "k2"], "c"),
        node("Mul", ["a", "c"], "out"),
      ],
      [x([2, 6])],
      ["out"],
      { inits: [scalar("size", 2), scalar("k0", 0), scalar("k2", 2)] },
    );
  });

  it("a GPT-2 block's arithmetic: layer norm by decomposition, then gelu_new", async () => {
    const half = {
      name: "half",
      dataType: OnnxElementType.DOUBLE,
      dims: [],
      raw: f64(0.5),
    };
    const three = {
      name: "three",
      dataType: OnnxElementType.DOUBLE,
      dims: [],
      raw: f64(3),
    };
    const c = {
      name: "c",
      dataType: OnnxElementType.DOUBLE,
      dims: [],
      raw: f64(0.044715),
    };
    const k = {
      name: "k",
      dataType: OnnxElementType.DOUBLE,
      dims: [],
      raw: f64(0.7978845608),
    };
    const one = {
      name: "one",
      dataType: OnnxElementType.DOUBLE,
      dims: [],
      raw: f64(1),
    };
    const two = {
      name: "two",
      dataType: OnnxElementType.DOUBLE,
      dims: [],
      raw: f64(2),
    };
    const epsv = {
      name: "epsv",
      dataType: OnnxElementType.DOUBLE,
      dims: [],
      raw: f64(1e-5),
    };
    await check(
      [
        node("ReduceMean", ["x", "last"], "mu"),
        node("Sub", ["x", "mu"], "d"),
        node("Pow", ["d", "two"], "d2"),
        node("ReduceMean", ["d2", "last"], "var"),
        node("Add", ["var", "epsv"], "ve"),
        node("Sqrt", ["ve"], "sd"),
        node("Div", ["d", "sd"], "n"),
        node("Mul", ["n", "gamma"], "ng"),
        node("Add", ["ng", "beta"], "h"),
        node("Pow", ["h", "three"], "h3"),
        node("Mul", ["h3", "c"], "h3c"),
        node("Add", ["h", "h3c"], "inner"),
        node("Mul", ["inner", "k"], "ik"),
        node("Tanh", ["ik"], "t"),
        node("Add", ["t", "one"], "t1"),
        node("Mul", ["h", "half"], "hh"),
        node("Mul", ["hh", "t1"], "out"),
      ],
      [x([2, 3, 6]), { name: "gamma", dims: [6] }, { name: "beta", dims: [6] }],
      ["out"],
      { inits: [ints("last", [-1]), half, three, c, k, one, two, epsv] },
    );
  });
});

function f64(v: number): Uint8Array {
  const raw = new Uint8Array(8);
  new DataView(raw.buffer).setFloat64(0, v, true);
  return raw;
}

describe("buildBackward: what it refuses", () => {
  it("names an operator without a rule on the gradient's path", () => {
    const p = program(
      [
        node("Einsum", ["x", "y"], "out", {
          equation: { string: "ij,jk->ik" },
        }),
      ],
      [x([2, 3]), y([3, 2])],
      ["out"],
      [],
      18,
    );
    expect(() =>
      buildBackward(p, {
        seeds: ["out"],
        wrt: ["x"],
        inputRanks: new Map([
          ["x", 2],
          ["y", 2],
        ]),
      }),
    ).toThrow(
      new GradientError(
        "no gradient rule for ONNX operator Einsum (on the path from the differentiated tensors to the result)",
      ),
    );
  });

  it("ignores an operator without a rule off the path (an integer shape computation)", () => {
    const p = program(
      [
        node("Shape", ["x"], "s"),
        node("Einsum", ["s"], "unused", { equation: { string: "i->i" } }),
        node("Tanh", ["x"], "out"),
      ],
      [x([2, 3])],
      ["out"],
      [],
      18,
    );
    const back = buildBackward(p, {
      seeds: ["out"],
      wrt: ["x"],
      inputRanks: new Map([["x", 2]]),
    });
    expect([...back.gradOutputs.keys()]).toEqual(["x"]);
  });
});
