/**
 * The 1.1B phase: the same tasks on a Llama-architecture model of
 * TinyLlama-1.1B's shape (bench/models/export_llama_1b.py), by PyTorch with
 * forward hooks (bench/peers/llama_reference.py, the reference),
 * onnxruntime-node alone on the ONNX export (ort-llama.ts: the limit, for the
 * tasks that need no hook), Loupe's engine in process (loupe-llama.ts) and
 * Loupe's platform (platform-llama.ts: hosted while the stack runs, run
 * remotely with the SDK; its memory is its worker's).
 * One process at a time (never two 4.4 GB models in memory at once): first
 * every contender runs each task once, sampled for Pss by phase, and every
 * output is checked against PyTorch's within SCALE_TOLERANCE (the phase fails if
 * one differs); then each runs again, unsampled, for the timed calls.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseContenderReport } from "../contenders/contender-report.ts";
import { readContenderDump } from "../contenders/contender-dump.ts";
import {
  compareTensors,
  ContenderDisagreementError,
  disagreement,
  TOLERANCE,
} from "../contenders/run-contenders.ts";
import { runSampled } from "../contenders/run-sampled.ts";
import type { ExportFacts } from "../models/ensure-llama-1b.ts";
import { median } from "../report/stats.ts";
import { SCALE_TASKS, type ScaleTask } from "./llama-batch.ts";
import {
  LOUPE_SCALE_PENDING,
  loupeScaleContender,
  type ScaleContenderCommand,
} from "./loupe-side.ts";

export const SCALE_CONTENDERS = [
  "pytorch",
  "onnxruntime-node",
  "loupe-engine",
  "loupe-platform",
] as const;
export type ScaleContender = (typeof SCALE_CONTENDERS)[number];
const REFERENCE = "pytorch" satisfies ScaleContender;

/** One contender's run in the 1.1B phase. */
export interface ScaleResult {
  readonly versions: Readonly<Record<string, string>>;
  /** Seconds from the process's start to a loaded model, as the contender reports it. */
  readonly loadSeconds?: number;
  /** Wall seconds of the timed calls, per task it runs. */
  readonly seconds: Partial<Record<ScaleTask, number[]>>;
  /** Peak Pss of its process tree while it ran each task once: overall, and by phase ("load", each task). */
  readonly pss: {
    readonly peakBytes: number;
    readonly byPhase: Readonly<Record<string, number>>;
    readonly meanSampleMs: number;
    readonly cpuShare: number;
  };
  readonly peakRssBytes: number;
  /** Seconds the whole timed process ran. */
  readonly processSeconds: number;
}

/** A contender's output of a task against PyTorch's. */
export interface ScaleAgreement {
  readonly task: ScaleTask;
  readonly contender: ScaleContender;
  readonly maxAbsDiff?: number;
  readonly maxAbsRef?: number;
  readonly equalIds?: readonly [number, number];
}

/** Issue 18's rule for the 1.1B model: max|a−b| ≤ 1e-3·max|ref| per tensor (and token ids, as the GPT-2 suite). */
export const SCALE_TOLERANCE = {
  maxRelDiff: 1e-3,
  minEqualIdShare: TOLERANCE.minEqualIdShare,
} as const;

/** What the 1.1B phase measured. */
export interface ScaleMeasurements {
  readonly export: ExportFacts;
  readonly threads: number;
  readonly rounds: number;
  readonly results: Partial<Record<ScaleContender, ScaleResult>>;
  readonly agreements: readonly ScaleAgreement[];
  /** Why a contender has no row (Loupe's engine until loupe-side.ts is wired). */
  readonly missing: Partial<Record<ScaleContender, string>>;
}

const root = path.resolve(import.meta.dirname, "..", "..");

/**
 * Runs the 1.1B phase's contenders one after another on the export in
 * `modelDir`: first each runs every task once, its memory sampled and its
 * outputs dumped, and the outputs must agree with PyTorch's; then each runs
 * again, unsampled, for `rounds` timed calls per task.
 */
export async function runScalePhase(options: {
  modelDir: string;
  facts: ExportFacts;
  peersPython: string;
  rounds: number;
  threads: number;
  log: (line: string) => void;
}): Promise<ScaleMeasurements> {
  const dumpDir = fs.mkdtempSync(path.join(os.tmpdir(), "loupe-scale-"));
  try {
    const commandOf = (
      contender: ScaleContender,
      rounds: number,
      dump: boolean,
    ): ScaleContenderCommand | undefined => {
      const common = [
        options.modelDir,
        "--rounds",
        String(rounds),
        "--threads",
        String(options.threads),
        ...(dump ? ["--dump", dumpDir] : []),
      ];
      if (contender === "pytorch")
        return {
          command: options.peersPython,
          args: [
            path.join(root, "bench", "peers", "llama_reference.py"),
            ...common,
          ],
        };
      if (contender === "onnxruntime-node")
        return {
          command: process.execPath,
          args: [
            "--import",
            "tsx",
            path.join(import.meta.dirname, "ort-llama.ts"),
            ...common,
          ],
        };
      if (contender === "loupe-platform")
        return {
          command: process.execPath,
          args: [
            "--import",
            "tsx",
            path.join(import.meta.dirname, "platform-llama.ts"),
            ...common,
          ],
        };
      return loupeScaleContender(options.modelDir, {
        rounds,
        threads: options.threads,
        ...(dump && { dumpDir }),
      });
    };
    const run = async (contender: ScaleContender, timed: boolean) => {
      const command = commandOf(contender, timed ? options.rounds : 0, !timed);
      if (!command) return undefined;
      const result = await runSampled(command.command, command.args, {
        cwd: root,
        memory: !timed,
      });
      if (result.status !== 0)
        throw new Error(
          `the 1.1B phase's ${contender} contender failed (exit ${result.status ?? result.signal}):\n${result.stderr.slice(-3000)}`,
        );
      const report = parseContenderReport(
        contender,
        result.stdout,
      ) as ReturnType<typeof parseContenderReport> & {
        loadSeconds?: number;
        /** The platform's: its worker's Pss, sampled by the contender itself. */
        workerPss?: { peakBytes: number; byPhase: Record<string, number> };
      };
      return { result, report };
    };

    const checks = new Map<
      ScaleContender,
      NonNullable<Awaited<ReturnType<typeof run>>>
    >();
    const missing: Partial<Record<ScaleContender, string>> = {};
    for (const contender of SCALE_CONTENDERS) {
      const check = await run(contender, false);
      if (!check) {
        missing[contender] = LOUPE_SCALE_PENDING;
        options.log(`${contender}: ${LOUPE_SCALE_PENDING}`);
        continue;
      }
      checks.set(contender, check);
      options.log(
        `check: ${contender} ran every task once; peak Pss ${gib(check.result.pss?.peakBytes ?? 0)} (process ${check.result.seconds.toFixed(0)} s)`,
      );
    }
    const agreements = compareScaleOutputs(dumpDir);
    options.log(
      `check: every output agrees with PyTorch's (${agreements.length} comparisons)`,
    );

    const results: Partial<Record<ScaleContender, ScaleResult>> = {};
    for (const [contender, check] of checks) {
      const timed = (await run(contender, true))!;
      // The platform's row is its worker's memory, not the whole stack's.
      const pss = check.report.workerPss
        ? { ...check.result.pss!, ...check.report.workerPss }
        : check.result.pss!;
      const loadSeconds = timed.report.loadSeconds;
      results[contender] = {
        versions: timed.report.versions,
        ...(typeof loadSeconds === "number" && { loadSeconds }),
        seconds: Object.fromEntries(
          Object.entries(timed.report.tasks).map(([t, r]) => [t, r.seconds]),
        ),
        pss: {
          peakBytes: pss.peakBytes,
          byPhase: pss.byPhase,
          meanSampleMs: pss.meanSampleMs,
          cpuShare: pss.cpuShare,
        },
        peakRssBytes: Math.max(
          check.report.peakRssBytes,
          timed.report.peakRssBytes,
        ),
        processSeconds: timed.result.seconds,
      };
      const summary = Object.entries(timed.report.tasks)
        .map(([t, r]) => `${t} ${median(r.seconds).toFixed(2)} s`)
        .join(", ");
      options.log(
        `${contender}: ${summary} (process ${timed.result.seconds.toFixed(0)} s)`,
      );
    }
    return {
      export: options.facts,
      threads: options.threads,
      rounds: options.rounds,
      results,
      agreements,
      missing,
    };
  } finally {
    fs.rmSync(dumpDir, { recursive: true, force: true });
  }
}

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(2)} GiB`;

/** Every contender's dumped outputs against PyTorch's; throws ContenderDisagreementError beyond TOLERANCE. */
function compareScaleOutputs(dumpDir: string): ScaleAgreement[] {
  const reference = readContenderDump(dumpDir, REFERENCE);
  if (!reference)
    throw new Error("the 1.1B phase's PyTorch reference dumped no outputs");
  const agreements: ScaleAgreement[] = [];
  const issues: string[] = [];
  for (const contender of SCALE_CONTENDERS) {
    if (contender === REFERENCE) continue;
    const outputs = readContenderDump(dumpDir, contender);
    if (!outputs) continue;
    for (const task of SCALE_TASKS) {
      const want = reference[task];
      const got = outputs[task];
      if (!got) continue;
      if (!want)
        throw new Error(
          `the 1.1B phase's PyTorch reference has no ${task} output`,
        );
      try {
        const agreement: ScaleAgreement = {
          task,
          contender,
          ...compareTensors(`${contender} ${task}`, want, got),
        };
        agreements.push(agreement);
        const issue = disagreement(
          { ...agreement, reference: REFERENCE },
          SCALE_TOLERANCE,
        );
        if (issue) issues.push(issue);
      } catch (error) {
        issues.push((error as Error).message);
      }
    }
  }
  if (issues.length > 0)
    throw new ContenderDisagreementError(
      issues,
      "the 1.1B phase's contenders do not compute the same thing as PyTorch, so its timings are not reported",
    );
  return agreements;
}
