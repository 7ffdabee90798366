import type * as ort from "onnxruntime-node";
import {
  createModel,
  tokenLimits,
  type CheckedGraph,
  type Graph,
  type Manifest,
  type SavedTensor,
  type TextTokenizer,
  type TokenLimits,
} from "@loupe/graph";
import { buildPiece, pieceKey } from "./model/build-piece.ts";
import { planModel, type ModelPlan } from "./model/model-plan.ts";
import { runBatch } from "./run/run-batch.ts";
import {
  RunError,
  type Padding,
  type PreparedGraph,
} from "./run/batch-step.ts";
import { runIsolated } from "./run/isolate-failures.ts";
import { GraphRunner } from "./run/graph-runner.ts";
import {
  emptyMetrics,
  SessionCache,
  type EngineMetrics,
} from "./run/session-cache.ts";
import type { GenerationEvents, TokenEvent } from "./run/generate.ts";
import { toRunResult, type RunResult } from "./run/run-result.ts";
import { kvLayout } from "./run/kv-cache.ts";
import { failedGraph, prepareGraph } from "./run/prepare-graph.ts";
import { readRawModel } from "./onnx/onnx-bytes.ts";
import { admitModel, formatBytes } from "./weights/admit-model.ts";
import { recordMemory } from "./run/memory-metrics.ts";
import {
  estimateActivations,
  fitActivationModel,
  splitBatch,
  type ActivationModel,
} from "./run/split-batch.ts";
import { sha256, storeWeights } from "./weights/store-weights.ts";
import { withWeightFolder } from "./weights/weight-session-options.ts";

/** Raised for a graph whose batch cannot fit the engine's memory budget: it is not run. */
export class MemoryBudgetError extends Error {
  override readonly name = "MemoryBudgetError";
  readonly code = "MEMORY_BUDGET";
}

/**
 * One checked graph to run (checked against this model: see `check`, or
 * `checkedGraphFromStore` for a graph the platform's API checked and stored),
 * with the data of its `tensor` inputs.
 */
export interface RunRequest {
  readonly checked: CheckedGraph;
  readonly tensors?: Readonly<Record<string, SavedTensor>>;
  /** Stops the graph's generation at the next step; what it generated so far is its result. */
  readonly signal?: AbortSignal;
}

/** A graph not checked yet, for `run`, which checks it first. */
export interface UncheckedRunRequest {
  readonly graph: Graph;
  readonly tensors?: Readonly<Record<string, SavedTensor>>;
  readonly signal?: AbortSignal;
}

/** What `run` takes: a request, checked or not, or a graph alone (checked or not). */
export type RunInput = RunRequest | UncheckedRunRequest | CheckedGraph | Graph;

/** Options of a run: where generated tokens stream to. */
export interface RunOptions {
  /** Called with every token as it is generated (its graph: the request's index). */
  readonly onToken?: (event: TokenEvent) => void;
}

export interface EngineOptions {
  /**
   * Memory budget of compiled sessions beyond the weights (which every
   * session maps from one file and which count once, as `weights`): their
   * model bytes and the small weights kept inline. Default 256 MiB.
   */
  readonly cacheBudgetBytes?: number;
  /**
   * The most memory the model may take, weights included: a model whose
   * weights alone exceed it is refused before anything is loaded
   * (ModelAdmissionError, naming the bytes).
   */
  readonly memoryBudgetBytes?: number;
  /**
   * The folder the export's external data locations are relative to (its
   * .onnx file's folder); `loadModelFiles` sets it.
   */
  readonly externalDataDir?: string;
  /**
   * Where the engine writes the weights an export keeps inline, once per model
   * (`<weightsDir>/<model hash>/`); default `<tmp>/loupe-weights`.
   */
  readonly weightsDir?: string;
  /** ONNX Runtime session options (execution providers, threads). */
  readonly sessionOptions?: ort.InferenceSession.SessionOptions;
}

/** The session cache's default budget (see EngineOptions.cacheBudgetBytes). */
export const DEFAULT_CACHE_BUDGET_BYTES = 256 * 2 ** 20;

/**
 * ONNX Runtime options of every session the engine creates. A forward pass runs
 * a dozen sessions back to back, each with its own thread pool: with ORT's
 * default spin-waiting, the threads of the session that just finished keep
 * spinning while the next session's threads work, and on a small machine that
 * costs about a third of the pass (measured on GPT-2 small, batch 32 x 12, 2
 * cores: 1.42 s with spinning, 0.83-1.07 s without, whole model in one session
 * 0.80-0.86 s). So the engine's sessions do not spin. Nor do they keep a
 * memory arena: each session's arena grows to its largest run and keeps it,
 * and a model runs as a dozen sessions or more, so arenas held several times
 * the weights (a 110 MB model, 11 sessions, batch 32 x 12: 216 MiB of arenas
 * after three runs, none without; run time unchanged within noise).
 */
export const DEFAULT_SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  enableCpuMemArena: false,
  extra: { session: { intra_op: { allow_spinning: "0" } } },
};

/**
 * A loaded model that runs intervention graphs: validated before anything
 * compiles, batched (several invokes and several graphs in one forward pass),
 * with sessions compiled per model piece and per intervention structure and
 * kept in a memory-bounded cache. `run` is synchronous native work inside
 * ONNX Runtime: call it from a worker thread (see `EngineThread`) in a server.
 */
export class LoupeEngine extends GraphRunner {
  readonly metrics: EngineMetrics = emptyMetrics();
  readonly #cache: SessionCache;
  readonly #padding: Padding;
  #tokenLimits: TokenLimits | undefined;
  readonly #memoryBudgetBytes: number | undefined;
  #activations: ActivationModel | undefined;

  private constructor(
    readonly plan: ModelPlan,
    readonly manifest: Manifest,
    readonly tokenizer: TextTokenizer | undefined,
    /** The folder every session maps the model's weights from. */
    readonly weightsFolder: string,
    options: EngineOptions,
  ) {
    super();
    this.#cache = new SessionCache(
      options.cacheBudgetBytes ?? DEFAULT_CACHE_BUDGET_BYTES,
      this.metrics,
      withWeightFolder(
        { ...DEFAULT_SESSION_OPTIONS, ...options.sessionOptions },
        weightsFolder,
      ),
    );
    this.#memoryBudgetBytes = options.memoryBudgetBytes;
    recordMemory(this.metrics.memory, "weights", plan.weightBytes);
    this.#padding = plan.inputs.some((i) => i.name === "position_ids")
      ? "left"
      : "right";
  }

  /**
   * Prepares a model from its ONNX bytes and imported manifest; compiles its
   * stages. The weights go to files that every session maps (see
   * `storeWeights`): the engine keeps no view of `bytes`. An export with
   * external data needs `options.externalDataDir` (or use `loadModelFiles`).
   */
  static async load(
    bytes: Uint8Array,
    manifest: Manifest,
    tokenizer?: TextTokenizer,
    options: EngineOptions = {},
  ): Promise<LoupeEngine> {
    const raw = readRawModel(bytes);
    admitModel(manifest.model.name, raw, options.memoryBudgetBytes);
    const stored = storeWeights(raw, {
      key: manifest.model.hash ?? sha256(bytes),
      ...(options.externalDataDir === undefined
        ? {}
        : { externalDataDir: options.externalDataDir }),
      ...(options.weightsDir === undefined
        ? {}
        : { storeDir: options.weightsDir }),
    });
    const engine = new LoupeEngine(
      planModel(stored.raw, manifest),
      manifest,
      tokenizer,
      stored.folder,
      options,
    );
    await engine.#compileStages();
    if (options.memoryBudgetBytes !== undefined) await engine.#calibrate();
    return engine;
  }

  /**
   * Compiles the model's stages (pieces between layer boundaries), once: later
   * hook sets compile only the stages they cut into.
   */
  async #compileStages(): Promise<void> {
    // A last layer that is the model's output (an encoder without a final
    // norm) cuts at the end: no empty stage after it.
    const cuts = [
      ...new Set([0, ...this.plan.stageCuts, this.plan.nodes.length]),
    ];
    for (let i = 0; i + 1 < cuts.length; i++) {
      const [a, b] = [cuts[i]!, cuts[i + 1]!];
      await this.#cache.get(
        pieceKey(a, b, [], []),
        "piece",
        () => buildPiece(this.plan, a, b),
        true,
      );
    }
  }

  /** Bytes of all of the model's weights. */
  get weightBytes(): number {
    return this.plan.weightBytes;
  }

  /** Bytes the session cache holds now. */
  get cachedBytes(): number {
    return this.#cache.usedBytes;
  }

  /**
   * Runs several independent graphs (different users) in shared forward passes.
   * Each graph's failure is its own result (`error`, its message prefixed
   * `graph <i>: `) and never fails the others: an invalid graph is rejected
   * before anything runs, with the validator's messages; a graph that makes
   * a shared pass fail is found by rerunning the batch in halves (see
   * `runIsolated`, counted in `metrics.isolation`) and gets the error of its
   * run alone. Tokens streamed to `onToken` by an attempt that is rerun are
   * not streamed again: each (graph, trace, invoke, row, step) once.
   */
  async runMany(
    requests: readonly RunRequest[],
    options: RunOptions = {},
  ): Promise<RunResult[]> {
    const prepare = (i: number) =>
      this.#prepareOrFail(requests[i]!, requests.length > 1 ? i : undefined);
    const prepared = requests.map((_, i) => prepare(i));
    const { onToken } = options;
    const streamed = new Set<string>();
    const tokenizer = this.tokenizer;
    const events: GenerationEvents = {
      ...(onToken
        ? {
            // A rerun regenerates the tokens a failed attempt streamed: the
            // same ids (rows are independent, and sampling is seeded per
            // graph), unless logits tie within batching's 1e-5. Each is
            // streamed once; the result holds what the last attempt generated.
            onToken: (e: TokenEvent) => {
              const key = `${e.graph}/${e.trace}/${e.invoke}/${e.row}/${e.step}`;
              if (streamed.has(key)) return;
              streamed.add(key);
              onToken(e);
            },
          }
        : {}),
      ...(tokenizer ? { decode: (ids) => tokenizer.decode(ids) } : {}),
    };
    for (const batch of this.#split(prepared)) {
      const done = await runIsolated(
        batch.map((g) => ({ prepared: prepared[g]!, g })),
        prepare,
        (graphs) =>
          runBatch(
            this.plan,
            this.#cache,
            graphs,
            { padding: this.#padding, padId: 0 },
            events,
          ),
        this.metrics.isolation,
      );
      for (const [g, p] of done) prepared[g] = p;
    }
    return prepared.map((p) => toRunResult(p, p.error));
  }

  /**
   * Estimated peak bytes of activations of a pass of `rows` rows of `seq`
   * tokens, from the calibration at load (undefined without a memory budget).
   */
  estimateActivationBytes(rows: number, seq: number): number | undefined {
    return this.#activations
      ? estimateActivations(this.#activations, rows, seq)
      : undefined;
  }

  /**
   * The batches the graphs run in: all together, or, under a memory budget,
   * consecutive batches whose estimated activations fit beside the weights and
   * compiled sessions. A graph that cannot fit alone fails by itself, before
   * anything runs, with the bytes it would need.
   */
  #split(prepared: readonly PreparedGraph[]): number[][] {
    const live = prepared.flatMap((p, i) => (p.error ? [] : [i]));
    const budget = this.#memoryBudgetBytes;
    if (budget === undefined || !this.#activations) return [live];
    const available = budget - this.weightBytes - this.#cache.usedBytes;
    const { batches, tooBig } = splitBatch(
      live.map((i) => prepared[i]!),
      this.#activations,
      available,
    );
    for (const { index, bytes } of tooBig)
      prepared[live[index]!]!.error = new MemoryBudgetError(
        `graph ${live[index]!}: its batch would need about ${formatBytes(bytes)} of activations, and ${formatBytes(Math.max(0, available))} of the memory budget of ${formatBytes(budget)} is left beside the weights and sessions; send fewer or shorter prompts`,
      );
    if (batches.length > 1) this.metrics.batchesSplit += batches.length - 1;
    return batches.map((batch) => batch.map((k) => live[k]!));
  }

  /**
   * Measures how activations grow with the sequence (two passes of one row,
   * 4 and 16 tokens), for splitting batches under a memory budget.
   */
  async #calibrate(): Promise<void> {
    const model = createModel(this.manifest);
    const peakOf = async (seq: number) => {
      this.metrics.memory.peak.activations = 0;
      await this.run(
        model.trace(
          { tokens: [Array.from({ length: seq }, (_, i) => i)] },
          () => {},
        ),
      );
      return { seq, peak: this.metrics.memory.peak.activations };
    };
    this.#activations = fitActivationModel(await peakOf(4), await peakOf(16));
  }

  /** Whether this model's export has a key/value cache that generation uses. */
  get hasKvCache(): boolean {
    return this.#padding === "left" && kvLayout(this.plan) !== undefined;
  }

  /**
   * The graph prepared to run, or, when it cannot be (invalid, a tensor's data
   * missing, prompts the model cannot tokenize), a graph that has already
   * failed with that error: its own result, while the others run. In a run of
   * several graphs (`position` set) the message names it.
   */
  #prepareOrFail(
    request: RunRequest,
    position: number | undefined,
  ): PreparedGraph {
    try {
      return prepareGraph(request, {
        plan: this.plan,
        manifest: this.manifest,
        tokenizer: this.tokenizer,
        weightsFolder: this.weightsFolder,
        tokenLimits: () => (this.#tokenLimits ??= tokenLimits(this.manifest)),
      });
    } catch (thrown) {
      const error =
        thrown instanceof Error ? thrown : new RunError(String(thrown));
      if (position !== undefined)
        error.message = `graph ${position}: ${error.message}`;
      return failedGraph(request.checked.graph, error);
    }
  }

  /** Releases every compiled session. */
  async close(): Promise<void> {
    await this.#cache.clear();
  }
}
