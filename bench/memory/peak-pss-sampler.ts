import { sampleTreePss } from "./sample-pss.ts";

/** What a PeakPssSampler saw between start() and stop(). */
export interface PssPeaks {
  /** The largest Pss of the tree, summed over its processes, in bytes. */
  readonly peakBytes: number;
  /** The largest Pss while each phase ran (see mark()), in bytes; a phase no sample fell in is absent. */
  readonly byPhase: Readonly<Record<string, number>>;
  /** How many samples were taken. */
  readonly samples: number;
  /** The most processes one sample summed over. */
  readonly processes: number;
  /** Milliseconds one sample took (mean): the sampler's own cost, paid on the parent's thread. */
  readonly meanSampleMs: number;
}

/**
 * Samples the proportional set size (Pss) of a process tree every
 * `intervalMs` from the calling process's event loop and keeps its peak,
 * overall and per phase (a phase is a label set by mark(), e.g. the task a
 * child says it started). Sampling needs a free event loop: sample a child
 * spawned asynchronously, not one run by spawnSync, and not this process
 * while it blocks in native code. A peak shorter than the interval can be
 * missed; the first sample is taken at start().
 *
 * @example
 * const child = spawn(python, [script]);
 * const sampler = new PeakPssSampler(child.pid!).start();
 * child.stderr.on("data", (d) => sampler.mark(parsePhase(d)));
 * await once(child, "exit");
 * const { peakBytes, byPhase } = sampler.stop();
 */
export class PeakPssSampler {
  readonly #root: number;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #phase: string;
  #peak = 0;
  readonly #byPhase: Record<string, number> = {};
  #samples = 0;
  #processes = 0;
  #sampleMs = 0;

  /** Samples the tree rooted at `root`; `phase` labels samples until the first mark(). */
  constructor(
    root: number,
    options: { intervalMs?: number; phase?: string } = {},
  ) {
    if (!Number.isInteger(root) || root <= 0)
      throw new Error(
        `PeakPssSampler: root must be a process id, got ${String(root)}`,
      );
    this.#root = root;
    this.#intervalMs = options.intervalMs ?? 50;
    this.#phase = options.phase ?? "start";
  }

  /** Takes a first sample and starts sampling; returns this sampler. */
  start(): this {
    if (this.#timer) throw new Error("PeakPssSampler: already started");
    this.sample();
    this.#timer = setInterval(() => this.sample(), this.#intervalMs);
    return this;
  }

  /** Samples now (also called by the timer): e.g. right before a phase ends. */
  sample(): void {
    const started = performance.now();
    const { bytes, processes } = sampleTreePss(this.#root);
    this.#sampleMs += performance.now() - started;
    this.#samples++;
    if (processes === 0) return; // the tree has ended
    this.#processes = Math.max(this.#processes, processes);
    this.#peak = Math.max(this.#peak, bytes);
    this.#byPhase[this.#phase] = Math.max(
      this.#byPhase[this.#phase] ?? 0,
      bytes,
    );
  }

  /** Starts a new phase: later samples count toward `phase` (after one last sample of the phase that ends). */
  mark(phase: string): void {
    if (this.#timer) this.sample();
    this.#phase = phase;
  }

  /** Stops sampling and returns the peaks. */
  stop(): PssPeaks {
    clearInterval(this.#timer);
    this.#timer = undefined;
    return {
      peakBytes: this.#peak,
      byPhase: { ...this.#byPhase },
      samples: this.#samples,
      processes: this.#processes,
      meanSampleMs: this.#samples > 0 ? this.#sampleMs / this.#samples : 0,
    };
  }
}
