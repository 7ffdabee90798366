/**
 * Loupe through the platform, as a script sees it: graphs submitted with the
 * SDK to the API, claimed in batches by the worker, each batch run by a
 * Temporal workflow, the result downloaded. Three measurements on one running stack:
 * - the comparison's tasks (batch 32 on GPT-2 small), timed end to end;
 * - the end-to-end latency of a small run, one client at a time;
 * - throughput with N concurrent clients, each submitting a small run and
 *   waiting for it, over a fixed window (a closed loop).
 */
import type { Graph, Model, SavedTensor } from "@loupe/graph";
import { createLoupe, type LoupeModel, type RunStatus } from "@loupe/sdk";
import {
  COMPARISON_TASKS,
  taskOutput,
  type ComparisonTask,
} from "../contenders/contender-report.ts";
import { comparisonGraphs, tokenRows } from "../suites/gpt2-graphs.ts";
import type { BenchStack } from "./bench-stack.ts";
import { cpuBetween, sampleCpu, type CpuSample } from "./process-cpu.ts";

export const BENCH_MODEL = "gpt2-small";
/** The bundled model (models/facts), which every Loupe hosts. */
export const BUNDLED_MODEL = "facts-gpt2";
/** The models a small run's latency is measured on. */
export type LatencyModel = typeof BENCH_MODEL | typeof BUNDLED_MODEL;

/** One run as the client and the server saw it. */
export interface TimedRun {
  /** Submit to result in hand (download included), as the script waits. */
  readonly clientMs: number;
  /** Requested to finished, by the server's clock (no SDK polling in it). */
  readonly serverMs: number;
  /** The worker's share of its batch's compute. */
  readonly computeMs: number;
  /** Rows of the batch it ran in (1 = alone). */
  readonly batchRows: number;
  /**
   * Where its time went, hop by hop (ms; one machine, so the client's and
   * the server's clocks are one): submit answered and the run recorded
   * (client to requested), claimed by the worker (requested to queued), its
   * batch's workflow started and the run marked started (queued to started),
   * executed and ended (started to finished, its forward pass included),
   * and its result in the client's hands (finished to the end: the long
   * poll's answer and the download).
   */
  readonly hops: {
    readonly record: number;
    readonly claim: number;
    readonly start: number;
    readonly execute: number;
    readonly deliver: number;
  };
}

async function connect(
  stack: BenchStack,
  model: LatencyModel = BENCH_MODEL,
): Promise<LoupeModel> {
  const loupe = createLoupe({ url: stack.webUrl, apiKey: stack.apiKey });
  return loupe.model(model);
}

const PROMPTS = [
  "The Louvre is located in the city of",
  "The Colosseum is located in the city of",
  "The Eiffel Tower is located in the city of",
  "Big Ben is located in the city of",
];

async function timedRun(
  lm: LoupeModel,
  graph: Graph,
): Promise<{ run: TimedRun; saves: Record<string, SavedTensor> }> {
  const wallStart = Date.now();
  const started = performance.now();
  const result = await lm.run(graph, { remote: true, reuse: false });
  const clientMs = performance.now() - started;
  const wallEnd = Date.now();
  const status = result.run as RunStatus;
  const t = (d: Date | null) => d?.getTime() ?? Number.NaN;
  const metrics = status.metrics as {
    computeSeconds?: number;
    batchRows?: number;
  } | null;
  return {
    run: {
      clientMs,
      serverMs: status.finishedAt!.getTime() - status.requestedAt.getTime(),
      computeMs: (metrics?.computeSeconds ?? Number.NaN) * 1000,
      batchRows: metrics?.batchRows ?? Number.NaN,
      hops: {
        record: t(status.requestedAt) - wallStart,
        claim: t(status.queuedAt) - t(status.requestedAt),
        start: t(status.startedAt) - t(status.queuedAt),
        execute: t(status.finishedAt) - t(status.startedAt),
        deliver: wallEnd - t(status.finishedAt),
      },
    },
    saves: Object.fromEntries(
      Object.entries(result.saves).map(([k, t]) => [k, t.saved]),
    ),
  };
}

/**
 * The comparison's tasks through the platform: `rounds` timed runs of each
 * (after one untimed), one at a time; returns each task's runs and its output
 * (shaped as the contenders dump it).
 */
export async function measureComparisonTasks(
  stack: BenchStack,
  rounds: number,
  log: (line: string) => void,
): Promise<Record<ComparisonTask, { runs: TimedRun[]; output: SavedTensor }>> {
  const lm = await connect(stack);
  const graphs = comparisonGraphs(lm.graphs, tokenRows());
  const out = {} as Record<
    ComparisonTask,
    { runs: TimedRun[]; output: SavedTensor }
  >;
  for (const task of COMPARISON_TASKS) {
    const { saves } = await timedRun(lm, graphs[task]);
    const runs: TimedRun[] = [];
    for (let r = 0; r < rounds; r++)
      runs.push((await timedRun(lm, graphs[task])).run);
    out[task] = { runs, output: taskOutput(task, saves) };
    log(
      `platform ${task}: ${runs.map((r) => (r.clientMs / 1000).toFixed(2)).join(", ")} s`,
    );
  }
  return out;
}

/**
 * A small run: one prompt, the top-5 next-token ids saved: what a
 * researcher's quick probe looks like. On GPT-2 small (no tokenizer: random
 * weights) 12 token ids, row `i` of the benchmark batch; on the bundled model
 * a text prompt of its facts, tokenized by the server.
 */
function smallRunGraph(lm: LoupeModel, i: number): Graph {
  const rows = tokenRows();
  const graphs = lm.graphs as Model;
  const input =
    lm.modelName === BUNDLED_MODEL
      ? PROMPTS[i % PROMPTS.length]!
      : { tokens: [rows[i % rows.length]!] };
  return graphs.trace(input, () => {
    graphs.output.item("logits").get(":", -1, ":").topk(5).indices.save("top5");
  });
}

/** `count` small runs on `model`, one after another (after 3 untimed). */
export async function measureLatency(
  stack: BenchStack,
  count: number,
  model: LatencyModel,
): Promise<TimedRun[]> {
  const lm = await connect(stack, model);
  for (let i = 0; i < 3; i++) await timedRun(lm, smallRunGraph(lm, i));
  const runs: TimedRun[] = [];
  for (let i = 0; i < count; i++)
    runs.push((await timedRun(lm, smallRunGraph(lm, i))).run);
  return runs;
}

/** Throughput of `clients` concurrent closed-loop clients. */
export interface Throughput {
  readonly clients: number;
  readonly seconds: number;
  /** Runs completed within the window. */
  readonly completed: number;
  readonly runsPerSecond: number;
  readonly runs: readonly TimedRun[];
  /** CPU seconds of each part of the platform during the window. */
  readonly cpu: CpuSample;
}

/**
 * `clients` clients, each submitting a small run and waiting for its result,
 * then the next, for `warmupSeconds` (not counted) and then `seconds`
 * (counted: the runs that finished within the window). Waits for every run
 * in flight at the end, so the next measurement starts from an idle worker.
 */
export async function measureThroughput(
  stack: BenchStack,
  clients: number,
  seconds: number,
  warmupSeconds: number,
  model: LatencyModel = BENCH_MODEL,
): Promise<Throughput> {
  const lms = await Promise.all(
    Array.from({ length: clients }, () => connect(stack, model)),
  );
  const start = performance.now();
  const windowStart = start + warmupSeconds * 1000;
  const windowEnd = windowStart + seconds * 1000;
  const counted: TimedRun[] = [];
  let cpuAtStart: CpuSample | undefined;
  let cpuAtEnd: CpuSample | undefined;
  const marks = [
    setTimeout(
      () => (cpuAtStart = sampleCpu(stack.parts)),
      windowStart - start,
    ),
    setTimeout(() => (cpuAtEnd = sampleCpu(stack.parts)), windowEnd - start),
  ];
  await Promise.all(
    lms.map(async (lm, client) => {
      for (let i = 0; performance.now() < windowEnd; i++) {
        const { run } = await timedRun(lm, smallRunGraph(lm, client * 7 + i));
        const done = performance.now();
        if (done >= windowStart && done <= windowEnd) counted.push(run);
      }
    }),
  );
  marks.forEach(clearTimeout);
  if (!cpuAtStart || !cpuAtEnd)
    throw new Error("throughput: the window's CPU samples were not taken");
  return {
    clients,
    seconds,
    completed: counted.length,
    runsPerSecond: counted.length / seconds,
    runs: counted,
    cpu: cpuBetween(cpuAtStart, cpuAtEnd),
  };
}
