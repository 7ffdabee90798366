import * as ort from "onnxruntime-node";
import { fromFloat16Array } from "@loupe/graph";
import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import {
  generatedName,
  stepSaveName,
  type GenerateOptions,
  type GraphNode,
} from "@loupe/graph";
import type { ModelPlan } from "../model/model-plan.ts";
import {
  RunError,
  type GeneratedRow,
  type Padding,
  type PreparedGraph,
  type StopReason,
} from "./batch-step.ts";
import { keepRows, kvLayout } from "./kv-cache.ts";
import { runsAtStep } from "./place-graph.ts";
import { runStep } from "./run-step.ts";
import type { SessionCache } from "./session-cache.ts";
import { toSaved } from "./tensors.ts";

/** A token as it is generated (what streaming sends). */
export interface TokenEvent {
  /** The graph's index among the run's requests. */
  readonly graph: number;
  readonly trace: number;
  readonly invoke: number;
  readonly row: number;
  readonly step: number;
  readonly id: number;
  /** The row's generated text so far (decoded whole, so characters split across tokens come out right). */
  readonly text?: string;
  /** Set on the row's last token. */
  readonly reason?: StopReason;
}

/** What generation reports to, and reads from, its caller. */
export interface GenerationEvents {
  readonly onToken?: (event: TokenEvent) => void;
  /** Text of token ids (for stop strings and streamed text). */
  readonly decode?: (ids: readonly number[]) => string;
}

interface Row {
  readonly state: GeneratedRow;
  readonly prompt: readonly number[];
}

interface Generating {
  readonly g: number;
  readonly prepared: PreparedGraph;
  readonly options: GenerateOptions;
  /** Rows per invoke (null: an invoke without input), in batch order. */
  readonly invokes: readonly (readonly Row[] | null)[];
  rng: ReturnType<typeof xoroshiro128plus>;
  done: boolean;
}

/**
 * Generates for every graph whose trace t generates, together: one forward
 * pass per step over all their rows, each graph's interventions of that step
 * on its own rows, each row's next token picked by its graph's options
 * (greedy, or sampled from its seed). With a key/value cache (an export that
 * has one, left padding, and kvCache not false) step 0 reads the prompts and
 * every later step feeds only each row's newest token; otherwise each step
 * recomputes the whole sequence. A graph leaves the batch once all its rows
 * stop (its rows leave the cache with it); a row that stops earlier keeps its
 * place, its further tokens discarded.
 */
export async function runGeneration(
  plan: ModelPlan,
  cache: SessionCache,
  graphs: readonly { prepared: PreparedGraph; g: number }[],
  t: number,
  options: { padding: Padding; padId: number },
  events: GenerationEvents,
): Promise<void> {
  const kv = options.padding === "left" ? kvLayout(plan) : undefined;
  const all = graphs.map(({ prepared, g }) =>
    start(prepared, g, t, kv !== undefined),
  );
  if (!kv)
    for (const x of all)
      if (x.options.kvCache === true)
        x.prepared.warnings.push(
          `trace ${t} asked for the key/value cache (kvCache: true), but ${
            kvLayout(plan) === undefined
              ? "the model's export has none (no past_key_values.* inputs with present.* outputs)"
              : "the model's export has no position_ids input, so its rows are padded on the right, where a cache cannot follow them"
          }: every step recomputed the whole sequence (same tokens, more time)`,
        );
  const cached = all.filter((x) => kv && x.options.kvCache !== false);
  const recomputed = all.filter((x) => !cached.includes(x));
  if (cached.length > 0)
    await generate(plan, cache, cached, t, options, events, true);
  if (recomputed.length > 0)
    await generate(plan, cache, recomputed, t, options, events, false);
}

function start(
  prepared: PreparedGraph,
  g: number,
  t: number,
  kvAvailable: boolean,
): Generating {
  const options = prepared.graph.traces[t]!.generate!;
  const kvCache = kvAvailable && options.kvCache !== false;
  const invokes = prepared.tokens[t]!.map((prompts, invoke) =>
    prompts
      ? prompts.map((prompt, row) => {
          const state: GeneratedRow = {
            trace: t,
            invoke,
            row,
            ids: [],
            reason: undefined,
            kvCache,
          };
          prepared.generated.push(state);
          return { state, prompt };
        })
      : null,
  );
  return {
    g,
    prepared,
    options,
    invokes,
    rng: xoroshiro128plus(options.seed ?? 0),
    done: false,
  };
}

async function generate(
  plan: ModelPlan,
  cache: SessionCache,
  graphs: readonly Generating[],
  t: number,
  options: { padding: Padding; padId: number },
  events: GenerationEvents,
  useCache: boolean,
): Promise<void> {
  const kv = useCache ? kvLayout(plan)! : undefined;
  const logitsName =
    plan.outputs.find((o) => o.name === "logits")?.name ??
    plan.outputs[0]!.name;
  let live = [...graphs];
  let past = new Map<string, ort.Tensor>();
  let mask: ort.Tensor | undefined;
  const rowsOf = (x: Generating) => x.invokes.flatMap((rows) => rows ?? []);

  for (let step = 0; ; step++) {
    for (const x of live) {
      if (x.prepared.error) finish(x, "error");
      else if (x.prepared.signal?.aborted) finish(x, "cancelled");
    }
    const next = live.filter((x) => !x.done);
    if (next.length === 0) break;
    if (kv && step > 0 && next.length < live.length) {
      // The finished graphs' rows leave the cache.
      const keep: number[] = [];
      let r = 0;
      for (const x of live) {
        const n = rowsOf(x).length;
        if (!x.done) for (let i = 0; i < n; i++) keep.push(r + i);
        r += n;
      }
      past = new Map([...past].map(([k, v]) => [k, keepRows(v, keep)]));
      mask = keepRows(mask!, keep);
    }
    live = next;

    // The rows each invoke feeds at this step.
    const fed = (row: Row) =>
      kv && step > 0
        ? [row.state.ids.at(-1)!]
        : [...row.prompt, ...row.state.ids];
    const rows = new Map(
      live.map((x) => [x.g, x.invokes.map((rs) => (rs ? rs.map(fed) : null))]),
    );
    const batch = live.flatMap(rowsOf);
    const feeds = new Map<string, ort.Tensor>();
    if (kv && step > 0) {
      const B = batch.length;
      const [, L] = mask!.dims as [number, number];
      const grown = new BigInt64Array(B * (L + 1));
      const old = mask!.data as BigInt64Array;
      for (let r = 0; r < B; r++) {
        grown.set(old.subarray(r * L, (r + 1) * L), r * (L + 1));
        grown[r * (L + 1) + L] = 1n;
      }
      mask = new ort.Tensor("int64", grown, [B, L + 1]);
      feeds.set("attention_mask", mask);
      feeds.set(
        "position_ids",
        new ort.Tensor(
          "int64",
          BigInt64Array.from(batch, (row) =>
            BigInt(row.prompt.length + step - 1),
          ),
          [B, 1],
        ),
      );
      for (const [k, v] of past) feeds.set(k, v);
    }

    const started = performance.now();
    let env: Map<string, ort.Tensor>;
    try {
      env = await runStep(
        plan,
        cache,
        live.map((x) => ({ prepared: x.prepared, g: x.g })),
        t,
        options,
        { step, rows, feeds },
      );
    } finally {
      // A step that fails is charged too: to this attempt's state (see runIsolated).
      cache.metrics.forwardPasses++;
      charge(live, rows, (performance.now() - started) / 1000);
    }

    // The next token of every row, from the last position's logits.
    const logits = env.get(logitsName);
    if (!logits)
      throw new RunError(`internal: the forward pass made no ${logitsName}`);
    const [B, S, V] = logits.dims as [number, number, number];
    if (B !== batch.length)
      throw new RunError(
        `internal: logits have ${B} rows for a batch of ${batch.length}`,
      );
    const data =
      logits.type === "float16"
        ? fromFloat16Array(logits.data as Uint16Array)
        : (logits.data as Float32Array);
    let r = 0;
    for (const x of live) {
      const stepRows = rows.get(x.g)!.flatMap((rs) => rs ?? []);
      if (!x.prepared.error) saveStep(x, t, step);
      for (const [j, row] of rowsOf(x).entries()) {
        const last =
          options.padding === "left" ? S - 1 : stepRows[j]!.length - 1;
        const at = (r * S + last) * V;
        r++;
        if (row.state.reason || x.prepared.error) continue;
        const id = pick(data.subarray(at, at + V), x);
        row.state.ids.push(id);
        const reason = stopReason(row, x.options, events);
        if (reason) row.state.reason = reason;
        events.onToken?.({
          graph: x.g,
          trace: t,
          invoke: row.state.invoke,
          row: row.state.row,
          step,
          id,
          ...(events.decode ? { text: events.decode(row.state.ids) } : {}),
          ...(reason ? { reason } : {}),
        });
      }
      if (rowsOf(x).every((row) => row.state.reason)) x.done = true;
    }
    if (kv) {
      if (step === 0) mask = env.get("attention_mask");
      past = new Map(
        kv.pairs.map(({ past: p, present }) => [p, env.get(present)!]),
      );
    }
  }
  for (const x of graphs)
    for (const row of rowsOf(x))
      x.prepared.saves[generatedName(t, row.state.invoke, row.state.row)] = {
        dtype: "int64",
        shape: [row.state.ids.length],
        data: BigInt64Array.from(row.state.ids, (id) => BigInt(id)),
      };
}

function finish(x: Generating, reason: StopReason): void {
  x.done = true;
  for (const rows of x.invokes)
    for (const row of rows ?? []) row.state.reason ??= reason;
}

/** Saves (and `tracer.cache` outputs) of trace t that ran at this step, as `name@step`. */
function saveStep(x: Generating, t: number, step: number): void {
  const saves = x.prepared.saves;
  for (const node of x.prepared.graph.nodes as readonly GraphNode[]) {
    if (node.trace !== t || !runsAtStep(node, step)) continue;
    if (node.op === "save") {
      const value = x.prepared.values.get(`v:${node.args[0]}`);
      if (value) saves[stepSaveName(node.name, step)] = toSaved(value);
    } else if (node.op === "cache")
      for (const path of node.modules) {
        // The pass saved it as cache/<path>, as a trace does: one per step here.
        const name = `cache/${path}`;
        if (saves[name]) saves[stepSaveName(name, step)] = saves[name];
        delete saves[name];
      }
  }
}

function stopReason(
  row: Row,
  options: GenerateOptions,
  events: GenerationEvents,
): StopReason | undefined {
  const id = row.state.ids.at(-1)!;
  if (options.stop?.ids?.includes(id)) return "stop_id";
  if (options.stop?.text?.length && events.decode) {
    const text = events.decode(row.state.ids);
    if (options.stop.text.some((s) => text.endsWith(s))) return "stop_text";
  }
  if (row.state.ids.length >= options.maxNewTokens) return "length";
  return undefined;
}

/**
 * The next token: the argmax (the first of equal maxima, as torch.argmax), or
 * with a temperature a draw from softmax(logits / T) over the top k.
 */
function pick(logits: Float32Array, x: Generating): number {
  const temperature = x.options.temperature ?? 0;
  if (temperature === 0) {
    let best = 0;
    for (let i = 1; i < logits.length; i++)
      if (logits[i]! > logits[best]!) best = i;
    return best;
  }
  let floor = -Infinity;
  const k = x.options.topK;
  if (k && k < logits.length) floor = Float32Array.from(logits).sort().at(-k)!; // the k-th largest (ties all kept)
  let max = -Infinity;
  for (const v of logits) if (v >= floor && v > max) max = v;
  const weights = new Float64Array(logits.length);
  let total = 0;
  for (let i = 0; i < logits.length; i++)
    if (logits[i]! >= floor)
      total += weights[i] = Math.exp((logits[i]! - max) / temperature);
  // A uniform draw in [0, 1) (53 random bits) from the graph's own generator.
  let u = uniformFloat64(x.rng) * total;
  for (let i = 0; i < logits.length; i++) {
    u -= weights[i]!;
    if (weights[i]! > 0 && u < 0) return i;
  }
  return logits.findLastIndex((v) => v >= floor);
}

/** Charges a step's time to its graphs by their share of the tokens it fed. */
function charge(
  live: readonly Generating[],
  rows: ReadonlyMap<number, readonly (readonly (readonly number[])[] | null)[]>,
  seconds: number,
): void {
  const counts = live.map((x) => {
    const rs = rows.get(x.g)!.flatMap((r) => r ?? []);
    return { rows: rs.length, tokens: rs.reduce((s, r) => s + r.length, 0) };
  });
  const total = counts.reduce((s, c) => s + c.tokens, 0);
  live.forEach((x, i) => {
    const usage = x.prepared.usage;
    usage.forwardPasses++;
    usage.rows += counts[i]!.rows;
    usage.tokens += counts[i]!.tokens;
    usage.computeSeconds += (seconds * counts[i]!.tokens) / Math.max(1, total);
  });
}
