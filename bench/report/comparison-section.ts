/**
 * The report's comparison section: Loupe against onnxruntime-node alone (the
 * limit of a plain forward), PyTorch eager, PyTorch forward hooks and nnsight
 * on the same weights, batch and threads, in time and in memory (Pss); and
 * the same tasks through the platform. Markdown plus a PNG chart, from the
 * measurements of one `npm run bench`.
 */
import path from "node:path";
import {
  COMPARISON_TASKS,
  type ComparisonTask,
} from "../contenders/contender-report.ts";
import {
  TOLERANCE,
  type Agreement,
  type ContenderRun,
} from "../contenders/run-contenders.ts";
import type { BatchingPolicy } from "../platform/bench-stack.ts";
import type {
  LatencyModel,
  Throughput,
  TimedRun,
} from "../platform/platform-bench.ts";
import { groupedBars, renderChart } from "./charts.ts";
import { median, mib, spread } from "./stats.ts";

/** Everything the comparison measured in one run. */
export interface ComparisonMeasurements {
  readonly threads: number;
  /** The machine's logical CPUs. */
  readonly cores: number;
  readonly passes: number;
  readonly rounds: number;
  readonly contenders: Pick<ContenderRun, "results" | "agreements">;
  readonly platform: {
    readonly tasks: Record<
      ComparisonTask,
      { runs: readonly TimedRun[]; outputBytes: number }
    >;
    readonly agreements: readonly Agreement[];
    readonly latency: Record<
      BatchingPolicy,
      Record<LatencyModel, readonly TimedRun[]>
    >;
    readonly throughput: Record<BatchingPolicy, readonly Throughput[]>;
    readonly workerPeakRssBytes: Record<BatchingPolicy, number | null>;
    /** The worker's Pss after the platform's runs, by batching policy (one read: a sampler would block the clients' event loop). */
    readonly workerPssAfterRunsBytes?: Record<BatchingPolicy, number | null>;
    readonly throughputSeconds: number;
  };
}

const COLUMNS = [
  ["onnxruntime-node", "onnxruntime-node alone"],
  ["eager", "PyTorch eager"],
  ["hooks", "PyTorch hooks"],
  ["nnsight", "nnsight"],
  ["loupe-engine", "Loupe engine"],
  ["loupe-platform", "Loupe platform"],
] as const;
type Column = (typeof COLUMNS)[number][0];

const TASK_LABEL: Record<ComparisonTask, string> = {
  forward: "plain forward (no intervention)",
  patching: "activation patching, layer 6 MLP (Table 1)",
  lens: "logit lens, 12 layers, top-5",
  steering: "steering, layer 6 (+4 × unit direction)",
  attribution:
    "attribution patching, 12 MLP layers (Table 1: one forward and backward pass)",
};

/** Seconds per call by column and task (the platform's as its client waited). */
function secondsOf(
  m: ComparisonMeasurements,
  column: Column,
  task: ComparisonTask,
): number[] | undefined {
  if (column === "loupe-platform")
    return m.platform.tasks[task]?.runs.map((r) => r.clientMs / 1000);
  return m.contenders.results[column]?.seconds[task];
}

/**
 * Why Loupe is slower than a peer where it is. Through the platform, the
 * measured split of a run's time: the worker's compute, the server's time
 * around it, and what the client adds. For the engine in process, what this
 * machine's profile showed (see ENGINE_SLOWER); a row whose cause was never
 * analysed says so rather than guess.
 */
function whySlower(
  m: ComparisonMeasurements,
  task: ComparisonTask,
  column: Column,
): string {
  if (column === "loupe-platform") {
    const runs = m.platform.tasks[task].runs;
    const client = median(runs.map((r) => r.clientMs)) / 1000;
    const server = median(runs.map((r) => r.serverMs)) / 1000;
    const compute = median(runs.map((r) => r.computeMs)) / 1000;
    const bytes = m.platform.tasks[task].outputBytes;
    return `Why: of a run's ${client.toFixed(2)} s (medians), the worker's forward pass is ${compute.toFixed(2)} s; the server's other ${(server - compute).toFixed(2)} s are the run's life around it (the API's checks and events, a worker claiming it into a batch and starting the batch's workflow, storing the ${mib(bytes)} result in PostgreSQL); the client's other ${(client - server).toFixed(2)} s are submitting the graph, the long poll's answer, and downloading and decoding the result. That is the price of a shared, queued, recorded run; in process, Loupe's engine is the row to compare, and it is the fastest.`;
  }
  return ENGINE_SLOWER[`${task}/${column}`] ?? "Why: not analysed yet.";
}

/** Causes found by profiling, for rows where the engine was slower on this machine. */
const ATTRIBUTION_SLOWER =
  "Why: Loupe's backward models recompute their stage's forward pass instead of keeping its activations (gradient checkpointing per stage: no activation outlives the forward pass, and a backward model is compiled once per stage and reused), so a backward pass costs one more forward pass than PyTorch's, which keeps every activation of the forward pass for its backward; and the batch's gradients are added and spliced between sessions.";
const ENGINE_SLOWER: Partial<Record<string, string>> = {
  "attribution/hooks": ATTRIBUTION_SLOWER,
  "attribution/nnsight": ATTRIBUTION_SLOWER,
};

export async function comparisonSection(
  m: ComparisonMeasurements,
  chartsDir: string,
  reportDir: string,
): Promise<string> {
  const rel = (file: string) => path.relative(reportDir, file);
  const header = `| task | ${COLUMNS.map(([, l]) => l).join(" | ")} |\n|---|${COLUMNS.map(() => "---").join("|")}|`;
  const rows = COMPARISON_TASKS.map(
    (task) =>
      `| ${TASK_LABEL[task]} | ${COLUMNS.map(([c]) => spread(secondsOf(m, c, task) ?? [])).join(" | ")} |`,
  );

  const loupe = (task: ComparisonTask) =>
    median(secondsOf(m, "loupe-engine", task) ?? []);
  const ratioRows = COMPARISON_TASKS.map((task) => {
    const cells = COLUMNS.filter(([c]) => c !== "loupe-engine").map(([c]) => {
      const s = secondsOf(m, c, task);
      return s && s.length > 0 ? (median(s) / loupe(task)).toFixed(2) : "—";
    });
    return `| ${TASK_LABEL[task]} | ${cells.join(" | ")} |`;
  });

  // Issue 18's targets for the engine in process, against PyTorch.
  const profile = m.contenders.results["loupe-engine"]?.profile;
  const whereTimeGoes = (task: ComparisonTask) => {
    const p = profile?.[task];
    const calls = secondsOf(m, "loupe-engine", task) ?? [];
    if (!p || calls.length === 0) return "no profile in this run";
    // The profile is per call on average: set beside the mean call.
    const total = calls.reduce((a, b) => a + b, 0) / calls.length;
    const rest = Math.max(0, total - p.piece - p.segment - p.backward);
    return `of ${total.toFixed(2)} s per call (mean): ${p.piece.toFixed(2)} s in the model's pieces (ONNX Runtime), ${p.segment.toFixed(2)} s in intervention segments, ${p.backward.toFixed(2)} s in backward models, ${rest.toFixed(2)} s the engine's own work between sessions`;
  };
  const targetRows = COMPARISON_TASKS.map((task) => {
    const peer = task === "forward" ? "eager" : "hooks";
    const s = secondsOf(m, peer, task);
    const target = task === "attribution" ? 1.0 : 1.2;
    if (!s || s.length === 0)
      return `| ${TASK_LABEL[task]} | ${target.toFixed(1)}× | — | — | |`;
    const ratio = median(s) / loupe(task);
    const met = ratio >= target;
    return `| ${TASK_LABEL[task]} | ${target.toFixed(1)}× | ${ratio.toFixed(2)}× | ${met ? "met" : "**missed**"} | ${met ? "" : whereTimeGoes(task)} |`;
  });

  const slower: string[] = [];
  const limit = secondsOf(m, "onnxruntime-node", "forward");
  if (limit && limit.length > 0)
    slower.push(
      `- **Plain forward: Loupe's engine takes ${(loupe("forward") / median(limit)).toFixed(2)}× the time of onnxruntime-node alone** (${loupe("forward").toFixed(2)} s against ${median(limit).toFixed(2)} s): the limit, one session of the whole model with nothing around it; the difference is what Loupe adds (its graph, its sessions per model stage, the last position sliced in the graph), not profiled in this run.`,
    );
  for (const task of COMPARISON_TASKS)
    for (const [c, label] of COLUMNS) {
      if (
        c === "loupe-engine" ||
        c === "loupe-platform" ||
        c === "onnxruntime-node"
      )
        continue;
      const s = secondsOf(m, c, task);
      if (!s || s.length === 0) continue;
      const ratio = loupe(task) / median(s);
      if (ratio > 1)
        slower.push(
          `- **${TASK_LABEL[task]}: Loupe's engine takes ${ratio.toFixed(2)}× ${label}'s time** (${median(secondsOf(m, "loupe-engine", task)!).toFixed(2)} s against ${median(s).toFixed(2)} s). ${whySlower(m, task, c)}`,
        );
    }
  for (const task of COMPARISON_TASKS) {
    const platform = secondsOf(m, "loupe-platform", task);
    if (!platform || platform.length === 0) continue;
    const fastestPeer = COLUMNS.filter(
      ([c]) =>
        c !== "loupe-engine" &&
        c !== "loupe-platform" &&
        c !== "onnxruntime-node",
    )
      .map(([c, label]) => ({ label, s: secondsOf(m, c, task) ?? [] }))
      .filter((p) => p.s.length > 0)
      .sort((a, b) => median(a.s) - median(b.s))[0];
    if (fastestPeer && median(platform) > median(fastestPeer.s))
      slower.push(
        `- **${TASK_LABEL[task]} through the platform: ${(median(platform) / median(fastestPeer.s)).toFixed(2)}× ${fastestPeer.label}'s time in process** (${median(platform).toFixed(2)} s against ${median(fastestPeer.s).toFixed(2)} s). ${whySlower(m, task, "loupe-platform")}`,
      );
  }

  const phases = ["load", ...COMPARISON_TASKS] as const;
  const memoryRows = COLUMNS.map(([c, label]) => {
    if (c === "loupe-platform") {
      const pss = m.platform.workerPssAfterRunsBytes?.on;
      const rss = m.platform.workerPeakRssBytes.on;
      return `| ${label} (the worker process, also hosting the bundled model; its Pss after the platform's runs, not a peak) | ${pss == null ? "—" : mib(pss)} | ${phases.map(() => "").join(" | ")} | ${rss === null ? "—" : mib(rss)} |`;
    }
    const r = m.contenders.results[c];
    if (!r)
      return `| ${label} | — | ${phases.map(() => "—").join(" | ")} | — |`;
    const cells = phases.map((p) => {
      const b = r.pss.byPhase[p];
      return b === undefined ? "—" : mib(b);
    });
    return `| ${label} | ${mib(r.pss.peakBytes)} | ${cells.join(" | ")} | ${mib(r.peakRssBytes)} |`;
  });
  const sampleMs = Object.values(m.contenders.results).map(
    (r) => r.pss.meanSampleMs,
  );
  const cpuShares = Object.values(m.contenders.results).map(
    (r) => r.pss.cpuShare,
  );

  const engine = m.contenders.results["loupe-engine"];
  /** "3.0×", or "2.9× to 3.1×" when the peers differ at that precision. */
  const times = (low: number, high: number) =>
    low.toFixed(1) === high.toFixed(1)
      ? `${low.toFixed(1)}×`
      : `${low.toFixed(1)}× to ${high.toFixed(1)}×`;
  const peers = (["eager", "hooks", "nnsight"] as const)
    .map((c) => m.contenders.results[c]?.pss.peakBytes)
    .filter((b): b is number => b !== undefined);
  const memoryWhy =
    engine?.memory &&
    peers.length > 0 &&
    engine.pss.peakBytes > Math.min(...peers)
      ? `**Loupe's engine holds ${times(engine.pss.peakBytes / Math.max(...peers), engine.pss.peakBytes / Math.min(...peers))} the peers' peak memory (Pss).** Its resident set after each step, as it reports it: ${mib(engine.memory.read ?? 0)} once the model is read (the ONNX file's ${mib((engine.memory.read ?? 0) - (engine.memory.start ?? 0))}), ${mib(engine.memory.loaded ?? 0)} once loaded, ${mib(engine.memory.ran ?? 0)} after the tasks (RSS counts weights that several sessions map once per mapping; the Pss above counts them once). A PyTorch process holds one copy of the weights, its module's parameters, and the activations its tasks keep.`
      : "";
  const agreementRows = [
    ...m.contenders.agreements,
    ...m.platform.agreements,
  ].map(
    (a) =>
      `| ${TASK_LABEL[a.task]} | ${COLUMNS.find(([c]) => c === a.contender)?.[1] ?? a.contender} | ${a.maxAbsDiff !== undefined ? `max abs diff ${a.maxAbsDiff.toExponential(1)}` : `${a.equalIds![0]} of ${a.equalIds![1]} ids equal`} |`,
  );

  const versions = Object.entries(m.contenders.results)
    .map(
      ([c, r]) =>
        `${COLUMNS.find(([k]) => k === c)?.[1] ?? c}: ${Object.entries(
          r.versions,
        )
          .map(([k, v]) => `${k} ${v}`)
          .join(", ")}`,
    )
    .join("; ");

  const chart = await renderChart(
    path.join(chartsDir, "comparison.png"),
    "Seconds per call: GPT-2 small, batch 32 × 12 tokens, same weights and threads",
    groupedBars(
      COMPARISON_TASKS.flatMap((task) =>
        COLUMNS.flatMap(([c, label]) => {
          const s = secondsOf(m, c, task);
          return s && s.length > 0
            ? [
                {
                  group: task,
                  series: label,
                  value: median(s),
                  low: Math.min(...s),
                  high: Math.max(...s),
                },
              ]
            : [];
        }),
      ),
      {
        x: "seconds per call (median; whiskers from min to max)",
        seriesOrder: COLUMNS.map(([, l]) => l),
      },
    ),
  );

  return `## Loupe against onnxruntime-node alone, PyTorch and nnsight: the same weights, batch and threads

Every contender runs GPT-2 small's architecture with the very same weights
(GPT2LMHeadModel, random init after \`torch.manual_seed(0)\`, built by
bench/models/export_gpt2_small.py; Loupe gets its ONNX export, the Python
peers the PyTorch module) on the same batch of 32 rows × 12 token ids, with
${m.threads} CPU threads each (torch.set_num_threads, onnxruntime's intra-op
threads), one process per contender so that each peak memory is its own.
Contenders run in ${m.passes} passes, every contender in turn in each pass,
${m.rounds} timed calls per task and pass after one untimed warm-up call:
${m.passes * m.rounds} calls per cell. Cells give the median seconds per call
and, in brackets, the fastest and slowest call.

- **onnxruntime-node alone** (bench/contenders/ort-bare.ts): one
  \`InferenceSession\` on the same ONNX file with the same threads and session
  options as Loupe's engine, fed the batch; no Loupe at all. The limit of a
  plain forward on this runtime; it has no way to intervene, so it has no
  other row.
- **PyTorch eager**: \`model(ids)\`, no intervention (PyTorch's floor for the plain forward).
- **PyTorch hooks**: \`register_forward_hook\` on the module, removed after the call.
- **nnsight** from PyPI: \`NNsight(model).trace(...)\`, two invokes for patching;
  for attribution, one invoke and \`with metric.backward():\` reading each MLP
  output's \`.grad\`.

The Python peers run PyPI's current torch and transformers, as a researcher
installs them today (bench/peers/requirements.txt; versions below). From
transformers 5 a GPT-2 block returns its hidden state as a plain tensor, not
a tuple: the peers take either, and every contender's outputs are checked
against Loupe's engine's before anything is timed.
- **Loupe engine**: the intervention graph run by \`LoupeEngine\` in-process
  (bench/contenders/loupe-engine.ts), the model loaded as a script loads one it
  has imported (\`loadModelFiles\`: the ONNX file and its manifest, the weights mapped, never read whole).
- **Loupe platform**: the same graph submitted with the SDK to a running Loupe
  (API, PostgreSQL, Temporal, the worker's engine, batching on), waited for
  and its result downloaded: one call is one run, end to end.

Every task saves what a researcher reads off it: the logits at the last position
(patching: of the 16 patched rows), the lens's top-5 ids per layer, or
attribution patching's [12 layers, 16 rows, 12 positions] estimates: rows 0-15
are clean, rows 16-31 corrupted, and the metric is logit(1000) - logit(2000)
at the last position summed over the clean rows; one forward pass of all 32
rows and one backward pass. Loupe differentiates the ONNX model itself; the
PyTorch peers' weights are frozen (\`requires_grad_(False)\`, the embedding
output made to require a gradient instead), so that no one computes weight
gradients nobody reads.

${header}
${rows.join("\n")}

![Seconds per call by task and contender](${rel(chart)})

**Ratios to Loupe's engine** (median / Loupe engine's median; above 1, Loupe is faster):

| task | ${COLUMNS.filter(([c]) => c !== "loupe-engine")
    .map(([, l]) => l)
    .join(" | ")} |
|---|${COLUMNS.filter(([c]) => c !== "loupe-engine")
    .map(() => "---")
    .join("|")}|
${ratioRows.join("\n")}

### Targets: Loupe's engine against PyTorch (eager for the plain forward, hooks otherwise)

The engine in process should be at least 1.2× faster than PyTorch on every
forward-only task and at least as fast on attribution patching. A missed
target comes with where the time goes, measured in the same run (seconds
inside ONNX Runtime's session runs by kind, from the engine's metrics, per
timed call). Memory wins where the two conflict: the engine's sessions run
without ONNX Runtime's per-session memory arenas and without prepacked
weights: on this machine that costs the plain forward about 15% and saves
from 0.6 to 2.7 GiB of peak Pss over these tasks (an A/B run outside the
benchmark: packages/engine/README.md, Memory).

| task | target | measured | | where the time goes |
|---|---|---|---|---|
${targetRows.join("\n")}

### Where Loupe is slower, and why

${slower.length > 0 ? slower.join("\n") : "Nowhere in this run: Loupe's engine was at least as fast as every peer on every task."}

### Peak memory (Pss of each contender's process tree)

Proportional set size (\`Pss\` in /proc/<pid>/smaps_rollup), summed over the
contender's process tree and sampled from the benchmark's process while the
contender runs (bench/memory/): a page shared by n processes or mappings
counts 1/n, so weights mapped several times are counted once, where the
resident set (RSS) counts them once per mapping. By phase: the largest Pss
while the model loads, then while each task runs (its warm-up call included;
tasks run in this order in one process, so a task's peak includes what earlier
tasks left allocated). Memory is sampled in the check run, where each task
runs once before anything is timed (the sampler takes CPU beside the
contender, so the timed passes run without it). Peak RSS (VmHWM, over all
runs) for comparison with earlier reports.

Reading Pss makes the kernel walk every mapped page (one read took
${sampleMs.length > 0 ? `${Math.min(...sampleMs).toFixed(0)} to ${Math.max(...sampleMs).toFixed(0)} ms` : "—"} here, mean per contender), so the sampler
reads the tree's resident set every 50 ms (a counter) and its Pss only when
that could raise the phase's peak (Pss ≤ RSS), spaced to take at most 10% of
one CPU, plus one read at every phase's start and end; in all it took
${cpuShares.length > 0 ? `${(100 * Math.max(...cpuShares)).toFixed(0)}%` : "—"} of one CPU at most (short processes, many phase changes), on the
benchmark's own thread, beside the contender.

| contender | peak Pss | ${phases.map((p) => (p === "load" ? "loading" : TASK_LABEL[p].split(",")[0]!.split(" (")[0])).join(" | ")} | peak RSS |
|---|---|${phases.map(() => "---").join("|")}|---|
${memoryRows.join("\n")}

${memoryWhy}

### Same computation: outputs against Loupe's engine, checked before timing

Before anything is timed, every contender runs each task once and its output
is compared with Loupe's engine's, element by element; the benchmark stops if
a float output (logits, attribution estimates) differs by more than
${TOLERANCE.maxAbsDiff} anywhere, or fewer than ${TOLERANCE.minEqualIdShare * 100}% of the lens's top-5 token
ids are equal (different kernels sum in different orders; two logits that
close may swap places).

| task | contender | agreement with Loupe's engine |
|---|---|---|
${agreementRows.join("\n")}

Versions: ${versions}.
`;
}
