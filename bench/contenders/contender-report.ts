import type { SavedTensor } from "@loupe/graph";
import { LAYERS } from "../suites/gpt2-graphs.ts";

/** Where a call's time went in Loupe's engine, in seconds per call. */
export interface EngineProfile {
  readonly piece: number;
  readonly segment: number;
  readonly backward: number;
}

/**
 * What every contender of the comparison prints, one JSON object per process:
 * the Python peers (bench/peers/peers_bench.py) and Loupe's engine
 * (loupe-engine.ts) alike, so bench/suites/comparison.ts reads them one way.
 */
export interface ContenderReport {
  readonly peer: string;
  readonly threads: number;
  readonly versions: Readonly<Record<string, string>>;
  /** The process's peak resident set (Linux ru_maxrss), in bytes. */
  readonly peakRssBytes: number;
  /** Loupe's engine only: its resident set after each step (start, read, loaded, ran). */
  readonly memory?: Readonly<Record<string, number>>;
  /**
   * Loupe's engine only: per task, seconds per timed call inside ONNX
   * Runtime's session runs (model pieces, intervention segments, backward
   * models); the rest of a call is the engine's own work.
   */
  readonly profile?: Readonly<Record<string, EngineProfile>>;
  /** Per task: wall seconds of every timed call (after one untimed warm-up), and a checksum of its output. */
  readonly tasks: Readonly<
    Record<string, { readonly seconds: number[]; readonly checksum: number }>
  >;
}

/**
 * The sum of an output's elements, as a float: the checksum a ContenderReport
 * carries per task (the Python peers sum theirs in double precision too), a cheap sign
 * that contenders computed the same thing, taken outside the timed calls.
 */
export function outputChecksum(output: SavedTensor): number {
  let sum = 0;
  for (const x of output.data) sum += Number(x);
  return sum;
}

/**
 * The line a contender prints on stderr when a task starts (warm-up included):
 * `LOUPE_BENCH_PHASE forward`, then `LOUPE_BENCH_PHASE end` after the last
 * task. The benchmark samples the contender's memory and files each sample
 * under the phase running then (bench/memory/peak-pss-sampler.ts). Before
 * the first line, the phase is "load".
 */
export const PHASE_MARKER = "LOUPE_BENCH_PHASE ";

/** Prints a phase marker (see PHASE_MARKER): for contenders written in TypeScript. */
export function markPhase(phase: string): void {
  process.stderr.write(`${PHASE_MARKER}${phase}\n`);
}

/** The tasks of the comparison, in table order. */
export const COMPARISON_TASKS = [
  "forward",
  "patching",
  "lens",
  "steering",
  "attribution",
] as const;
export type ComparisonTask = (typeof COMPARISON_TASKS)[number];

/** Parses a contender's stdout, naming the contender when it is not a report. */
export function parseContenderReport(
  who: string,
  stdout: string,
): ContenderReport {
  const line = stdout.trim().split("\n").at(-1) ?? "";
  try {
    const report = JSON.parse(line) as ContenderReport;
    if (typeof report.peakRssBytes !== "number" || !report.tasks)
      throw new Error("missing peakRssBytes or tasks");
    return report;
  } catch (error) {
    throw new Error(
      `${who} did not print its report (${(error as Error).message}); its last line: ${line.slice(0, 300)}`,
    );
  }
}

/**
 * A task's saves as the one tensor the peers return: the logits, or the
 * lens's per-layer top-5 ids stacked to [layers, rows, 5].
 */
export function taskOutput(
  task: ComparisonTask,
  saves: Readonly<Record<string, SavedTensor>>,
): SavedTensor {
  if (task === "attribution") return saves.attribution!;
  if (task !== "lens") return saves.logits!;
  const layers = Array.from({ length: LAYERS }, (_, i) => saves[`layer${i}`]!);
  const size = layers[0]!.data.length;
  const data = new BigInt64Array(size * LAYERS);
  layers.forEach((l, i) => data.set(l.data as BigInt64Array, i * size));
  return { dtype: "int64", shape: [LAYERS, ...layers[0]!.shape], data };
}
