import { spawn } from "node:child_process";
import { PeakPssSampler, type PssPeaks } from "../memory/peak-pss-sampler.ts";
import { PHASE_MARKER } from "./contender-report.ts";

/** A finished contender process: its output, and its memory as sampled while it ran. */
export interface SampledRun {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  /** Its stderr without the phase markers (the last 64 kB). */
  readonly stderr: string;
  /** Pss of its process tree, sampled every `intervalMs`, by the phases it printed (PHASE_MARKER); undefined when not sampled. */
  readonly pss: PssPeaks | undefined;
  readonly seconds: number;
}

const STDERR_KEPT = 64 * 1024;

/**
 * Runs a contender as a child process and, with `memory` (the default),
 * samples its process tree's proportional set size (Pss) from this process's
 * event loop (PeakPssSampler, every `intervalMs`), filing each sample under
 * the phase the child last announced on stderr (`LOUPE_BENCH_PHASE <task>`;
 * "load" until the first). The sampler takes up to ~10% of one CPU beside
 * the child: leave it off for runs that are timed. Resolves when the child
 * exits, whatever its status: the caller decides what a failure means.
 */
export async function runSampled(
  command: string,
  args: readonly string[],
  options: {
    cwd: string;
    memory?: boolean;
    intervalMs?: number;
    env?: NodeJS.ProcessEnv;
  },
): Promise<SampledRun> {
  const started = performance.now();
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const spawned = new Promise<void>((resolve, reject) => {
    child.once("spawn", resolve);
    child.once("error", (error) =>
      reject(
        new Error(`could not start ${command}: ${error.message}`, {
          cause: error,
        }),
      ),
    );
  });
  await spawned;
  const sampler =
    options.memory === false
      ? undefined
      : new PeakPssSampler(child.pid!, {
          intervalMs: options.intervalMs ?? 50,
          phase: "load",
        }).start();

  const stdout: string[] = [];
  let stderr = "";
  let partial = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (text: string) => stdout.push(text));
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (text: string) => {
    const lines = (partial + text).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      if (line.startsWith(PHASE_MARKER))
        sampler?.mark(line.slice(PHASE_MARKER.length).trim());
      else stderr = (stderr + line + "\n").slice(-STDERR_KEPT);
    }
  });
  const [status, signal] = await new Promise<
    [number | null, NodeJS.Signals | null]
  >((resolve) => child.once("close", (code, sig) => resolve([code, sig])));
  return {
    status,
    signal,
    stdout: stdout.join(""),
    stderr: stderr + partial,
    pss: sampler?.stop(),
    seconds: (performance.now() - started) / 1000,
  };
}
