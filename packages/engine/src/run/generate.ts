import type * as ort from "onnxruntime-node";
import {
  fromFloat16Array,
  generatedName,
  stepSaveName,
  type GenerateOptions,
  type GeneratedToken,
  type GraphNode,
  type StopReason,
} from "@loupe/graph";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import type { ModelPlan } from "../model/model-plan.ts";
import type { InvokeRows } from "./batch-inputs.ts";
import {
  chargePass,
  RunError,
  type Padding,
  type PreparedGraph,
  type RowGeneration,
} from "./batch-step.ts";
import {
  cacheFeeds,
  keepCacheRows,
  kvLayout,
  type KvState,
} from "./kv-cache.ts";
import { pickToken, type Rng } from "./pick-token.ts";
import { runsAtStep } from "./place-graph.ts";
import { runStep } from "./run-step.ts";
import type { SessionCache } from "./session-cache.ts";
import { toSaved } from "./tensors.ts";

/**
 * A token as it is generated (what streaming sends): a GeneratedToken with
 * the graph it belongs to, and why its row stopped on the row's last token.
 */
export interface TokenEvent extends Omit<GeneratedToken, "text"> {
  /** The graph's index among the run's requests. */
  readonly graph: number;
  /** The row's generated text so far (decoded whole, so characters split across tokens come out right); absent without a tokenizer. */
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
  readonly state: RowGeneration;
  readonly prompt: readonly number[];
}

interface Generating {
  readonly g: number;
  readonly prepared: PreparedGraph;
  readonly options: GenerateOptions;
  /** Rows per invoke (null: an invoke without input), in batch order. */
  readonly invokes: readonly (readonly Row[] | null)[];
  readonly rng: Rng;
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
          const state: RowGeneration = {
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

const rowsOf = (x: Generating): readonly Row[] =>
  x.invokes.flatMap((rows) => rows ?? []);

/** The batch rows of the graphs of the last step that have not finished. */
function rowsKept(live: readonly Generating[]): number[] {
  const keep: number[] = [];
  let r = 0;
  for (const x of live) {
    const n = rowsOf(x).length;
    if (!x.done) for (let i = 0; i < n; i++) keep.push(r + i);
    r += n;
  }
  return keep;
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
  const state: KvState = { past: new Map(), mask: undefined };
  let live = [...graphs];

  for (let step = 0; ; step++) {
    for (const x of live) {
      if (x.prepared.error) finish(x, "error");
      else if (x.prepared.signal?.aborted) finish(x, "cancelled");
    }
    const next = live.filter((x) => !x.done);
    if (next.length === 0) break;
    // The finished graphs' rows leave the cache.
    if (kv && step > 0 && next.length < live.length)
      keepCacheRows(state, rowsKept(live));
    live = next;

    // The rows each invoke feeds at this step.
    const incremental = kv !== undefined && step > 0;
    const fed = (row: Row) =>
      incremental ? [row.state.ids.at(-1)!] : [...row.prompt, ...row.state.ids];
    const rows = new Map(
      live.map((x) => [x.g, x.invokes.map((rs) => (rs ? rs.map(fed) : null))]),
    );
    const batch = live.flatMap(rowsOf);
    const feeds = incremental
      ? cacheFeeds(
          state,
          batch.length,
          (r) => batch[r]!.prompt.length + step - 1,
        )
      : new Map<string, ort.Tensor>();

    const env = await runTimedStep(plan, cache, live, t, options, {
      step,
      rows,
      feeds,
    });
    const logits = env.get(logitsName);
    if (!logits)
      throw new RunError(`internal: the forward pass made no ${logitsName}`);
    takeTokens(live, logits, batch.length, { t, step, rows, options, events });
    if (kv) {
      if (step === 0) state.mask = env.get("attention_mask");
      state.past = new Map(
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

/** One step's forward pass, its time charged to the graphs by the tokens each fed. */
async function runTimedStep(
  plan: ModelPlan,
  cache: SessionCache,
  live: readonly Generating[],
  t: number,
  options: { padding: Padding; padId: number },
  inputs: {
    step: number;
    rows: ReadonlyMap<number, InvokeRows>;
    feeds: ReadonlyMap<string, ort.Tensor>;
  },
): Promise<Map<string, ort.Tensor>> {
  const started = performance.now();
  try {
    return await runStep(
      plan,
      cache,
      live.map((x) => ({ prepared: x.prepared, g: x.g })),
      t,
      options,
      inputs,
    );
  } finally {
    // A step that fails is charged too: to this attempt's state (see runIsolated).
    const seconds = (performance.now() - started) / 1000;
    cache.metrics.forwardPasses++;
    chargePass(
      live.map((x) => x.prepared),
      live.map((x) => inputs.rows.get(x.g)!.flatMap((r) => r ?? [])),
      seconds,
    );
  }
}

/**
 * The next token of every row that still generates, from its last
 * position's logits; streamed, and the row stopped where its options say.
 * Each graph's saves of the step are kept as `name@step`.
 */
function takeTokens(
  live: readonly Generating[],
  logits: ort.Tensor,
  batchRows: number,
  at: {
    t: number;
    step: number;
    rows: ReadonlyMap<number, InvokeRows>;
    options: { padding: Padding };
    events: GenerationEvents;
  },
): void {
  const { t, step, events } = at;
  const [B, S, V] = logits.dims as [number, number, number];
  if (B !== batchRows)
    throw new RunError(
      `internal: logits have ${B} rows for a batch of ${batchRows}`,
    );
  const data =
    logits.type === "float16"
      ? fromFloat16Array(logits.data as Uint16Array)
      : (logits.data as Float32Array);
  let r = 0;
  for (const x of live) {
    const stepRows = at.rows.get(x.g)!.flatMap((rs) => rs ?? []);
    if (!x.prepared.error) saveStep(x, t, step);
    for (const [j, row] of rowsOf(x).entries()) {
      const last =
        at.options.padding === "left" ? S - 1 : stepRows[j]!.length - 1;
      const from = (r * S + last) * V;
      r++;
      if (row.state.reason || x.prepared.error) continue;
      const id = pickToken(data.subarray(from, from + V), x.options, x.rng);
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
