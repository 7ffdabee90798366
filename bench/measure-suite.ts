import { Bench } from "tinybench";
import { quantile } from "./report/stats.ts";
import type { Suite, TaskSpec, TaskStats } from "./suite.ts";

/** A suite's measurements: stats by task label, notes, and its summary. */
export interface SuiteResult {
  readonly stats: ReadonlyMap<string, TaskStats>;
  readonly notes: ReadonlyMap<string, string>;
  readonly summary: string;
}

/**
 * Runs a suite with tinybench: setup (untimed), then `rounds` rounds in which
 * every task runs in table order with its own warm-up and iteration counts (one
 * Bench per task and round, since tinybench's counts are per Bench), samples
 * pooled over rounds; then summary and teardown. A task that throws fails the
 * run with the task's name: a benchmark of a failing call measures nothing.
 */
export async function measureSuite(suite: Suite): Promise<SuiteResult> {
  const run = await suite.setup();
  try {
    const specs = Object.entries(run.tasks).map(
      ([label, task]) =>
        [label, typeof task === "function" ? { fn: task } : task] as const,
    );
    const samples = new Map<string, number[]>(specs.map(([l]) => [l, []]));
    const rounds = suite.rounds ?? 1;
    for (let round = 0; round < rounds; round++)
      for (const [label, spec] of specs) {
        const latencies = await measureTask(label, spec);
        samples.get(label)!.push(...latencies);
        if (rounds > 1)
          console.log(
            `  round ${round + 1}/${rounds} ${label}: ${latencies.map((l) => l.toFixed(0)).join(", ")} ms`,
          );
      }
    const stats = new Map(
      [...samples].map(([label, s]) => [label, sampleStats(label, s)]),
    );
    const notes = new Map<string, string>();
    for (const [label, spec] of specs)
      if (spec.notes) notes.set(label, spec.notes());
    return { stats, notes, summary: run.summary?.(stats) ?? "" };
  } finally {
    await run.teardown?.();
  }
}

async function measureTask(label: string, spec: TaskSpec): Promise<number[]> {
  const counted = spec.iterations !== undefined;
  const warmup = spec.warmup ?? (counted ? 1 : undefined);
  const bench = new Bench({
    throws: true,
    retainSamples: true,
    ...(counted ? { iterations: spec.iterations, time: 0 } : { time: 1000 }),
    ...(warmup === undefined
      ? { warmupTime: 200 }
      : { warmup: warmup > 0, warmupIterations: warmup, warmupTime: 0 }),
  });
  bench.add(label, spec.fn, {
    ...(spec.beforeEach && {
      beforeEach: async (mode) => {
        await spec.beforeEach!(mode ?? "run");
      },
    }),
    ...(spec.afterEach && {
      afterEach: async (mode) => {
        await spec.afterEach!(mode ?? "run");
      },
    }),
  });
  await bench.run();
  const result = bench.tasks[0]!.result;
  if (result.state !== "completed")
    throw new Error(`task "${label}": ${result.state}`);
  return [...(result.latency.samples ?? [])];
}

/** Median, p99, min, max (order statistics, see report/stats.ts). */
function sampleStats(label: string, samples: readonly number[]): TaskStats {
  if (samples.length === 0) throw new Error(`task "${label}": no samples`);
  return {
    median: quantile(samples, 0.5),
    p99: quantile(samples, 0.99),
    min: Math.min(...samples),
    max: Math.max(...samples),
    runs: samples.length,
  };
}
