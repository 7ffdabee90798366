import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  constant,
  optimizeGraph,
  OPTIMIZATION_PASSES,
  validateGraph,
  type Dim,
  type Envoy,
  type Graph,
  type TensorValue,
} from "@loupe/graph";
import type { RunResult } from "../engine.ts";
import { loadFixture, type LoadedFixture } from "../testing/fixture-engines.ts";

/**
 * Property: optimizeGraph never changes what a graph computes. Random valid
 * graphs on gpt2-tiny (1–2 invokes reading hooks in forward order, chains of
 * value ops with constant-only, duplicated and unused subexpressions, writes back
 * into the model) run on the real engine as built and as optimized: every save
 * must have the same dtype and shape, float32 values within 1e-5 (NaN matching
 * NaN), other dtypes equal. Plans are plain data, so fast-check shrinks them.
 * One generator, kept in one file (over 250 lines): each step's type rule sits
 * beside the op it traces, which is how every graph it builds validates.
 */
const TOLERANCE = 1e-5;
const PROMPTS = [
  "The truth is the",
  "Hello World",
  "The capital of France is Paris",
  "The cat sat on the mat and the dog sat on the log",
];
const SCALARS = [0.5, 2, -1, 3, 0, 1e-3, -0.25, 1];
const BINARY = ["add", "sub", "mul", "div", "maximum", "minimum"] as const;
const COMPARE = ["gt", "lt", "ge", "le", "eq", "ne"] as const;
/** Unary ops, and whether each keeps its input's dtype (else: float32). */
const UNARY = {
  neg: true,
  abs: true,
  relu: true,
  sqrt: false,
  exp: false,
  tanh: false,
  gelu: false,
  sigmoid: false,
} as const;

type DT = "float32" | "int64" | "bool";
/** A traced value and the type the validator gives it; invoke -1: constant-only. */
interface Val {
  readonly v: TensorValue;
  readonly dtype: DT;
  readonly shape: Dim[];
  readonly weak: boolean;
  readonly invoke: number;
  readonly event: number;
}
/** What a step needs of the graph being built. */
interface Gen {
  val(v: TensorValue, dtype: DT, shape: Dim[], from: readonly Val[]): Val;
  lit(value: number): Val;
  arith(op: string, a: Val, b: Val): Val | undefined;
  recent(pick: number): Val;
  constExpr(seed: number, n: number): Val;
  /** Applies the previous step again to the same value (CSE's input). */
  repeat(): Val | undefined;
  readonly lm: LoadedFixture["lm"];
}
interface Choice {
  readonly choice: number;
  readonly seed: number;
}
/** A step applies one op to `x`, or returns undefined where `x` does not suit it. */
type Step = (x: Val, s: Choice, g: Gen) => Val | undefined;

/** Deterministic constants in [-2, 2]; every third seed holds 0 and -1 (for inf, NaN). */
function valuesOf(seed: number, n: number): number[] {
  return Array.from({ length: n }, (_, j) =>
    seed % 3 === 0 && j % 3 < 2
      ? -(j % 3)
      : Math.fround(2 * Math.sin(seed * 12.9898 + j * 78.233)),
  );
}

/** The validator's promotion: a plain-number scalar does not widen a tensor's type. */
function promote(a: Val, b: Val): DT {
  const rank = { bool: 0, int64: 1, float32: 2 };
  if (a.weak !== b.weak) {
    const [w, t] = a.weak ? [a, b] : [b, a];
    return w.dtype === "float32" ? "float32" : t.dtype;
  }
  return rank[a.dtype] >= rank[b.dtype] ? a.dtype : b.dtype;
}

/** NumPy broadcasting where a symbolic size matches only itself (as at run time). */
function broadcast(a: Dim[], b: Dim[]): Dim[] | undefined {
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    out.push(x === 1 ? y : x);
  }
  return out;
}

const numeric = (x: Val) => x.dtype !== "bool";
const lastDim = (x: Val) => {
  const d = x.shape.at(-1);
  return typeof d === "number" ? d : undefined;
};
const reduced = (x: Val, dims: number[] | null, keep: boolean): Dim[] => {
  const axes = dims?.map((d) => (d < 0 ? d + x.shape.length : d));
  return x.shape.flatMap((d, i) =>
    axes && !axes.includes(i) ? [d] : keep ? [1] : [],
  );
};
const fits = (value: Dim[], region: readonly Dim[]) =>
  value.length <= region.length &&
  value.every((d, i) => d === 1 || d === region.at(i - value.length));

const STEPS = {
  unary: (x, s, g) => {
    const op = Object.keys(UNARY)[s.choice % 8] as keyof typeof UNARY;
    const dtype = UNARY[op] ? x.dtype : "float32";
    return numeric(x) ? g.val(x.v[op](), dtype, x.shape, [x]) : undefined;
  },
  scalar: (x, s, g) =>
    g.arith(BINARY[s.choice % 6]!, x, g.lit(SCALARS[s.seed % 8]!)),
  vector: (x, s, g) => {
    const n = lastDim(x);
    if (n === undefined) return undefined;
    const c = constant(valuesOf(s.seed, n), "float32");
    return g.arith(BINARY[s.choice % 6]!, x, g.val(c, "float32", [n], []));
  },
  constexpr: (x, s, g) =>
    g.arith(BINARY[s.choice % 6]!, x, g.constExpr(s.seed, lastDim(x) ?? 1)),
  compare: (x, s, g) => {
    const n = lastDim(x);
    const other =
      s.choice % 2 && n !== undefined
        ? constant(valuesOf(s.seed, n), "float32")
        : SCALARS[s.seed % 8]!;
    const v = x.v[COMPARE[s.choice % 6]!](other);
    return numeric(x) ? g.val(v, "bool", x.shape, [x]) : undefined;
  },
  where: (x, s, g) => {
    const y = numeric(x) ? x : g.recent(s.seed);
    const shape = broadcast(x.shape, y.shape);
    if (!shape) return undefined;
    const cond = numeric(x)
      ? g.val(x.v.gt(SCALARS[s.choice % 8]!), "bool", x.shape, [x])
      : x;
    const other = g.lit(SCALARS[s.seed % 8]!);
    const v = cond.v.where(y.v, other.v);
    return g.val(v, promote(y, other), shape, [cond, y]);
  },
  cast: (x, s, g) => {
    const to = (["float32", "int64", "bool"] as const).filter(
      (d) => d !== x.dtype,
    )[s.choice % 2]!;
    return g.val(x.v.cast(to), to, x.shape, [x]);
  },
  reduce: (x, s, g) => {
    const rank = x.shape.length;
    const dims =
      rank === 0 ? null : [null, [-1], [rank > 1 ? 1 : 0]][s.choice % 3]!;
    const keep = s.choice % 8 >= 4;
    const op = (["sum", "mean", "max", "min"] as const)[s.seed % 4]!;
    if (!numeric(x) && (op === "max" || op === "min")) return undefined;
    const dtype = op === "mean" ? "float32" : numeric(x) ? x.dtype : "int64";
    const v = x.v[op](dims ?? undefined, keep);
    return g.val(v, dtype, reduced(x, dims, keep), [x]);
  },
  norm: (x, s, g) => {
    const dims = x.shape.length === 0 || s.choice % 2 ? null : [-1];
    const keep = s.choice % 4 >= 2;
    const v = x.v.norm(1 + (s.seed % 3), dims ?? undefined, keep);
    return g.val(v, "float32", reduced(x, dims, keep), [x]);
  },
  softmax: (x, s, g) => {
    if (x.shape.length === 0) return undefined;
    const v = s.choice % 2 ? x.v.softmax(-1) : x.v.logSoftmax(-1);
    return g.val(v, "float32", x.shape, [x]);
  },
  argmax: (x, s, g) => {
    if (x.dtype !== "float32") return undefined;
    const dim = x.shape.length === 0 || s.choice % 2 ? undefined : -1;
    const keep = s.choice % 4 >= 2;
    const v = s.seed % 2 ? x.v.argmin(dim, keep) : x.v.argmax(dim, keep);
    const shape = reduced(x, dim === undefined ? null : [dim], keep);
    return g.val(v, "int64", shape, [x]);
  },
  topk: (x, s, g) => {
    const k = 1 + (s.choice % 3);
    const n = lastDim(x);
    if (!numeric(x) || n === undefined || n < k) return undefined;
    const { values, indices } = x.v.topk(k, { largest: s.choice % 8 < 4 });
    const shape = [...x.shape.slice(0, -1), k];
    return s.seed % 2
      ? g.val(values, x.dtype, shape, [x])
      : g.val(indices, "int64", shape, [x]);
  },
  index: (x, s, g) => {
    const rank = x.shape.length;
    if (rank === 0) return undefined;
    const axis = s.choice % rank;
    const d = x.shape[axis]!;
    // A symbolic size is a prompt's token count: 2 or more for every prompt.
    const at = s.seed % (typeof d === "number" ? d : 2);
    const [item, dims] = (
      [
        [s.choice % 2 ? -1 : at, []],
        [[0, at, -1], [3]],
        [`${at}:`, [typeof d === "number" ? d - at : `${d}[${at}:]`]],
        [null, [1, d]],
      ] as const
    )[(s.choice >> 2) % 4]!;
    const head = Array.from({ length: axis }, () => ":");
    const shape = x.shape.flatMap((e, i) => (i === axis ? dims : [e]));
    return g.val(x.v.get(...head, item), x.dtype, shape, [x]);
  },
  transpose: (x, s, g) => {
    const rank = x.shape.length;
    if (rank < 2) return undefined;
    if (s.choice % 2) {
      const perm = x.shape.map((_, i) => rank - 1 - i);
      const v = x.v.permute(...perm);
      return g.val(v, x.dtype, [...x.shape].reverse(), [x]);
    }
    const shape = [x.shape[rank - 1]!, ...x.shape.slice(1, -1), x.shape[0]!];
    return g.val(x.v.transpose(0, -1), x.dtype, shape, [x]);
  },
  reshape: (x, s, g) => {
    if (!x.shape.every((d) => typeof d === "number")) return undefined;
    const dims = x.shape;
    const n = dims.at(-1) ?? 1;
    const shape =
      n % 2 === 0 && s.choice % 2
        ? [...dims.slice(0, -1), 2, n / 2]
        : [1, dims.reduce((p, d) => p * d, 1)];
    return g.val(x.v.reshape(...shape), x.dtype, shape, [x]);
  },
  matmul: (x, s, g) => {
    const n = lastDim(x);
    if (!numeric(x) || n === undefined) return undefined;
    const k = 1 + (s.choice % 3);
    const rows = Array.from({ length: n }, (_, i) => valuesOf(s.seed + i, k));
    const v = x.v.matmul(constant(rows, "float32"));
    return g.val(v, "float32", [...x.shape.slice(0, -1), k], [x]);
  },
  unembed: (x, _s, g) => {
    if (x.dtype !== "float32" || lastDim(x) !== 64) return undefined;
    const w = g.lm.transformer!.wte!.param("weight").transpose(0, 1);
    return g.val(x.v.matmul(w), "float32", [...x.shape.slice(0, -1), 466], [x]);
  },
  binary: (x, s, g) => g.arith(BINARY[s.choice % 6]!, x, g.recent(s.seed)),
  dup: (_x, s, g) => {
    const [a, b] = [g.repeat(), g.repeat()];
    return a && b ? (g.arith(s.choice % 2 ? "sub" : "add", a, b) ?? a) : a;
  },
} satisfies Record<string, Step>;
type Kind = keyof typeof STEPS;
/** Step kinds that constant-only expressions are made of. */
const CONST_KINDS: Kind[] = [
  "unary",
  "unary",
  "scalar",
  "vector",
  "cast",
  "reduce",
];

interface Hook {
  readonly path: string;
  readonly slot: "input" | "output";
  readonly tuple: boolean;
}
const blockHooks = (i: number): Hook[] =>
  (
    [
      ["", "input"],
      [".attn.c_proj", "input"],
      [".attn", "output"],
      [".mlp", "input"],
      [".mlp.c_proj", "input"],
      [".mlp", "output"],
      ["", "output"],
    ] as const
  ).map(([sub, slot]) => ({
    path: `transformer.h.${i}${sub}`,
    slot,
    tuple: slot === "output" && !sub.startsWith(".mlp"),
  }));
/** Hook points, in forward order: block inputs and outputs, then the logits. */
const HOOKS: readonly Hook[] = [
  ...blockHooks(0),
  ...blockHooks(1),
  { path: "transformer.ln_f", slot: "output", tuple: false },
  { path: "", slot: "output", tuple: true },
];

const stepArb = fc.record({
  // constexpr twice as often: constant folding's work comes from it.
  kind: fc.constantFrom<Kind>(...(Object.keys(STEPS) as Kind[]), "constexpr"),
  pick: fc.nat(7),
  choice: fc.nat(63),
  seed: fc.nat(999),
});
const visitArb = fc.record({
  hook: fc.nat(HOOKS.length - 1),
  steps: fc.array(stepArb, { maxLength: 5 }),
  write: fc.option(fc.record({ region: fc.nat(3), pick: fc.nat(7) }), {
    nil: null,
  }),
  reread: fc.boolean(),
});
const invokeArb = fc.record({
  prompts: fc.array(fc.nat(PROMPTS.length - 1), { minLength: 1, maxLength: 2 }),
  visits: fc.array(visitArb, { minLength: 1, maxLength: 3 }),
});
const planArb = fc.record({
  invokes: fc.array(invokeArb, { minLength: 1, maxLength: 2 }),
  saves: fc.array(fc.nat(63), { minLength: 1, maxLength: 3 }),
});
type GraphPlan = typeof planArb extends fc.Arbitrary<infer P> ? P : never;

/** Builds the graph a plan describes, tracking each value's type as the validator will. */
function buildGraph({ lm, manifest }: LoadedFixture, plan: GraphPlan): Graph {
  const pool: Val[] = [];
  let here = { invoke: 0, event: 0 };
  let last: { kind: Kind; x: Val; s: Choice } | undefined;
  // An earlier invoke's values cross only without a token axis (lengths differ).
  const available = () =>
    pool.filter(
      (p) =>
        p.invoke === -1 ||
        p.invoke === here.invoke ||
        (p.event <= here.event && p.shape.every((d) => typeof d === "number")),
    );
  const pickFrom = (values: Val[], pick: number) =>
    values[values.length - 1 - (pick % Math.min(values.length, 4))]!;
  const run = (kind: Kind, x: Val, s: Choice): Val | undefined =>
    STEPS[kind](x, s, g);
  const g: Gen = {
    val: (v, dtype, shape, from) => ({
      v,
      dtype,
      shape,
      weak: false,
      invoke: Math.max(-1, ...from.map((f) => f.invoke)),
      event: Math.max(-1, ...from.map((f) => f.event)),
    }),
    lit: (value) => {
      const dtype = Number.isInteger(value) ? "int64" : "float32";
      return { ...g.val(constant(value), dtype, [], []), weak: true };
    },
    arith: (op, a, b) => {
      const shape = broadcast(a.shape, b.shape);
      const dtype = op === "div" ? "float32" : promote(a, b);
      if (!shape || dtype === "bool") return undefined;
      const v = a.v[op as (typeof BINARY)[number]](b.v);
      return g.val(v, dtype, shape, [a, b]);
    },
    recent: (pick) => pickFrom(available(), pick),
    constExpr: (seed, n) => {
      const leaves = [
        () => g.val(constant(valuesOf(seed, n), "float32"), "float32", [n], []),
        () =>
          g.val(constant(valuesOf(seed, n).map(Math.round)), "int64", [n], []),
        () => g.lit(SCALARS[seed % 8]!),
      ];
      let x = leaves[seed % 3]!();
      for (let i = 0, k = seed; i <= seed % 4; i++) {
        k = (k * 7919 + 13) % 1000;
        const s = { choice: (k * 31) % 64, seed: k };
        x = run(CONST_KINDS[k % CONST_KINDS.length]!, x, s) ?? x;
      }
      pool.push(x);
      return x;
    },
    repeat: () => (last ? run(last.kind, last.x, last.s) : undefined),
    lm,
  };
  const hookAt = (h: Hook): TensorValue => {
    const m = h.path.split(".").reduce<Envoy>((e, p) => (p ? e[p]! : e), lm);
    if (h.slot === "input") return m.input;
    return h.tuple ? m.output[0]! : m.output;
  };
  const placed = (h: Hook) => {
    const call = manifest.modules.find((m) => m.path === h.path)!.calls[0]!;
    const spec = (h.slot === "input" ? call.inputs : call.outputs)[0]!;
    const event = h.slot === "input" ? call.enter : call.exit;
    return { hook: h, event, width: spec.shape.at(-1) as number };
  };

  return lm.trace((tracer) => {
    plan.invokes.forEach((inv, i) => {
      const prompts = inv.prompts.map((p) => PROMPTS[p]!);
      const visits = inv.visits
        .map((v) => ({ ...v, ...placed(HOOKS[v.hook]!) }))
        .sort((a, b) => a.event - b.event);
      tracer.invoke(prompts, () => {
        for (const visit of visits) {
          here = { invoke: i, event: visit.event };
          const [rows, seq, width] = [prompts.length, `seq${i}`, visit.width];
          const shape = [rows, seq, width];
          const read = () => {
            const h = g.val(hookAt(visit.hook), "float32", shape, []);
            pool.push({ ...h, ...here });
          };
          read();
          for (const { kind, pick, ...s } of visit.steps) {
            const x = g.recent(pick);
            const y = run(kind, x, s);
            if (y) pool.push(y);
            if (y && kind !== "dup") last = { kind, x, s };
          }
          if (!visit.write) continue;
          const [index, region] = (
            [
              [null, shape],
              [
                [":", -1, ":"],
                [rows, width],
              ],
              [
                ["...", [0, 5, 9]],
                [rows, seq, 3],
              ],
              [
                [":", 0],
                [rows, width],
              ],
            ] as const
          )[visit.write.region]!;
          const pick = visit.write.pick;
          const fitting = available().filter((p) => fits(p.shape, region));
          const value = fitting.length
            ? pickFrom(fitting, pick).v
            : SCALARS[pick % 8]!;
          if (index) hookAt(visit.hook).set([...index], value);
          else hookAt(visit.hook).set(value);
          if (visit.reread) read();
        }
        if (i < plan.invokes.length - 1) return;
        const at = (p: number) => pool[pool.length - 1 - (p % pool.length)]!;
        const saved = new Set(plan.saves.map(at));
        [...saved].forEach((s, k) => s.v.save(`s${k}`));
      });
    });
  });
}

/** Every save of `after` equals `before`'s: names, dtypes, shapes and values. */
function expectSameSaves(before: RunResult, after: RunResult): void {
  expect(Object.keys(after.saves).sort()).toEqual(
    Object.keys(before.saves).sort(),
  );
  for (const [name, want] of Object.entries(before.saves)) {
    const got = after.saves[name]!;
    expect([got.dtype, got.shape], name).toEqual([want.dtype, want.shape]);
    if (want.dtype !== "float32") {
      expect(got.data, name).toEqual(want.data);
      continue;
    }
    const a = got.data as Float32Array;
    const bad = want.data.findIndex((w, i) =>
      Number.isNaN(w)
        ? !Number.isNaN(a[i]!)
        : w !== a[i] && !(Math.abs(w - a[i]!) <= TOLERANCE),
    );
    const where = `${name}[${bad}]: ${a[bad]} optimized, ${want.data[bad]} as built`;
    expect(bad, where).toBe(-1);
  }
}

describe("optimizeGraph on the engine: random graphs on gpt2-tiny", () => {
  let fixture: LoadedFixture;
  beforeAll(async () => {
    fixture = await loadFixture("gpt2-tiny");
  });
  afterAll(async () => {
    await fixture.engine.close();
  });

  it("gives the same saves as the graph as built", async () => {
    const { manifest, engine } = fixture;
    const worked = OPTIMIZATION_PASSES.map(() => 0);
    await fc.assert(
      fc.asyncProperty(planArb, async (plan) => {
        const graph = buildGraph(fixture, plan);
        const check = validateGraph(graph, manifest);
        expect(check.ok ? [] : check.issues.map((i) => i.message)).toEqual([]);
        OPTIMIZATION_PASSES.forEach((pass, k) => {
          if (pass.run(graph) !== graph) worked[k]!++;
        });
        try {
          const optimized = optimizeGraph(graph, { manifest });
          expectSameSaves(await engine.run(graph), await engine.run(optimized));
        } catch (error) {
          const message = `${(error as Error).message}\ngraph: ${JSON.stringify(graph)}`;
          throw new Error(message, { cause: error });
        }
      }),
      { numRuns: 30 },
    );
    // Every pass had work in some run: folding, CSE and dead-node elimination.
    const counts = worked.join(", ");
    expect(
      worked.every((n) => n > 0),
      `runs with work: ${counts}`,
    ).toBe(true);
  }, 300_000);
});
