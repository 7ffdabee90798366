/**
 * Runs the comparison's contenders, one process each: PyTorch eager, PyTorch
 * forward hooks and nnsight (bench/peers/peers_bench.py, in the peers'
 * virtualenv) and Loupe's engine in-process (loupe-engine.ts), on the same
 * model file, batch and thread count. Contenders run in `passes` passes, each
 * pass every contender in turn, so that a drift of the machine's load spreads
 * over all of them; samples are pooled over passes.
 *
 * Every contender dumps its outputs, and they are compared element by element
 * with PyTorch hooks' (the reference): the rows measure the same computation.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fromSafetensors, type SavedTensor } from "@loupe/graph";
import {
  COMPARISON_TASKS,
  parseContenderReport,
  type ComparisonTask,
  type ContenderReport,
} from "./contender-report.ts";
import { median } from "../report/stats.ts";

export const CONTENDERS = [
  "eager",
  "hooks",
  "nnsight",
  "loupe-engine",
] as const;
export type Contender = (typeof CONTENDERS)[number];

/** A contender's pooled measurements. */
export interface ContenderResult {
  readonly versions: Readonly<Record<string, string>>;
  /** The largest peak resident set over its processes. */
  readonly peakRssBytes: number;
  /** Resident set after each step, where the contender reports it (the last pass's). */
  readonly memory?: Readonly<Record<string, number>>;
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
  /** Token ids (lens): how many of them are equal, of how many. */
  readonly equalIds?: readonly [number, number];
}

export interface ContenderRun {
  readonly results: Readonly<Partial<Record<Contender, ContenderResult>>>;
  readonly agreements: readonly Agreement[];
  /** Each task's reference output (see referenceOf), to check other runs of it against. */
  readonly references: Readonly<Record<ComparisonTask, SavedTensor>>;
}

const root = path.resolve(import.meta.dirname, "..", "..");

/**
 * Runs every contender `passes` times with `rounds` timed calls per task and
 * pass (after one untimed warm-up call per task and process).
 */
export function runContenders(options: {
  modelFile: string;
  peersPython: string;
  passes: number;
  rounds: number;
  threads: number;
  log: (line: string) => void;
}): ContenderRun {
  const dumpDir = fs.mkdtempSync(path.join(os.tmpdir(), "loupe-bench-"));
  const pooled = new Map<Contender, ContenderReport[]>();
  for (let pass = 0; pass < options.passes; pass++)
    for (const contender of CONTENDERS) {
      const started = performance.now();
      const report = runOne(contender, { ...options, dumpDir });
      pooled.set(contender, [...(pooled.get(contender) ?? []), report]);
      const summary = Object.entries(report.tasks)
        .map(([t, r]) => `${t} ${median(r.seconds).toFixed(2)} s`)
        .join(", ");
      options.log(
        `pass ${pass + 1}/${options.passes} ${contender}: ${summary} (process ${((performance.now() - started) / 1000).toFixed(0)} s)`,
      );
    }
  const results: Partial<Record<Contender, ContenderResult>> = {};
  for (const [contender, reports] of pooled) {
    const seconds: Partial<Record<ComparisonTask, number[]>> = {};
    const checksums: Partial<Record<ComparisonTask, number>> = {};
    for (const report of reports)
      for (const [task, r] of Object.entries(report.tasks)) {
        const t = task as ComparisonTask;
        seconds[t] = [...(seconds[t] ?? []), ...r.seconds];
        checksums[t] = r.checksum;
      }
    results[contender] = {
      versions: reports[0]!.versions,
      peakRssBytes: Math.max(...reports.map((r) => r.peakRssBytes)),
      ...(reports.at(-1)!.memory && { memory: reports.at(-1)!.memory }),
      seconds,
      checksums,
    };
  }
  const { agreements, references } = compareOutputs(dumpDir);
  fs.rmSync(dumpDir, { recursive: true, force: true });
  return { results, agreements, references };
}

function runOne(
  contender: Contender,
  options: {
    modelFile: string;
    peersPython: string;
    rounds: number;
    threads: number;
    dumpDir: string;
  },
): ContenderReport {
  const common = [
    "--rounds",
    String(options.rounds),
    "--threads",
    String(options.threads),
    "--dump",
    options.dumpDir,
  ];
  const [command, args] =
    contender === "loupe-engine"
      ? [
          process.execPath,
          [
            "--import",
            "tsx",
            path.join(import.meta.dirname, "loupe-engine.ts"),
            options.modelFile,
            ...common,
          ],
        ]
      : [
          options.peersPython,
          [
            path.join(root, "bench", "peers", "peers_bench.py"),
            contender,
            ...common,
          ],
        ];
  const result = spawnSync(command, args, {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 64 * 2 ** 20,
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (result.status !== 0)
    throw new Error(
      `the ${contender} contender failed (exit ${result.status ?? result.signal}):\n${(result.stderr ?? "").slice(-3000)}`,
    );
  return parseContenderReport(contender, result.stdout);
}

/** Reference for each task: PyTorch eager for the forward, PyTorch hooks otherwise. */
export function referenceOf(task: ComparisonTask): Contender {
  return task === "forward" ? "eager" : "hooks";
}

function compareOutputs(dumpDir: string): {
  agreements: Agreement[];
  references: Record<ComparisonTask, SavedTensor>;
} {
  const read = (c: Contender) => {
    const file = path.join(dumpDir, `${c}.safetensors`);
    return fs.existsSync(file)
      ? fromSafetensors(new Uint8Array(fs.readFileSync(file))).tensors
      : {};
  };
  const outputs = new Map(CONTENDERS.map((c) => [c, read(c)]));
  const agreements: Agreement[] = [];
  const references = {} as Record<ComparisonTask, SavedTensor>;
  for (const task of COMPARISON_TASKS) {
    const reference = referenceOf(task);
    const want = outputs.get(reference)![task];
    if (!want)
      throw new Error(`the reference ${reference} has no ${task} output`);
    references[task] = want;
    for (const contender of CONTENDERS) {
      const got = outputs.get(contender)![task];
      if (contender === reference || !got) continue;
      agreements.push({
        task,
        contender,
        reference,
        ...compareTensors(`${contender} ${task}`, want, got),
      });
    }
  }
  return { agreements, references };
}

/** Compares two outputs of the same task (throws on a shape or dtype mismatch). */
export function compareTensors(
  what: string,
  want: SavedTensor,
  got: SavedTensor,
): { maxAbsDiff: number } | { equalIds: [number, number] } {
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
  for (let i = 0; i < a.length; i++)
    max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return { maxAbsDiff: max };
}
