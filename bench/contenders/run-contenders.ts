/**
 * Runs the comparison's contenders, one process each: onnxruntime-node alone
 * (ort-bare.ts: the plain forward's limit), Loupe's engine in-process
 * (loupe-engine.ts), PyTorch eager, PyTorch forward hooks and nnsight
 * (bench/peers/peers_bench.py, in the peers' virtualenv), on the same model
 * file, batch and thread count. Each contender's memory is sampled while it
 * runs each task once (Pss of its process tree, by task).
 *
 * First a check, before anything is timed: every contender runs each task
 * once and dumps its outputs, which must agree with Loupe's engine's within
 * TOLERANCE, or the benchmark stops (ContenderDisagreementError): a row that
 * computes something else measures nothing. Memory is sampled in that run
 * (the sampler takes CPU beside the contender). Then the timed passes, each
 * pass every contender in turn, so that a drift of the machine's load spreads
 * over all of them; samples are pooled over passes.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { SavedTensor } from "@loupe/graph";
import type { PssPeaks } from "../memory/peak-pss-sampler.ts";
import {
  COMPARISON_TASKS,
  parseContenderReport,
  type ComparisonTask,
  type ContenderReport,
} from "./contender-report.ts";
import { runSampled } from "./run-sampled.ts";
import { readContenderDump } from "./contender-dump.ts";
import { median } from "../report/stats.ts";

export const CONTENDERS = [
  "onnxruntime-node",
  "loupe-engine",
  "eager",
  "hooks",
  "nnsight",
] as const;
export type Contender = (typeof CONTENDERS)[number];

/** Every contender's output is checked against this one's. */
export const REFERENCE = "loupe-engine" satisfies Contender;

/**
 * How close a contender's outputs must be to Loupe's engine's: float outputs
 * (logits, attribution estimates) within this largest absolute difference
 * (float32 kernels that sum in different orders differ by ~1e-6 here; a
 * wrong computation by far more), and at least this share of the logit
 * lens's top-5 token ids equal (two logits within the tolerance of each
 * other may swap places).
 */
export const TOLERANCE = { maxAbsDiff: 1e-4, minEqualIdShare: 0.995 } as const;

/** How close a contender's output must be: an absolute bound, or one relative to max|reference| per tensor. */
export type Tolerance =
  | { readonly maxAbsDiff: number; readonly minEqualIdShare: number }
  | { readonly maxRelDiff: number; readonly minEqualIdShare: number };

/** A contender's pooled measurements. */
export interface ContenderResult {
  readonly versions: Readonly<Record<string, string>>;
  /** The largest peak resident set over its processes (VmHWM: counts mapped weights once per mapping). */
  readonly peakRssBytes: number;
  /** Resident set after each step, where the contender reports it (the last pass's). */
  readonly memory?: Readonly<Record<string, number>>;
  /** Loupe's engine: where a call's time went, per task (the last pass's). */
  readonly profile?: ContenderReport["profile"];
  /** Peak Pss of its process tree in the check run (each task once): overall, and by phase ("load", each task). */
  readonly pss: {
    readonly peakBytes: number;
    readonly byPhase: Readonly<Record<string, number>>;
    /** Milliseconds one Pss sample took (mean). */
    readonly meanSampleMs: number;
    /** Share of one CPU the sampler used, on the benchmark's thread. */
    readonly cpuShare: number;
  };
  readonly seconds: Partial<Record<ComparisonTask, number[]>>;
  readonly checksums: Partial<Record<ComparisonTask, number>>;
}

/** How a contender's output compares with the reference's, per task. */
export interface Agreement {
  readonly task: ComparisonTask;
  readonly contender: string;
  readonly reference: string;
  /** Logits: the largest absolute difference. */
  readonly maxAbsDiff?: number;
  /** Logits: the reference's largest magnitude (what a relative tolerance scales by). */
  readonly maxAbsRef?: number;
  /** Token ids (lens): how many of them are equal, of how many. */
  readonly equalIds?: readonly [number, number];
}

export interface ContenderRun {
  readonly results: Readonly<Partial<Record<Contender, ContenderResult>>>;
  /** Every contender's outputs against Loupe's engine's, from the check before timing. */
  readonly agreements: readonly Agreement[];
  /** Each task's output by Loupe's engine, to check other runs of it against. */
  readonly references: Readonly<Record<ComparisonTask, SavedTensor>>;
}

/** A contender's outputs differ from Loupe's engine's beyond TOLERANCE (or in shape). */
export class ContenderDisagreementError extends Error {
  override readonly name = "ContenderDisagreementError";
  readonly code = "CONTENDER_DISAGREEMENT";
  constructor(
    readonly issues: readonly string[],
    what = "the contenders do not compute the same thing, so nothing was timed",
  ) {
    super(
      `${what}:\n${issues.map((i) => `  - ${i}`).join("\n")}\n(tolerance: max abs diff ${TOLERANCE.maxAbsDiff} for float outputs, ${TOLERANCE.minEqualIdShare * 100}% of token ids equal; see bench/contenders/run-contenders.ts)`,
    );
  }
}

const root = path.resolve(import.meta.dirname, "..", "..");

interface RunOptions {
  modelFile: string;
  peersPython: string;
  threads: number;
}

/**
 * Checks that every contender computes what Loupe's engine computes, then
 * runs every contender `passes` times with `rounds` timed calls per task and
 * pass (after one untimed warm-up call per task and process).
 */
export async function runContenders(
  options: RunOptions & {
    passes: number;
    rounds: number;
    log: (line: string) => void;
  },
): Promise<ContenderRun> {
  const dumpDir = fs.mkdtempSync(path.join(os.tmpdir(), "loupe-bench-"));
  const pooled = new Map<Contender, Timed[]>();
  try {
    for (const contender of CONTENDERS) {
      const run = await runOne(contender, {
        ...options,
        rounds: 0,
        dumpDir,
        memory: true,
      });
      pooled.set(contender, [run]);
      options.log(
        `check: ${contender} ran every task once (process ${run.seconds.toFixed(0)} s, peak Pss ${mib(run.pss?.peakBytes ?? 0)})`,
      );
    }
    const { agreements, references, issues } = compareOutputs(dumpDir);
    if (issues.length > 0) throw new ContenderDisagreementError(issues);
    options.log(
      `check: every contender's outputs agree with Loupe's engine's (${agreements.length} comparisons)`,
    );

    for (let pass = 0; pass < options.passes; pass++)
      for (const contender of CONTENDERS) {
        const run = await runOne(contender, { ...options, memory: false });
        pooled.get(contender)!.push(run);
        const summary = Object.entries(run.report.tasks)
          .map(([t, r]) => `${t} ${median(r.seconds).toFixed(2)} s`)
          .join(", ");
        options.log(
          `pass ${pass + 1}/${options.passes} ${contender}: ${summary} (process ${run.seconds.toFixed(0)} s)`,
        );
      }
    const results: Partial<Record<Contender, ContenderResult>> = {};
    for (const [contender, runs] of pooled) results[contender] = poolRuns(runs);
    return { results, agreements, references };
  } finally {
    fs.rmSync(dumpDir, { recursive: true, force: true });
  }
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/** One contender process: what it printed, and its memory as sampled. */
interface Timed {
  readonly report: ContenderReport;
  readonly pss: PssPeaks | undefined;
  readonly seconds: number;
}

/** Pools the check run and the timed passes: times from the passes, Pss from the check run, peak RSS from all. */
function poolRuns(runs: readonly Timed[]): ContenderResult {
  const seconds: Partial<Record<ComparisonTask, number[]>> = {};
  const checksums: Partial<Record<ComparisonTask, number>> = {};
  const byPhase: Record<string, number> = {};
  for (const { report, pss } of runs) {
    for (const [task, r] of Object.entries(report.tasks)) {
      const t = task as ComparisonTask;
      seconds[t] = [...(seconds[t] ?? []), ...r.seconds];
      checksums[t] = r.checksum;
    }
    for (const [phase, bytes] of Object.entries(pss?.byPhase ?? {}))
      byPhase[phase] = Math.max(byPhase[phase] ?? 0, bytes);
  }
  const sampled = runs.flatMap((r) => (r.pss ? [r.pss] : []));
  const last = runs.at(-1)!.report;
  return {
    versions: last.versions,
    peakRssBytes: Math.max(...runs.map((r) => r.report.peakRssBytes)),
    ...(last.memory && { memory: last.memory }),
    ...(last.profile && { profile: last.profile }),
    pss: {
      peakBytes: Math.max(0, ...sampled.map((p) => p.peakBytes)),
      byPhase,
      meanSampleMs:
        sampled.reduce((sum, p) => sum + p.meanSampleMs, 0) /
        Math.max(1, sampled.length),
      cpuShare: Math.max(0, ...sampled.map((p) => p.cpuShare)),
    },
    seconds,
    checksums,
  };
}

async function runOne(
  contender: Contender,
  options: RunOptions & { rounds: number; dumpDir?: string; memory: boolean },
): Promise<Timed> {
  const common = [
    "--rounds",
    String(options.rounds),
    "--threads",
    String(options.threads),
    ...(options.dumpDir ? ["--dump", options.dumpDir] : []),
  ];
  const script = (file: string) => [
    "--import",
    "tsx",
    path.join(import.meta.dirname, file),
    options.modelFile,
    ...common,
  ];
  const [command, args] =
    contender === "loupe-engine"
      ? [process.execPath, script("loupe-engine.ts")]
      : contender === "onnxruntime-node"
        ? [process.execPath, script("ort-bare.ts")]
        : [
            options.peersPython,
            [
              path.join(root, "bench", "peers", "peers_bench.py"),
              contender,
              ...common,
            ],
          ];
  const run = await runSampled(command, args, {
    cwd: root,
    memory: options.memory,
  });
  if (run.status !== 0)
    throw new Error(
      `the ${contender} contender failed (exit ${run.status ?? run.signal}):\n${run.stderr.slice(-3000)}`,
    );
  return {
    report: parseContenderReport(contender, run.stdout),
    pss: run.pss,
    seconds: run.seconds,
  };
}

/** Every contender's outputs against Loupe's engine's, and the issues beyond TOLERANCE. */
function compareOutputs(dumpDir: string): {
  agreements: Agreement[];
  references: Record<ComparisonTask, SavedTensor>;
  issues: string[];
} {
  const outputs = new Map(
    CONTENDERS.map((c) => [c, readContenderDump(dumpDir, c) ?? {}]),
  );
  const agreements: Agreement[] = [];
  const issues: string[] = [];
  const references = {} as Record<ComparisonTask, SavedTensor>;
  for (const task of COMPARISON_TASKS) {
    const want = outputs.get(REFERENCE)![task];
    if (!want) throw new Error(`Loupe's engine dumped no ${task} output`);
    references[task] = want;
    for (const contender of CONTENDERS) {
      const got = outputs.get(contender)![task];
      if (contender === REFERENCE || !got) continue;
      try {
        const agreement: Agreement = {
          task,
          contender,
          reference: REFERENCE,
          ...compareTensors(`${contender} ${task}`, want, got),
        };
        agreements.push(agreement);
        const issue = disagreement(agreement);
        if (issue) issues.push(issue);
      } catch (error) {
        issues.push((error as Error).message);
      }
    }
  }
  return { agreements, references, issues };
}

/** Why an agreement is beyond TOLERANCE, or undefined when it is within. */
export function disagreement(
  a: Omit<Agreement, "task"> & { readonly task: string },
  tolerance: Tolerance = TOLERANCE,
): string | undefined {
  if (a.maxAbsDiff !== undefined) {
    // An absolute bound, or one relative to the reference's largest magnitude.
    const bound =
      "maxAbsDiff" in tolerance
        ? tolerance.maxAbsDiff
        : tolerance.maxRelDiff * (a.maxAbsRef ?? 0);
    if (!(a.maxAbsDiff <= bound))
      return `${a.contender} ${a.task}: max abs diff ${a.maxAbsDiff.toExponential(2)} from ${a.reference}'s output, tolerance ${"maxAbsDiff" in tolerance ? tolerance.maxAbsDiff : `${tolerance.maxRelDiff} × max|ref| = ${bound.toExponential(2)}`}`;
  }
  if (a.equalIds) {
    const [equal, all] = a.equalIds;
    if (!(equal >= tolerance.minEqualIdShare * all))
      return `${a.contender} ${a.task}: ${equal} of ${all} token ids equal to ${a.reference}'s, at least ${tolerance.minEqualIdShare * 100}% needed`;
  }
  return undefined;
}

/** Compares two outputs of the same task (throws on a shape or dtype mismatch). */
export function compareTensors(
  what: string,
  want: SavedTensor,
  got: SavedTensor,
): { maxAbsDiff: number; maxAbsRef: number } | { equalIds: [number, number] } {
  if (want.dtype !== got.dtype || want.shape.join(",") !== got.shape.join(","))
    throw new Error(
      `${what}: output ${got.dtype}[${got.shape.join(", ")}] differs in kind from the reference's ${want.dtype}[${want.shape.join(", ")}]`,
    );
  if (want.dtype === "int64") {
    const a = want.data;
    const b = got.data as BigInt64Array;
    let equal = 0;
    for (let i = 0; i < a.length; i++) if (a[i] === b[i]) equal++;
    return { equalIds: [equal, a.length] };
  }
  const a = want.data as Float32Array;
  const b = got.data as Float32Array;
  let max = 0;
  let ref = 0;
  for (let i = 0; i < a.length; i++) {
    max = Math.max(max, Math.abs(a[i]! - b[i]!));
    ref = Math.max(ref, Math.abs(a[i]!));
  }
  return { maxAbsDiff: max, maxAbsRef: ref };
}
