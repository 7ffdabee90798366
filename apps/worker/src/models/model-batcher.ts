import { randomUUID } from "node:crypto";

/** What a request adds to a batch: rows, and its longest row in tokens (an upper bound). */
export interface BatchSize {
  readonly rows: number;
  readonly longest: number;
}

/** A request's size and whose it is: batches are filled round-robin across users. */
export interface BatchTicket extends BatchSize {
  readonly user: string;
}

/** How a batcher fills its batches. */
export interface BatchOptions {
  /** Rows (prompts) in one pass, at most; a larger request runs alone. */
  readonly maxRows: number;
  /** Padded tokens (rows times the longest row: the pass's activations) in one pass, at most. */
  readonly maxPaddedTokens?: number;
  /** Requests of one user in one pass, at most. */
  readonly maxRunsPerUser: number;
  /**
   * Tests only: a batch starts only once this holds for the number of
   * requests queued (asked again at each arrival and at each pass's end), so
   * that a test can gather runs that reach the worker over time into one pass
   * without timing. Unset (production): a batch starts whenever the engine is free.
   */
  readonly startWhen?: (queued: number) => boolean;
}

/** What a batch reports to each of its requests. */
export interface BatchInfo {
  readonly batchId: string;
  readonly batchRows: number;
  readonly requests: number;
}

/** A request waiting for a batch. */
interface Pending<Req, Res> extends BatchTicket {
  readonly request: Req;
  readonly resolve: (result: Res) => void;
  readonly reject: (error: unknown) => void;
  /** Stops listening for its cancellation (once it is in a batch). */
  readonly detach: () => void;
}

/**
 * Runs a model's requests in shared passes (`runBatch`), one pass at a time,
 * with no window: a request that finds the engine free starts at once, with
 * whatever is queued in that tick; requests that arrive while a pass runs
 * form the next pass, which starts as soon as it ends. A pass is filled
 * round-robin across users (one request of each user with requests queued,
 * in turn, oldest first within a user), up to `maxRunsPerUser` per user
 * while other users' requests wait (room no one else's waiting requests can
 * use is then filled past the cap: a user alone with a backlog fills the
 * pass), `maxRows` rows and `maxPaddedTokens` padded tokens (at least one
 * request, however large). So a user's thousand queued requests delay another user's
 * request by the pass in flight only, as long as that request fits beside
 * one request of each other waiting user; a user's request that does not fit
 * leads the pass after.
 * Written here rather than taken from a library: it must know rows and users,
 * and run one batch at a time per model.
 *
 * @example
 * const batcher = new ModelBatcher(runMany, { maxRows: 32, maxRunsPerUser: 8 });
 * const result = await batcher.submit(graph, { user, rows: 1, longest: 12 });
 */
export class ModelBatcher<Req, Res> {
  /** Each user's waiting requests, oldest first; users in their turn order. */
  readonly #waiting = new Map<string, Pending<Req, Res>[]>();
  #queued = 0;
  /** A pass runs. */
  #busy = false;
  /** The next pass is to be formed at the end of this tick. */
  #scheduled = false;

  constructor(
    private readonly runBatch: (
      requests: readonly Req[],
      info: BatchInfo,
    ) => Promise<readonly (Res | Error)[]>,
    private readonly options: BatchOptions,
  ) {
    for (const name of ["maxRows", "maxRunsPerUser"] as const)
      if (!Number.isInteger(options[name]) || options[name] < 1)
        throw new RangeError(
          `ModelBatcher: ${name} must be a positive integer, got ${options[name]}`,
        );
  }

  /** Requests waiting for a pass (not those in the pass in flight). */
  get queued(): number {
    return this.#queued;
  }

  /**
   * Queues a request; resolves with its own result. An abort while the
   * request still waits for its pass takes it out of the queue (rejecting
   * with the signal's reason); once its pass runs, it runs.
   */
  submit(
    request: Req,
    ticket: BatchTicket,
    signal?: AbortSignal,
  ): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      if (signal?.aborted) {
        reject(cancellation(signal));
        return;
      }
      const onAbort = () => {
        if (this.#remove(pending)) reject(cancellation(signal!));
      };
      const pending: Pending<Req, Res> = {
        request,
        user: ticket.user,
        rows: ticket.rows,
        longest: ticket.longest,
        resolve,
        reject,
        detach: () => signal?.removeEventListener("abort", onAbort),
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      const own = this.#waiting.get(ticket.user);
      if (own) own.push(pending);
      else this.#waiting.set(ticket.user, [pending]);
      this.#queued++;
      this.#schedule();
    });
  }

  /** Forms the next pass at the end of this tick, unless one runs. */
  #schedule(): void {
    if (this.#busy || this.#scheduled) return;
    this.#scheduled = true;
    // A microtask, not a timer: requests submitted in the same tick share the pass.
    queueMicrotask(() => {
      this.#scheduled = false;
      this.#startPass();
    });
  }

  #startPass(): void {
    if (this.#busy || this.#queued === 0) return;
    if (this.options.startWhen && !this.options.startWhen(this.#queued)) return;
    this.#busy = true;
    void this.#run(this.#take()).finally(() => {
      this.#busy = false;
      this.#schedule();
    });
  }

  /**
   * Takes the next pass from the queue: round-robin across users in their
   * turn order, each user's oldest requests first. A user whose next request
   * does not fit is passed over for the rest of this pass. Turns go on across
   * passes: the next pass starts with the first user passed over, or else
   * with the user after the last one served; users who come to wait join the end.
   */
  #take(): Pending<Req, Res>[] {
    const order = [...this.#waiting.keys()];
    const taken = order.map(() => 0);
    const full = order.map(() => false);
    const maxPadded = this.options.maxPaddedTokens ?? Infinity;
    const batch: Pending<Req, Res>[] = [];
    let rows = 0;
    let longest = 0;
    let lastServed = -1;
    let passedOver: number | undefined;
    // First with the per-user cap; then, if room is left that no other user's
    // waiting runs can use, without it (the cap keeps a pass fair, never
    // empty: a user alone with a backlog still fills it).
    for (const cap of [this.options.maxRunsPerUser, Infinity])
      for (let progress = true; progress;) {
        progress = false;
        for (const [k, user] of order.entries()) {
          const n = taken[k]!;
          const next = this.#waiting.get(user)![n];
          if (!next || full[k] || n >= cap) continue;
          const r = rows + next.rows;
          const l = Math.max(longest, next.longest);
          if (
            batch.length > 0 &&
            (r > this.options.maxRows || r * l > maxPadded)
          ) {
            passedOver ??= k;
            full[k] = true;
            continue;
          }
          batch.push(next);
          taken[k] = n + 1;
          lastServed = k;
          rows = r;
          longest = l;
          progress = true;
        }
      }
    const first = passedOver ?? (lastServed + 1) % order.length;
    for (let i = 0; i < order.length; i++) {
      const k = (first + i) % order.length;
      const own = this.#waiting.get(order[k]!)!;
      this.#waiting.delete(order[k]!);
      own.splice(0, taken[k]);
      if (own.length > 0) this.#waiting.set(order[k]!, own);
    }
    this.#queued -= batch.length;
    for (const p of batch) p.detach();
    return batch;
  }

  async #run(batch: readonly Pending<Req, Res>[]): Promise<void> {
    const info: BatchInfo = {
      batchId: randomUUID(),
      batchRows: batch.reduce((s, p) => s + p.rows, 0),
      requests: batch.length,
    };
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
  }

  /** Takes a waiting request out of the queue; false when it is no longer there. */
  #remove(pending: Pending<Req, Res>): boolean {
    const own = this.#waiting.get(pending.user);
    const at = own?.indexOf(pending) ?? -1;
    if (!own || at < 0) return false;
    own.splice(at, 1);
    if (own.length === 0) this.#waiting.delete(pending.user);
    this.#queued--;
    return true;
  }
}

/** The error a request cancelled while waiting rejects with. */
function cancellation(signal: AbortSignal): Error {
  return signal.reason instanceof Error
    ? signal.reason
    : new Error("the request was cancelled while waiting for its batch");
}
