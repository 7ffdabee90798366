import * as ort from "onnxruntime-node";
import {
  emptyMemory,
  recordMemory,
  type MemoryMetrics,
} from "./memory-metrics.ts";
import { emptyIsolation, type IsolationMetrics } from "./isolate-failures.ts";

/** Counters an engine exposes (tests and benchmarks read them). */
export interface EngineMetrics {
  /** Sessions created, by kind. */
  piecesCompiled: number;
  segmentsCompiled: number;
  /** Backward models (a piece's or a segment's reverse pass). */
  backwardsCompiled: number;
  /** Bytes of weights loaded into sessions since the engine started. */
  weightBytesLoaded: number;
  /** Lookups answered from the cache. */
  cacheHits: number;
  /** Sessions released to stay within the memory budget. */
  evictions: number;
  /** Forward passes run (one per batched trace or generation step), failed ones included. */
  forwardPasses: number;
  /** Session runs (pieces and segments). */
  sessionRuns: number;
  /** Batches split to fit the memory budget (see EngineOptions.memoryBudgetBytes). */
  batchesSplit: number;
  /**
   * Seconds spent inside ONNX Runtime's session runs, by kind: model pieces,
   * intervention segments, backward models. What a pass took beyond their sum
   * is the engine's own work (placing graphs, building feeds, batching).
   */
  runSeconds: { piece: number; segment: number; backward: number };
  /** Bytes held now and at most, by category. */
  memory: MemoryMetrics;
  /** Shared passes that failed, and how their graphs were rerun to isolate the cause. */
  isolation: IsolationMetrics;
}

export const emptyMetrics = (): EngineMetrics => ({
  piecesCompiled: 0,
  segmentsCompiled: 0,
  backwardsCompiled: 0,
  weightBytesLoaded: 0,
  cacheHits: 0,
  evictions: 0,
  forwardPasses: 0,
  sessionRuns: 0,
  batchesSplit: 0,
  runSeconds: { piece: 0, segment: 0, backward: 0 },
  memory: emptyMemory(),
  isolation: emptyIsolation(),
});

interface Entry {
  readonly session: ort.InferenceSession;
  /** Memory the entry is charged: its model bytes (weights included). */
  readonly cost: number;
  readonly pinned: boolean;
}

/**
 * Compiled sessions keyed by structure, least recently used first out, bounded
 * by the bytes of weights and model they hold. A Map keeps insertion order:
 * re-inserting on each hit makes its first key the least recently used.
 */
export class SessionCache {
  readonly #entries = new Map<string, Entry>();
  #used = 0;

  constructor(
    readonly budgetBytes: number,
    readonly metrics: EngineMetrics,
    readonly options: ort.InferenceSession.SessionOptions = {},
  ) {}

  get usedBytes(): number {
    return this.#used;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The session for `key`, created from `build()` on a miss. */
  async get(
    key: string,
    kind: "piece" | "segment" | "backward",
    build: () => { bytes: Uint8Array; weightBytes: number },
    pinned = false,
  ): Promise<ort.InferenceSession> {
    const hit = this.#entries.get(key);
    if (hit) {
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      this.metrics.cacheHits++;
      return hit.session;
    }
    const { bytes, weightBytes } = build();
    const session = await ort.InferenceSession.create(bytes, this.options);
    if (kind === "piece") this.metrics.piecesCompiled++;
    else if (kind === "backward") this.metrics.backwardsCompiled++;
    else this.metrics.segmentsCompiled++;
    this.metrics.weightBytesLoaded += weightBytes;
    // Weights are mapped from their file and counted once, as `weights`; a
    // session is charged its model's bytes (structure and small inline weights).
    const entry = { session, cost: bytes.length, pinned };
    this.#entries.set(key, entry);
    this.#used += entry.cost;
    await this.#evict(key);
    recordMemory(this.metrics.memory, "sessions", this.#used);
    return session;
  }

  async #evict(keep: string): Promise<void> {
    for (const [key, entry] of this.#entries) {
      if (this.#used <= this.budgetBytes) return;
      if (key === keep || entry.pinned) continue;
      this.#entries.delete(key);
      this.#used -= entry.cost;
      this.metrics.evictions++;
      await entry.session.release();
    }
  }

  /** Runs a session, counting the run and its time under `kind`. */
  async run(
    session: ort.InferenceSession,
    kind: "piece" | "segment" | "backward",
    feeds: ort.InferenceSession.FeedsType,
  ): Promise<ort.InferenceSession.ReturnType> {
    const started = performance.now();
    const out = await session.run(feeds);
    this.metrics.runSeconds[kind] += (performance.now() - started) / 1000;
    this.metrics.sessionRuns++;
    return out;
  }

  /** Releases every session. */
  async clear(): Promise<void> {
    const all = [...this.#entries.values()];
    this.#entries.clear();
    this.#used = 0;
    recordMemory(this.metrics.memory, "sessions", 0);
    await Promise.all(all.map((e) => e.session.release()));
  }
}
