/** Which phase a task hook runs in: untimed warm-up calls, or timed ones. */
export type Phase = "warmup" | "run";

/**
 * A timed function with its own iteration counts and untimed hooks. Without
 * `iterations` a task runs for tinybench's time budget (1 s after a 200 ms
 * warm-up), which suits microsecond tasks; passes of half a second need counts.
 */
export interface TaskSpec {
  readonly fn: () => unknown;
  /** Timed calls per round (after that round's warm-up). */
  readonly iterations?: number;
  /** Untimed calls at the start of each round; 0 when the first call is what is measured. */
  readonly warmup?: number;
  /** Untimed, before every call (warm-up and timed): e.g. a hook set never run before. */
  readonly beforeEach?: (phase: Phase) => unknown;
  /** Untimed, after every call: e.g. read counters, release what the call made. */
  readonly afterEach?: (phase: Phase) => unknown;
  /** A short note for the table once every round has run (e.g. what each call compiled). */
  readonly notes?: () => string;
}

/** The latency of one task over all rounds, in milliseconds. */
export interface TaskStats {
  readonly median: number;
  readonly p99: number;
  readonly min: number;
  readonly max: number;
  readonly runs: number;
}

/** What a suite's setup returns: its tasks, and what runs after they are measured. */
export interface SuiteRun {
  /** Timed functions by label, in table order. */
  readonly tasks: Readonly<Record<string, (() => unknown) | TaskSpec>>;
  /** Markdown after the table, computed from the measurements (ratios, targets). */
  summary?(stats: ReadonlyMap<string, TaskStats>): string;
  /** Releases what setup made (sessions, engines). */
  teardown?(): unknown;
}

/** A group of benchmark tasks, measured together and reported as one table. */
export interface Suite {
  readonly name: string;
  /** One paragraph under the table: what is measured, and against what. */
  readonly note: string;
  /**
   * Rounds of measurement: each round runs every task in table order, so slow
   * tasks are measured side by side (interleaved) rather than minutes apart on
   * a machine whose load changes. Samples of all rounds are pooled. Default 1.
   */
  readonly rounds?: number;
  /** Sets up (untimed) and returns the tasks. */
  setup(): SuiteRun | Promise<SuiteRun>;
}
