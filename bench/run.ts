/**
 * `npm run bench`: measures everything and writes BENCHMARKS.md with its PNG
 * charts (bench/charts/), from scratch; never run by CI.
 *
 * 1. Prerequisites, made when missing: the Python peers' virtualenv
 *    (bench/peers/setup.sh), the GPT-2 small export and its manifest
 *    (bench/models), the production builds of the web app and the worker.
 * 2. In-process suites measured with tinybench (measure-suite.ts): the
 *    intervention graph library, and the engine against onnxruntime alone.
 * 3. The comparison: onnxruntime-node alone, PyTorch eager, PyTorch hooks,
 *    nnsight and Loupe's engine, one process each, outputs checked against
 *    Loupe's before timing, memory sampled as Pss (contenders/), then the
 *    same tasks through a running platform, and the platform's latency and
 *    throughput with batching on and off (platform/).
 * 4. The 1.1B phase, last: a Llama-architecture model of TinyLlama-1.1B's
 *    shape, exported once (bench/models/export_llama_1b.py; ~20 GB of free
 *    disk checked first): PyTorch with hooks, onnxruntime-node alone, Loupe's
 *    engine in process and Loupe's platform (the model hosted while a stack
 *    runs, run remotely with the SDK), one at a time.
 *
 *   npm run bench [-- --out FILE] [-- --quick] [-- --report-only] [-- --skip-scale]
 *
 * --quick: fewer rounds and shorter windows, to try the pipeline (its numbers
 * are not the report's); --out: write the report elsewhere (charts beside it);
 * --report-only: rewrite the report from the last run's measurements
 * (.loupe/cache/bench/measurements.json) without measuring; --skip-scale:
 * leave the 1.1B phase out (no export, no 20 GB of disk).
 */
import { execSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { COMPARISON_TASKS } from "./contenders/contender-report.ts";
import {
  compareTensors,
  REFERENCE,
  runContenders,
  type Agreement,
} from "./contenders/run-contenders.ts";
import { measureSuite } from "./measure-suite.ts";
import { findPss } from "./memory/sample-pss.ts";
import { ensureGpt2SmallImported } from "./models/ensure-gpt2-small.ts";
import { checkLlama1bDisk, ensureLlama1b } from "./models/ensure-llama-1b.ts";
import { ensurePeersVenv } from "./models/python-envs.ts";
import {
  bringUpBenchStack,
  type BatchingPolicy,
} from "./platform/bench-stack.ts";
import { peakRssOf } from "./platform/process-memory.ts";
import {
  BENCH_MODEL,
  BUNDLED_MODEL,
  measureComparisonTasks,
  measureLatency,
  measureThroughput,
  type LatencyModel,
  type Throughput,
  type TimedRun,
} from "./platform/platform-bench.ts";
import {
  comparisonSection,
  type ComparisonMeasurements,
} from "./report/comparison-section.ts";
import { platformSection } from "./report/platform-section.ts";
import { scaleSection } from "./report/scale-section.ts";
import {
  runScalePhase,
  type ScaleMeasurements,
} from "./scale/run-scale-phase.ts";
import { engineSuite } from "./suites/engine.ts";
import { generationSuite } from "./suites/generation.ts";
import { graphSuite } from "./suites/graph.ts";
import type { Suite } from "./suite.ts";

const root = path.resolve(import.meta.dirname, "..");
const { values: args } = parseArgs({
  options: {
    out: { type: "string", default: path.join(root, "BENCHMARKS.md") },
    quick: { type: "boolean", default: false },
    "report-only": { type: "boolean", default: false },
    "skip-scale": { type: "boolean", default: false },
  },
});
const reportFile = path.resolve(args.out);
const reportDir = path.dirname(reportFile);
const chartsDir =
  reportFile === path.join(root, "BENCHMARKS.md")
    ? path.join(root, "bench", "charts")
    : path.join(reportDir, "charts");
const quick = args.quick;
const settings = {
  passes: quick ? 1 : 2,
  rounds: quick ? 1 : 5,
  latencyRuns: quick ? 5 : 40,
  throughputSeconds: quick ? 5 : 30,
  warmupSeconds: quick ? 2 : 5,
  clients: [1, 8, 32],
  threads: os.availableParallelism(),
  scaleRounds: quick ? 1 : 3,
};
const log = (line: string) => console.log(`  ${line}`);

function formatTime(ms: number): string {
  if (ms < 1) return `${(ms * 1000).toFixed(1)} µs`;
  if (ms < 1000) return `${ms.toFixed(2)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/** A tinybench suite's table: median and p99 per task. */
async function suiteSection(suite: Suite): Promise<string> {
  console.log(`▶ ${suite.name}`);
  const { stats, notes, summary } = await measureSuite(suite);
  const withNotes = notes.size > 0;
  const rows = [...stats].map(([label, s]) => {
    const cells = [label, formatTime(s.median), formatTime(s.p99), s.runs];
    if (withNotes) cells.push(notes.get(label) ?? "");
    return `| ${cells.join(" | ")} |`;
  });
  const header = withNotes
    ? "| task | median | p99 | runs | notes |\n|---|---|---|---|---|"
    : "| task | median | p99 | runs |\n|---|---|---|---|";
  console.log(rows.join("\n"));
  return `## ${suite.name}\n\n${suite.note}\n\n${header}\n${rows.join("\n")}\n${summary ? `\n${summary}\n` : ""}`;
}

const loadAverage = () => os.loadavg()[0]!.toFixed(1);

function step(name: string) {
  console.log(`▶ ${name}`);
}

const measurementsFile = path.join(
  root,
  ".loupe",
  "cache",
  "bench",
  quick ? "measurements-quick.json" : "measurements.json",
);

/** What one run measured, kept (JSON) so the report can be rewritten from it. */
interface Measurements {
  readonly suites: string[];
  readonly comparison: ComparisonMeasurements;
  /** The 1.1B phase; absent when skipped (scaleSkipped says why). */
  readonly scale?: ScaleMeasurements;
  readonly scaleSkipped?: string;
  readonly loadAtStart: string;
  readonly loadAtEnd: string;
  readonly minutes: number;
  readonly date: string;
  /** The commit measured, and whether the tree had changes then (the report's own files aside). */
  readonly commit: string;
  readonly dirty: boolean;
}

function commitState(): { commit: string; dirty: boolean } {
  const git = (args: string) =>
    execSync(`git ${args}`, { cwd: root, encoding: "utf8" });
  // Not trimmed: a porcelain line starts with its two status columns, and
  // trimming the output would cut the first line's leading space.
  const changed = git("status --porcelain")
    .split("\n")
    .filter(Boolean)
    .map((line) => line.slice(3))
    .filter(
      (file) => file !== "BENCHMARKS.md" && !file.startsWith("bench/charts"),
    );
  return {
    commit: git("rev-parse --short HEAD").trim(),
    dirty: changed.length > 0,
  };
}

async function measure(): Promise<Measurements> {
  step(
    "prerequisites: the peers' virtualenv, GPT-2 small, the web app and worker builds",
  );
  // Fail now, not after the other phases, when the 1.1B phase cannot export.
  if (!args["skip-scale"]) checkLlama1bDisk();
  const peersPython = ensurePeersVenv();
  const modelFile = ensureGpt2SmallImported();
  const build = spawnSync(
    path.join(root, "node_modules", ".bin", "turbo"),
    [
      "run",
      "build",
      "--filter=@loupe/web",
      "--filter=@loupe/worker",
      "--output-logs=errors-only",
    ],
    { cwd: root, stdio: "inherit" },
  );
  if (build.status !== 0)
    throw new Error(
      `building the web app and worker failed (exit ${build.status})`,
    );

  const loadAtStart = loadAverage();
  const started = Date.now();
  const state = commitState();

  // In-process suites.
  const suites: string[] = [];
  for (const suite of [graphSuite, engineSuite, generationSuite])
    suites.push(await suiteSection(suite));

  // The comparison: one process per contender.
  step(
    "the comparison: onnxruntime-node alone, Loupe's engine, PyTorch eager, PyTorch hooks, nnsight",
  );
  const contenders = await runContenders({
    modelFile,
    peersPython,
    passes: settings.passes,
    rounds: settings.rounds,
    threads: settings.threads,
    log,
  });

  // The platform, once per batching policy.
  const latency = {} as Record<
    BatchingPolicy,
    Record<LatencyModel, TimedRun[]>
  >;
  const throughput = {} as Record<BatchingPolicy, Throughput[]>;
  const workerPeakRssBytes = {} as Record<BatchingPolicy, number | null>;
  const workerPssAfterRunsBytes = {} as Record<BatchingPolicy, number | null>;
  const platformTasks = {} as ComparisonMeasurements["platform"]["tasks"];
  const platformAgreements: Agreement[] = [];
  for (const batching of ["on", "off"] as const) {
    step(`the platform, batching ${batching}`);
    const stack = await bringUpBenchStack({ modelFile, batching, log });
    try {
      if (batching === "on") {
        const tasks = await measureComparisonTasks(
          stack,
          settings.passes * settings.rounds,
          log,
        );
        for (const task of COMPARISON_TASKS) {
          const { runs, output } = tasks[task];
          platformTasks[task] = { runs, outputBytes: output.data.byteLength };
          platformAgreements.push({
            task,
            contender: "loupe-platform",
            reference: REFERENCE,
            ...compareTensors(
              `platform ${task}`,
              contenders.references[task],
              output,
            ),
          });
        }
      }
      const byModel = {} as Record<LatencyModel, TimedRun[]>;
      for (const model of [BENCH_MODEL, BUNDLED_MODEL] as const) {
        byModel[model] = await measureLatency(
          stack,
          settings.latencyRuns,
          model,
        );
        log(
          `latency on ${model}: ${byModel[model].map((r) => r.clientMs.toFixed(0)).join(", ")} ms`,
        );
      }
      latency[batching] = byModel;
      throughput[batching] = [];
      for (const clients of settings.clients) {
        const t = await measureThroughput(
          stack,
          clients,
          settings.throughputSeconds,
          settings.warmupSeconds,
          BUNDLED_MODEL,
        );
        throughput[batching].push(t);
        log(`${clients} clients: ${t.runsPerSecond.toFixed(2)} runs/s`);
      }
      workerPeakRssBytes[batching] = peakRssOf(stack.workerPid);
      // One read after the runs, not a sampler: a Pss read blocks this
      // process's event loop (the clients') for tens of milliseconds.
      workerPssAfterRunsBytes[batching] = findPss(stack.workerPid) ?? null;
    } finally {
      await stack.stop();
    }
  }

  // The 1.1B phase, last and alone: one 4.4 GB model in memory at a time.
  let scale: ScaleMeasurements | undefined;
  if (!args["skip-scale"]) {
    step(
      "the 1.1B phase: PyTorch with hooks, onnxruntime-node alone, Loupe's engine, the Loupe platform",
    );
    checkLlama1bDisk();
    const { dir, facts } = ensureLlama1b(log);
    scale = await runScalePhase({
      modelDir: dir,
      facts,
      peersPython,
      rounds: settings.scaleRounds,
      threads: settings.threads,
      log,
    });
  }

  return {
    suites,
    comparison: {
      threads: settings.threads,
      cores: os.cpus().length,
      passes: settings.passes,
      rounds: settings.rounds,
      contenders: {
        results: contenders.results,
        agreements: contenders.agreements,
      },
      platform: {
        tasks: platformTasks,
        agreements: platformAgreements,
        latency,
        throughput,
        workerPeakRssBytes,
        workerPssAfterRunsBytes,
        throughputSeconds: settings.throughputSeconds,
      },
    },
    ...(scale ? { scale } : { scaleSkipped: "skipped with --skip-scale" }),
    loadAtStart,
    loadAtEnd: loadAverage(),
    minutes: (Date.now() - started) / 60_000,
    date: new Date().toISOString().slice(0, 10),
    ...state,
  };
}

let measured: Measurements;
if (args["report-only"]) {
  if (!fs.existsSync(measurementsFile))
    throw new Error(
      `--report-only rewrites the report from ${path.relative(root, measurementsFile)}, which does not exist: run npm run bench first`,
    );
  measured = JSON.parse(
    fs.readFileSync(measurementsFile, "utf8"),
  ) as Measurements;
} else {
  measured = await measure();
  fs.mkdirSync(path.dirname(measurementsFile), { recursive: true });
  fs.writeFileSync(measurementsFile, JSON.stringify(measured));
}
fs.rmSync(chartsDir, { recursive: true, force: true });
const sections = [
  ...measured.suites,
  await comparisonSection(measured.comparison, chartsDir, reportDir),
  await platformSection(measured.comparison, chartsDir, reportDir),
  scaleSection(
    measured.scale,
    measured.scaleSkipped ?? "measured before the 1.1B phase existed",
  ),
];

// 5. The report.
const cpu = os.cpus()[0]?.model ?? "unknown CPU";
const report = `# Benchmarks

Generated by \`npm run bench\` (bench/run.ts)${quick ? " **with --quick: too few rounds to quote**" : ""}; do not edit by hand. CI never runs it.

- commit: ${measured.commit}${measured.dirty ? " (with uncommitted changes)" : ""}
- machine: ${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.release()}
- load average (1 min) at start and end: ${measured.loadAtStart}, ${measured.loadAtEnd} (above the core count, other processes shared the CPUs and absolute times are inflated; ratios are measured side by side)
- Node.js ${process.version}; pinned versions of the Python peers in bench/peers/requirements.txt, of Loupe's packages in package-lock.json
- date: ${measured.date}; ${measured.minutes.toFixed(0)} minutes of measuring

${sections.join("\n")}`;
fs.mkdirSync(reportDir, { recursive: true });
fs.writeFileSync(reportFile, report);
console.log(
  `wrote ${path.relative(root, reportFile) || reportFile} and ${path.relative(root, chartsDir)}/`,
);
