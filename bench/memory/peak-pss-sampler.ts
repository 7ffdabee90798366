import { processTree, sampleTreePss } from "./sample-pss.ts";
import { findRss } from "./sample-rss.ts";

/** What a PeakPssSampler saw between start() and stop(). */
export interface PssPeaks {
  /** The largest Pss of the tree, summed over its processes, in bytes. */
  readonly peakBytes: number;
  /** The largest Pss while each phase ran (see mark()), in bytes; a phase no sample fell in is absent. */
  readonly byPhase: Readonly<Record<string, number>>;
  /** How many times the tree's Pss was read (smaps_rollup of every process). */
  readonly samples: number;
  /** How many ticks there were: each reads the tree's resident set, and reads its Pss only when that could raise a peak. */
  readonly ticks: number;
  /** The most processes one sample summed over. */
  readonly processes: number;
  /** Milliseconds one Pss sample took (mean): the kernel walks every mapped page. */
  readonly meanSampleMs: number;
  /** Share of one CPU the sampler used between start() and stop(), on the calling thread. */
  readonly cpuShare: number;
}

/** How often the tree's membership is read again (processes may start). */
const TREE_REFRESH_MS = 1000;

/**
 * Samples the proportional set size (Pss) of a process tree from the calling
 * process's event loop and keeps its peak, overall and per phase (a phase is
 * a label set by mark(), e.g. the task a child says it started).
 *
 * Reading Pss is costly: the kernel walks every page the process maps (~75 ms
 * for a 2 GiB process on this machine's 2 cores). So every `intervalMs` the
 * sampler reads the tree's resident set (VmRSS, a counter: microseconds), and
 * reads Pss only when the resident set exceeds the current phase's Pss peak:
 * Pss never exceeds RSS, so a tick whose RSS is at most the peak cannot raise
 * it. Pss reads are also spaced so that they use at most `maxCpuShare` of one
 * CPU. A peak shorter than the interval can be missed; every phase gets a
 * sample when it starts and when it ends.
 *
 * Sampling needs a free event loop: sample a child spawned asynchronously,
 * not one run by spawnSync, and not this process while it blocks in native
 * code.
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
  readonly #maxCpuShare: number;
  #timer: NodeJS.Timeout | undefined;
  #phase: string;
  #peak = 0;
  readonly #byPhase: Record<string, number> = {};
  #samples = 0;
  #ticks = 0;
  #processes = 0;
  #sampleMs = 0;
  #busyMs = 0;
  #startedAt = 0;
  #nextSampleAt = 0;
  #tree: number[] = [];
  #treeAt = Number.NEGATIVE_INFINITY;

  /** Samples the tree rooted at `root`; `phase` labels samples until the first mark(). */
  constructor(
    root: number,
    options: { intervalMs?: number; phase?: string; maxCpuShare?: number } = {},
  ) {
    if (!Number.isInteger(root) || root <= 0)
      throw new Error(
        `PeakPssSampler: root must be a process id, got ${String(root)}`,
      );
    const share = options.maxCpuShare ?? 0.1;
    if (!(share > 0 && share <= 1))
      throw new Error(
        `PeakPssSampler: maxCpuShare must be in (0, 1], got ${share}`,
      );
    this.#root = root;
    this.#intervalMs = options.intervalMs ?? 50;
    this.#maxCpuShare = share;
    this.#phase = options.phase ?? "start";
  }

  /** Takes a first sample and starts sampling; returns this sampler. */
  start(): this {
    if (this.#timer) throw new Error("PeakPssSampler: already started");
    this.#startedAt = performance.now();
    this.sample();
    const tick = () => {
      this.#tick();
      this.#timer = setTimeout(tick, this.#intervalMs);
    };
    this.#timer = setTimeout(tick, this.#intervalMs);
    return this;
  }

  /** Reads the tree's Pss now, whatever its resident set (also at every phase's start and end). */
  sample(): void {
    const started = performance.now();
    const { bytes, processes } = sampleTreePss(this.#root);
    const took = performance.now() - started;
    this.#sampleMs += took;
    this.#busyMs += took;
    this.#samples++;
    this.#nextSampleAt = started + took / this.#maxCpuShare;
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
    if (this.#timer) this.sample();
  }

  /** Stops sampling and returns the peaks. */
  stop(): PssPeaks {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const elapsed = performance.now() - this.#startedAt;
    return {
      peakBytes: this.#peak,
      byPhase: { ...this.#byPhase },
      samples: this.#samples,
      ticks: this.#ticks,
      processes: this.#processes,
      meanSampleMs: this.#samples > 0 ? this.#sampleMs / this.#samples : 0,
      cpuShare: elapsed > 0 ? this.#busyMs / elapsed : 0,
    };
  }

  /** A cheap look at the tree's resident set; a Pss sample when it could raise the phase's peak. */
  #tick(): void {
    const started = performance.now();
    this.#ticks++;
    if (started - this.#treeAt >= TREE_REFRESH_MS) {
      this.#tree = processTree(this.#root);
      this.#treeAt = started;
    }
    let rss = 0;
    for (const pid of this.#tree) rss += findRss(pid) ?? 0;
    this.#busyMs += performance.now() - started;
    const phasePeak = this.#byPhase[this.#phase] ?? 0;
    if (rss > phasePeak && performance.now() >= this.#nextSampleAt)
      this.sample();
  }
}
