import * as ort from "onnxruntime-node";
import { buildPiece, type CloneRequest } from "../model/build-piece.ts";
import type { ModelPlan } from "../model/model-plan.ts";
import { describeSite, type GraphNode } from "@loupe/graph";
import {
  fail,
  RunError,
  type GraphStep,
  type InvokeWindow,
  type Padding,
  type PreparedGraph,
} from "./batch-step.ts";
import { emptyPast } from "./kv-cache.ts";
import { placeCalls, placeGraph } from "./place-graph.ts";
import { runBackward, type TapeItem } from "./run-backward.ts";
import { runSegment, type TapeEntry } from "./run-segment.ts";
import type { SessionCache } from "./session-cache.ts";
import { recordMemory, tensorBytes } from "./memory-metrics.ts";

/**
 * What a generation step changes in a forward pass: which of the trace's
 * nodes run (those of this step), the rows each invoke feeds (the sequence so
 * far, or with a key/value cache only the new token), and the model inputs the
 * cache adds (past keys and values, the mask over them, positions).
 */
export interface StepInputs {
  readonly step: number;
  /** Per graph (index g), per invoke: the token rows this step feeds. */
  readonly rows: ReadonlyMap<
    number,
    readonly (readonly (readonly number[])[] | null)[]
  >;
  /** Model inputs that replace the ones made from the rows (by input name). */
  readonly feeds?: ReadonlyMap<string, ort.Tensor>;
}

/** One forward pass of several graphs; returns every tensor the model computed, by name. */
export async function runStep(
  plan: ModelPlan,
  cache: SessionCache,
  graphs: readonly { prepared: PreparedGraph; g: number }[],
  t: number,
  { padding, padId }: { padding: Padding; padId: number },
  stepInputs?: StepInputs,
): Promise<Map<string, ort.Tensor>> {
  // Rows: every prompt of every invoke with an input, graph after graph.
  const rows: (readonly number[])[] = [];
  const steps: GraphStep[] = [];
  for (const { prepared, g } of graphs) {
    const start = rows.length;
    const windows: (InvokeWindow | undefined)[] = [];
    (stepInputs?.rows.get(g) ?? prepared.tokens[t]!).forEach((prompts) => {
      if (!prompts) {
        windows.push(undefined);
        return;
      }
      const r0 = rows.length;
      rows.push(...prompts);
      windows.push(windowOf(r0, rows.length, prompts));
    });
    if (rows.length === start)
      throw new RunError(`graph ${g}: trace ${t} has no invoke with an input`);
    const whole = windowOf(start, rows.length, rows.slice(start));
    steps.push(
      placeGraph(
        plan,
        prepared,
        g,
        t,
        windows.map((w) => w ?? whole),
        stepInputs?.step,
      ),
    );
  }
  const S = Math.max(...rows.map((r) => r.length));
  const B = rows.length;

  const env = new Map<string, ort.Tensor>();
  const ids = new BigInt64Array(B * S).fill(BigInt(padId));
  const mask = new BigInt64Array(B * S);
  const positions = new BigInt64Array(B * S).fill(1n);
  rows.forEach((row, r) => {
    const offset = padding === "left" ? S - row.length : 0;
    row.forEach((id, j) => {
      ids[r * S + offset + j] = BigInt(id);
      mask[r * S + offset + j] = 1n;
      positions[r * S + offset + j] = BigInt(j);
    });
  });
  for (const input of plan.inputs) {
    const given = stepInputs?.feeds?.get(input.name);
    if (given) {
      env.set(input.name, given);
      continue;
    }
    const past = emptyPast(input, B);
    if (past) {
      env.set(input.name, past);
      continue;
    }
    const data =
      input.name === "input_ids"
        ? ids
        : input.name === "attention_mask"
          ? mask
          : input.name === "position_ids"
            ? positions
            : undefined;
    if (!data)
      throw new RunError(
        `the model takes an input "${input.name}" the engine does not know how to fill`,
      );
    env.set(input.name, new ort.Tensor("int64", data, [B, S]));
  }

  // Cut positions: stage boundaries and every hook any graph touches.
  const N = plan.nodes.length;
  const cutSet = new Set<number>([0, N, ...plan.stageCuts]);
  for (const step of steps)
    for (const p of [
      ...step.segments.keys(),
      ...[...step.gradSegments.keys()].map((slot) => Math.floor(slot / 2)),
    ])
      if (p >= 0) cutSet.add(p);
  const cuts = [...cutSet].sort((a, b) => a - b);
  // Writes to a tensor without a batch axis would reach every row of the
  // pass: another graph's, or (from an invoke that has only some of its
  // graph's rows) another invoke's. The validator refuses the second case;
  // this guard keeps graphs read back from the store to the same rule.
  for (const step of steps)
    for (const entries of step.segments.values())
      for (const e of entries) {
        if (
          e.kind !== "node" ||
          (e.node.op !== "write" && e.node.op !== "skip") ||
          !e.hook ||
          e.hook.batchAxes.length > 0
        )
          continue;
        const w = step.windows[e.node.invoke];
        const all = step.windows.reduce(
          (r, x) => ({ r0: Math.min(r.r0, x.r0), r1: Math.max(r.r1, x.r1) }),
          { r0: Infinity, r1: -Infinity },
        );
        if (steps.length > 1)
          fail(
            step,
            new RunError(
              `graph ${step.g}: node ${e.node.id} writes ${describeSite(e.hook)}, a tensor shared by every row of the batch; it cannot run beside other graphs`,
            ),
          );
        else if (w && (w.r0 !== all.r0 || w.r1 !== all.r1))
          fail(
            step,
            new RunError(
              `graph ${step.g}: node ${e.node.id} writes ${describeSite(e.hook)}, a tensor without a batch axis that every invoke's rows share, from invoke ${e.node.invoke}, which has only some of them: write it in a trace with one invoke, or from invoke(null)`,
            ),
          );
      }

  // call_module: the piece holding the module computes it, on a clone of its nodes.
  const clonesByPiece = new Map<
    number,
    { step: GraphStep; node: GraphNode; span: string }[]
  >();
  for (const step of steps)
    try {
      const placed: {
        a: number;
        b: number;
        call: (typeof step.calls)[number];
      }[] = [];
      for (const call of step.calls) {
        const span = plan.spans.get(call.span)!;
        const a = cuts.filter((c) => c <= span.first).at(-1)!;
        const b = cuts.find((c) => c > span.last)!;
        if (cuts.some((c) => c > span.first && c <= span.last))
          throw new RunError(
            `graph ${step.g}: node ${call.node.id} calls ${call.node.module} while the batch hooks inside that module; run it in a batch of its own`,
          );
        // A call on another call's result in the same piece chains the clones.
        const chained = placed.some(
          (p) => p.a === a && p.call.node.id === call.node.args[0],
        );
        const argAt = chained
          ? a
          : (step.position.get(call.node.args[0]!) ?? -1);
        if (argAt > a)
          throw new RunError(
            `graph ${step.g}: node ${call.node.id} calls ${call.node.module} on a value computed after that module runs in the forward pass`,
          );
        placed.push({ a, b, call });
      }
      for (const { a, b, call } of placed) {
        const list = clonesByPiece.get(a) ?? [];
        list.push({ step, node: call.node, span: call.span });
        clonesByPiece.set(a, list);
        call.end = b;
      }
    } catch (error) {
      fail(step, error);
    }
  for (const step of steps) if (!step.stopped) placeCalls(step);

  const hooksAt = new Map<number, Set<string>>();
  /** Tensors whose gradient a `.grad` reads, by gradient slot (see GraphStep.gradSegments). */
  const gradHooksAt = new Map<number, Set<string>>();
  const note = (map: Map<number, Set<string>>, at: number, tensor: string) => {
    const set = map.get(at) ?? new Set();
    set.add(tensor);
    map.set(at, set);
  };
  for (const step of steps) {
    for (const [p, entries] of step.segments)
      for (const e of entries)
        if (e.kind === "cache" || e.hook) note(hooksAt, p, e.hook!.tensor);
    for (const [slot, entries] of step.gradSegments)
      for (const e of entries)
        if (e.kind === "node" && e.hook) {
          note(hooksAt, Math.floor(slot / 2), e.hook.tensor);
          note(gradHooksAt, slot, e.hook.tensor);
        }
  }

  // With a backward pass, every program run is recorded for it.
  const differentiate = steps.some((s) => s.backward && !s.stopped);
  const tape: TapeItem[] = [];
  const record = differentiate
    ? (entry: TapeEntry) => tape.push({ kind: "program", entry })
    : undefined;

  const mark = (slot: number) => {
    const marked = gradHooksAt.get(slot);
    if (differentiate && marked)
      tape.push({
        kind: "mark",
        slot,
        tensors: new Map(
          [...marked].flatMap((t) => {
            const value = env.get(t);
            return value ? [[t, value] as const] : [];
          }),
        ),
      });
  };
  const runSegments = async (p: number) => {
    // The tensors before this position's writes, then after them.
    if (p >= 0) mark(2 * p);
    for (const step of steps) {
      if (step.stopped) continue;
      const entries = step.segments.get(p);
      if (entries?.length) {
        try {
          await runSegment(cache, env, step, entries, padding, record);
        } catch (error) {
          // Only this graph's outputs were pending: the batch's tensors are unchanged.
          fail(step, error);
        }
      }
      if (step.stopAt === p) step.stopped = true;
    }
    if (p >= 0) mark(2 * p + 1);
  };

  // The model's inputs and outputs stay: a generation's next step grows them.
  const kept = new Set([
    ...plan.outputs.map((o) => o.name),
    ...plan.inputs.map((i) => i.name),
  ]);
  const meter = () =>
    recordMemory(
      cache.metrics.memory,
      "activations",
      tensorBytes(env.values()),
    );
  await runSegments(-1);
  for (let i = 0; i < cuts.length; i++) {
    const a = cuts[i]!;
    await runSegments(a);
    // Tensors no node from `a` on reads, and no later hook, are dropped: the
    // batch holds only what is still to be used (a backward pass's tape keeps
    // its own references).
    meter();
    for (const name of [...env.keys()])
      if ((plan.lastUse.get(name) ?? -1) < a && !kept.has(name))
        env.delete(name);
    if (steps.every((s) => s.stopped)) break;
    const b = cuts[i + 1];
    if (b === undefined) break;
    const clones = (clonesByPiece.get(a) ?? []).filter((c) => !c.step.stopped);
    const extra = [...(hooksAt.get(b) ?? [])].filter(
      (tensor) =>
        (plan.lastUse.get(tensor) ?? -1) < b &&
        !plan.outputs.some((o) => o.name === tensor),
    );
    const requests: CloneRequest[] = [];
    clones.forEach((c, j) => {
      const from = clones.findIndex(
        (d) => d.step === c.step && d.node.id === c.node.args[0],
      );
      requests.push({
        span: c.span,
        input:
          from >= 0
            ? `${plan.spans.get(clones[from]!.span)!.output}@c${from}`
            : `call${j}`,
        tag: `c${j}`,
      });
    });
    const key = pieceKey(a, b, extra, requests);
    let piece: ReturnType<typeof buildPiece> | undefined;
    const getPiece = () => (piece ??= buildPiece(plan, a, b, extra, requests));
    const session = await cache.get(
      key,
      "piece",
      getPiece,
      clones.length === 0 && extra.length === 0,
    );
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of session.inputNames) {
      const m = /^call(\d+)$/.exec(name);
      if (m) {
        const c = clones[Number(m[1])]!;
        feeds[name] = c.step.prepared.values.get(`v:${c.node.args[0]}`)!;
      } else {
        const value = env.get(name);
        if (!value)
          throw new RunError(
            `internal: piece [${a}, ${b}) needs ${name}, which no earlier piece produced`,
          );
        feeds[name] = value;
      }
    }
    const out = await cache.run(session, "piece", feeds);
    record?.({ key, program: () => getPiece().program, feeds, outputs: out });
    const cloneOut = new Map<string, number>();
    requests.forEach((r, j) =>
      cloneOut.set(`${plan.spans.get(r.span)!.output}@${r.tag}`, j),
    );
    for (const [name, value] of Object.entries(out)) {
      const j = cloneOut.get(name);
      if (j === undefined) env.set(name, value);
      else {
        const c = clones[j]!;
        c.step.prepared.values.set(`v:${c.node.id}`, value);
      }
    }
    meter();
  }

  // Backward models run on the whole batch's tensors: their failure is the
  // batch's, thrown for the caller to isolate (see runIsolated).
  if (differentiate) await runBackward(cache, tape, steps, padding);
  return env;
}

/** The cache key of a model piece: its range, extra outputs and clones. */
export function pieceKey(
  a: number,
  b: number,
  extra: readonly string[],
  clones: readonly CloneRequest[],
): string {
  return `piece:${a}:${b}:${extra.join(",")}:${clones.map((r) => `${r.span}<${r.input}`).join(",")}`;
}

/** The window of rows [r0, r1): its longest row, and each row's length when they differ. */
function windowOf(
  r0: number,
  r1: number,
  rows: readonly (readonly number[])[],
): InvokeWindow {
  const lengths = rows.map((p) => p.length);
  const length = Math.max(...lengths);
  return lengths.every((n) => n === length)
    ? { r0, r1, length }
    : { r0, r1, length, rowLengths: lengths };
}
