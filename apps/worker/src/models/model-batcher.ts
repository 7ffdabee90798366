import { randomUUID } from "node:crypto";

/** What a request adds to a batch: rows, and its longest row in tokens (an upper bound). */
export interface BatchSize {
  readonly rows: number;
  readonly longest: number;
}

/** A request waiting for a batch, with its size. */
interface Pending<Req, Res> {
  readonly request: Req;
  readonly rows: number;
  readonly longest: number;
  readonly resolve: (result: Res) => void;
  readonly reject: (error: unknown) => void;
}

/** What a batch reports to each of its requests. */
export interface BatchInfo {
  readonly batchId: string;
  readonly batchRows: number;
  readonly requests: number;
}

/**
 * Groups requests into one call of `runBatch`: a batch closes when no request
 * has arrived for `quietMs`, when its first request has waited `maxWaitMs`, or
 * when it reaches `maxRows` rows or `maxPaddedTokens` padded tokens (rows times
 * the longest row: what the pass's activations take in memory). One batch runs at a time per model; while it
 * runs, the next one fills. This is where different users' graphs for
 * the same model come to share forward passes. Written here rather than taken
 * from a library: it is twenty lines, and it must know rows (not request counts)
 * and run one batch at a time per model.
 */
export class ModelBatcher<Req, Res> {
  #queue: Pending<Req, Res>[] = [];
  #quiet: NodeJS.Timeout | undefined;
  #deadline: NodeJS.Timeout | undefined;
  #running: Promise<void> = Promise.resolve();

  constructor(
    private readonly runBatch: (
      requests: readonly Req[],
      info: BatchInfo,
    ) => Promise<readonly (Res | Error)[]>,
    private readonly options: {
      quietMs: number;
      maxWaitMs: number;
      maxRows: number;
      maxPaddedTokens?: number;
    },
  ) {}

  /**
   * Queues a request of `rows` rows; resolves with its own result. An abort
   * while the request still waits for its batch takes it out of the queue
   * (rejecting with the signal's reason); once its batch runs, it runs.
   */
  submit(request: Req, size: BatchSize, signal?: AbortSignal): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      const pending = { request, ...size, resolve, reject };
      signal?.addEventListener(
        "abort",
        () => {
          const at = this.#queue.indexOf(pending);
          if (at < 0) return;
          this.#queue.splice(at, 1);
          reject(
            signal.reason instanceof Error
              ? signal.reason
              : new Error(
                  "the request was cancelled while waiting for its batch",
                ),
          );
        },
        { once: true },
      );
      this.#queue.push(pending);
      if (!this.#fits(this.#queue, 0)) this.#flush();
      else this.#arm();
    });
  }

  /** Restarts the quiet timer; starts the deadline with the batch's first request. */
  #arm(): void {
    clearTimeout(this.#quiet);
    this.#quiet = setTimeout(() => this.#flush(), this.options.quietMs);
    this.#deadline ??= setTimeout(() => this.#flush(), this.options.maxWaitMs);
  }

  /** Whether `pending` plus `extra` more rows stay within both limits. */
  #fits(pending: readonly Pending<Req, Res>[], extra: number): boolean {
    const rows = pending.reduce((s, p) => s + p.rows, 0) + extra;
    const longest = Math.max(0, ...pending.map((p) => p.longest));
    return (
      rows < this.options.maxRows &&
      rows * longest < (this.options.maxPaddedTokens ?? Infinity)
    );
  }

  #flush(): void {
    clearTimeout(this.#quiet);
    clearTimeout(this.#deadline);
    this.#quiet = undefined;
    this.#deadline = undefined;
    // Take requests up to the limits (at least one, however large).
    const batch: Pending<Req, Res>[] = [];
    let rows = 0;
    let longest = 0;
    const maxPadded = this.options.maxPaddedTokens ?? Infinity;
    while (this.#queue.length > 0) {
      const next = this.#queue[0]!;
      const r = rows + next.rows;
      const l = Math.max(longest, next.longest);
      if (batch.length > 0 && (r > this.options.maxRows || r * l > maxPadded))
        break;
      batch.push(this.#queue.shift()!);
      rows = r;
      longest = l;
    }
    if (this.#queue.length > 0) this.#arm();
    const info = {
      batchId: randomUUID(),
      batchRows: rows,
      requests: batch.length,
    };
    this.#running = this.#running.then(async () => {
      try {
        const results = await this.runBatch(
          batch.map((p) => p.request),
          info,
        );
        batch.forEach((p, i) => {
          const r = results[i];
          if (r instanceof Error) p.reject(r);
          else p.resolve(r as Res);
        });
      } catch (error) {
        for (const p of batch) p.reject(error);
      }
    });
  }
}
