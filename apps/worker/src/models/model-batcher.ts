import { randomUUID } from "node:crypto";

/** A request waiting for a batch, with its size in rows. */
interface Pending<Req, Res> {
  readonly request: Req;
  readonly rows: number;
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
 * when it reaches `maxRows` rows. One batch runs at a time per model; while it
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
    },
  ) {}

  /**
   * Queues a request of `rows` rows; resolves with its own result. An abort
   * while the request still waits for its batch takes it out of the queue
   * (rejecting with the signal's reason); once its batch runs, it runs.
   */
  submit(request: Req, rows: number, signal?: AbortSignal): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      const pending = { request, rows, resolve, reject };
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
      const queued = this.#queue.reduce((s, p) => s + p.rows, 0);
      if (queued >= this.options.maxRows) this.#flush();
      else this.#arm();
    });
  }

  /** Restarts the quiet timer; starts the deadline with the batch's first request. */
  #arm(): void {
    clearTimeout(this.#quiet);
    this.#quiet = setTimeout(() => this.#flush(), this.options.quietMs);
    this.#deadline ??= setTimeout(() => this.#flush(), this.options.maxWaitMs);
  }

  #flush(): void {
    clearTimeout(this.#quiet);
    clearTimeout(this.#deadline);
    this.#quiet = undefined;
    this.#deadline = undefined;
    // Take requests up to maxRows (at least one, however large).
    const batch: Pending<Req, Res>[] = [];
    let rows = 0;
    while (this.#queue.length > 0) {
      const next = this.#queue[0]!;
      if (batch.length > 0 && rows + next.rows > this.options.maxRows) break;
      batch.push(this.#queue.shift()!);
      rows += next.rows;
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
