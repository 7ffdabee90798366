import { Worker } from "node:worker_threads";
import type { Manifest } from "@loupe/graph";
import type { EngineOptions, RunOptions, RunRequest } from "../engine.ts";
import { GraphRunner } from "../run/graph-runner.ts";
import { toRunResult, type RunResult } from "../run/run-result.ts";
import { emptyMetrics, type EngineMetrics } from "../run/session-cache.ts";
import type {
  SerializedError,
  ThreadInit,
  ThreadReply,
  ThreadRequest,
} from "./protocol.ts";

/** An error raised in the engine thread, with its name, code and issues kept. */
export class EngineThreadError extends Error {
  readonly code: string | undefined;
  readonly issues: unknown;
  constructor(e: SerializedError) {
    super(e.message);
    this.name = e.name;
    this.code = e.code;
    this.issues = e.issues;
  }
}

/**
 * A LoupeEngine in a worker thread, so forward passes never block the caller's
 * event loop (Temporal heartbeats, HTTP). Runs are queued in the thread in the
 * order they are sent; results come back as typed arrays moved, not copied.
 */
export class EngineThread extends GraphRunner {
  #next = 1;
  readonly #pending = new Map<
    number,
    {
      resolve: (r: ThreadReply) => void;
      reject: (e: Error) => void;
      onToken?: RunOptions["onToken"];
    }
  >();
  /** The engine's counters as of the last reply. */
  metrics: EngineMetrics = emptyMetrics();
  /** The loaded model's manifest (from the thread, once it has loaded). */
  manifest!: Manifest;

  private constructor(private readonly worker: Worker) {
    super();
    worker.on("message", (reply: ThreadReply) => {
      if (reply.ok && "token" in reply) {
        this.#pending.get(reply.id)?.onToken?.(reply.token);
        return;
      }
      if (reply.ok) this.metrics = reply.metrics;
      const waiting = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      waiting?.resolve(reply);
    });
    worker.on("error", (error) => this.#failAll(error));
    worker.on("exit", (code) =>
      this.#failAll(new Error(`the engine thread exited with code ${code}`)),
    );
  }

  #failAll(error: Error): void {
    for (const w of this.#pending.values()) w.reject(error);
    this.#pending.clear();
  }

  /** Starts a thread and loads the model in it (its stage sessions compiled). */
  static start(
    model: Uint8Array,
    manifest: Manifest,
    tokenizer?: unknown,
    options?: EngineOptions,
  ): Promise<EngineThread> {
    return EngineThread.#start({ model, manifest, tokenizer, options });
  }

  /**
   * Starts a thread that loads an imported model from its files (see
   * `loadModelFiles`): the model's bytes never cross threads, and this thread
   * holds none of its weights.
   */
  static startFromFile(
    onnxPath: string,
    options?: EngineOptions,
  ): Promise<EngineThread> {
    return EngineThread.#start({ path: onnxPath, options });
  }

  static async #start(init: ThreadInit): Promise<EngineThread> {
    const url = new URL("./engine-thread-entry.mjs", import.meta.url);
    const worker = new Worker(url, { workerData: init });
    const thread = new EngineThread(worker);
    const ready = await new Promise<ThreadReply>((resolve, reject) => {
      thread.#pending.set(0, { resolve, reject });
    });
    if (!ready.ok) throw new EngineThreadError(ready.error);
    if ("manifest" in ready && ready.manifest) thread.manifest = ready.manifest;
    return thread;
  }

  #send(
    message: ThreadRequest,
    onToken?: RunOptions["onToken"],
  ): Promise<ThreadReply> {
    return new Promise((resolve, reject) => {
      this.#pending.set(message.id, {
        resolve,
        reject,
        ...(onToken ? { onToken } : {}),
      });
      this.worker.postMessage(message);
    });
  }

  /**
   * Runs graphs in one batch in the thread (see LoupeEngine.runMany): tokens
   * stream back to `onToken` as they are generated, and a request's abort
   * signal stops its generation at the next step.
   */
  async runMany(
    requests: readonly RunRequest[],
    options: RunOptions = {},
  ): Promise<RunResult[]> {
    const id = this.#next++;
    const unlisten = requests.map((r, graph) => {
      if (!r.signal) return () => {};
      const cancel = () =>
        this.worker.postMessage({
          id: this.#next++,
          type: "cancel",
          run: id,
          graph,
        } satisfies ThreadRequest);
      if (r.signal.aborted) cancel();
      r.signal.addEventListener("abort", cancel, { once: true });
      return () => r.signal!.removeEventListener("abort", cancel);
    });
    let reply: ThreadReply;
    try {
      reply = await this.#send(
        {
          id,
          type: "run",
          requests: requests.map(({ signal: _s, ...r }) => r),
          stream: options.onToken !== undefined,
        },
        options.onToken,
      );
    } finally {
      for (const u of unlisten) u();
    }
    if (!reply.ok) throw new EngineThreadError(reply.error);
    if ("token" in reply) throw new Error("internal: a token as a run's reply");
    return reply.results.map((r) =>
      toRunResult(r, r.error && new EngineThreadError(r.error)),
    );
  }

  /** Releases the sessions and ends the thread. */
  async close(): Promise<void> {
    await this.#send({ id: this.#next++, type: "close" });
    await this.worker.terminate();
  }
}
