import { inferOutputTypes } from "../model/element-types.ts";
import {
  initializerName,
  initializerValues,
  type NodeView,
  type Program,
} from "./program.ts";

/** What is known of a tensor before running: element type, rank, constant values. */
export interface TensorFact {
  elemType?: number;
  rank?: number;
  /** Dims, where known (initializers, constants, 1-D vectors of known length). */
  dims?: readonly (number | undefined)[];
  /** Values of a small constant (axes, shapes, scalars), where known. */
  value?: readonly number[];
}

/**
 * Static facts of every tensor of a program, from its inputs' types and ranks:
 * the gradient rules need ranks (a batched MatMul's transpose), element types
 * (the zeros they create) and constant axes. Exports compute shapes with small
 * integer subgraphs (Shape → Gather → Unsqueeze → Concat → Reshape), so 1-D
 * lengths and constant values are followed through those operators; anything
 * else is left unknown and a rule that needs it says so.
 */
export function tensorFacts(
  program: Program,
  nodes: readonly NodeView[],
  inputRanks: ReadonlyMap<string, number>,
): Map<string, TensorFact> {
  const facts = new Map<string, TensorFact>();
  for (const i of program.inputs)
    facts.set(i.name, {
      elemType: i.elemType,
      rank: inputRanks.get(i.name) ?? i.shape?.length,
    });
  for (const init of program.initializers) {
    const c = initializerValues(init);
    facts.set(initializerName(init), {
      elemType: init.dataType,
      rank: init.dims.length,
      dims: init.dims,
      value: c?.truncated ? undefined : c?.values,
    });
  }
  const rank = (t: string | undefined) => (t ? facts.get(t)?.rank : undefined);
  const value = (t: string | undefined) =>
    t ? facts.get(t)?.value : undefined;
  const length = (t: string | undefined): number | undefined => {
    if (!t) return undefined;
    const f = facts.get(t);
    if (f?.rank !== 1) return undefined;
    return f.dims?.[0] ?? f.value?.length;
  };
  for (const n of nodes) {
    const types = inferOutputTypes(
      {
        opType: n.opType,
        input: n.input,
        output: n.output,
        ints: new Proxy(
          {},
          {
            get: (_, k) => (typeof k === "string" ? n.int(k) : undefined),
            has: (_, k) => typeof k === "string" && n.int(k) !== undefined,
          },
        ),
        tensorTypes: new Proxy(
          {},
          {
            get: (_, k) =>
              typeof k === "string" ? n.tensor(k)?.dataType : undefined,
          },
        ),
      },
      (t) => facts.get(t)?.elemType,
    );
    const out = (j: number, f: Omit<TensorFact, "elemType">) => {
      const t = n.output[j];
      if (!t) return;
      facts.set(t, { elemType: types[j], ...f });
    };
    const r0 = rank(n.input[0]);
    const axesOf = (): readonly number[] | undefined =>
      n.ints("axes") ?? value(n.input[1]);
    switch (n.opType) {
      case "Constant": {
        const c = n.tensor("value");
        const vi = n.int("value_int");
        const vis = n.ints("value_ints");
        const vf = n.float("value_float");
        if (c) out(0, { rank: c.dims.length, dims: c.dims, value: c.values });
        else if (vi !== undefined) out(0, { rank: 0, dims: [], value: [vi] });
        else if (vis) out(0, { rank: 1, dims: [vis.length], value: vis });
        else if (vf !== undefined) out(0, { rank: 0, dims: [], value: [vf] });
        else out(0, {});
        break;
      }
      case "Shape": {
        const start = n.int("start") ?? 0;
        const end = n.int("end");
        let len = r0;
        if (r0 !== undefined) {
          const norm = (x: number) =>
            Math.min(Math.max(x < 0 ? x + r0 : x, 0), r0);
          len = Math.max(0, norm(end ?? r0) - norm(start));
        }
        out(0, { rank: 1, dims: [len] });
        break;
      }
      case "Size":
        out(0, { rank: 0, dims: [] });
        break;
      case "ConstantOfShape":
        out(0, { rank: length(n.input[0]) });
        break;
      case "Range":
      case "NonZero":
        out(0, { rank: n.opType === "Range" ? 1 : 2 });
        break;
      case "Gather": {
        const ri = rank(n.input[1]);
        const v = value(n.input[0]);
        const idx = value(n.input[1]);
        const f: TensorFact = {
          rank: r0 !== undefined && ri !== undefined ? r0 - 1 + ri : undefined,
        };
        if (r0 === 1 && v && idx && ri !== undefined)
          Object.assign(f, {
            value: idx.map((i) => v[i < 0 ? i + v.length : i]!),
            dims: ri === 0 ? [] : [idx.length],
          });
        out(0, f);
        break;
      }
      case "Unsqueeze": {
        const axes = axesOf();
        const v = value(n.input[0]);
        out(0, {
          rank:
            r0 !== undefined && axes !== undefined
              ? r0 + axes.length
              : undefined,
          ...(r0 === 0 && axes?.length === 1
            ? { dims: [1], value: v }
            : r0 === 1 && axes?.length === 1
              ? { dims: undefined }
              : {}),
        });
        break;
      }
      case "Squeeze": {
        const axes = axesOf();
        out(0, {
          rank:
            r0 !== undefined && axes !== undefined
              ? r0 - axes.length
              : undefined,
        });
        break;
      }
      case "Concat": {
        const lens = n.input.map(length);
        const values = n.input.map(value);
        out(0, {
          rank: r0,
          ...(r0 === 1 && lens.every((l) => l !== undefined)
            ? {
                dims: [lens.reduce((a, b) => a + b, 0)],
                ...(values.every((v) => v)
                  ? { value: values.flatMap((v) => v!) }
                  : {}),
              }
            : {}),
        });
        break;
      }
      case "Slice": {
        const len = length(n.input[0]);
        const [st, en, ax, sp] = [2, 3, 4, 5].map((k) => value(n.input[k - 1]));
        let dims: (number | undefined)[] | undefined;
        if (r0 === 1 && len !== undefined && st && en && (!ax || ax[0] === 0)) {
          const step = sp?.[0] ?? 1;
          const clamp = (x: number, lo: number, hi: number) =>
            Math.min(Math.max(x, lo), hi);
          const norm = (x: number) => (x < 0 ? x + len : x);
          if (step > 0) {
            const s = clamp(norm(st[0]!), 0, len);
            const e = clamp(norm(en[0]!), 0, len);
            dims = [Math.max(0, Math.ceil((e - s) / step))];
          }
        }
        out(0, { rank: r0, dims });
        break;
      }
      case "Reshape": {
        // A constant reshaped (a dynamo export's axes: Reshape(Constant, Constant)) keeps its values.
        const r = length(n.input[1]);
        const v = value(n.input[0]);
        out(0, {
          rank: r,
          ...(v && r === 1 ? { value: v, dims: [v.length] } : {}),
        });
        break;
      }
      case "Expand": {
        const l = length(n.input[1]);
        out(0, {
          rank:
            r0 !== undefined && l !== undefined ? Math.max(r0, l) : undefined,
        });
        break;
      }
      case "MatMul": {
        const r1 = rank(n.input[1]);
        out(0, {
          rank:
            r0 === undefined || r1 === undefined
              ? undefined
              : r0 === 1
                ? r1 - 1
                : r1 === 1
                  ? r0 - 1
                  : Math.max(r0, r1),
        });
        break;
      }
      case "Gemm":
        out(0, { rank: 2 });
        break;
      case "ReduceMean":
      case "ReduceSum":
      case "ReduceMax":
      case "ReduceMin":
      case "ReduceL1":
      case "ReduceL2":
      case "ReduceProd":
      case "ArgMax":
      case "ArgMin": {
        const keep = (n.int("keepdims") ?? 1) === 1;
        const axes = n.opType.startsWith("Arg")
          ? [n.int("axis") ?? 0]
          : axesOf();
        out(0, {
          rank: keep
            ? r0
            : axes === undefined
              ? n.input[1]
                ? undefined
                : 0
              : r0 !== undefined
                ? r0 - axes.length
                : undefined,
        });
        break;
      }
      case "Split":
      case "TopK":
        n.output.forEach((_, j) => out(j, { rank: r0 }));
        break;
      default: {
        // Elementwise and shape-keeping operators: the largest input rank.
        const ranks = n.input.filter((t) => t).map(rank);
        const known = ranks.every((r) => r !== undefined);
        const r = known && ranks.length > 0 ? Math.max(...ranks) : undefined;
        const single = n.input.length === 1 || n.opType === "Cast";
        n.output.forEach((_, j) =>
          out(j, {
            rank: r,
            ...((n.opType === "Cast" || n.opType === "Identity") && single
              ? { value: value(n.input[0]), dims: facts.get(n.input[0]!)?.dims }
              : {}),
          }),
        );
      }
    }
  }
  return facts;
}
