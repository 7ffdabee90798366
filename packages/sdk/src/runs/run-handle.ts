import { writeFile } from "node:fs/promises";
import { errorCodeOf, fromSafetensors } from "@loupe/graph";
import type { ApiClient } from "../client/api-client.ts";
import {
  ResultTooLargeError,
  RunEndedError,
} from "../errors/loupe-client-error.ts";
import { TraceResult } from "../results/trace-result.ts";
import { TERMINAL_STATES, toRunStatus, type RunStatus } from "./run-status.ts";

/** Called with each new state of a run: queued (with its position), running, ended. */
export type StatusListener = (status: RunStatus) => void;

export interface WaitOptions {
  readonly onStatus?: StatusListener;
  /** Stops waiting (the run goes on; cancel it with `cancel()`). */
  readonly signal?: AbortSignal;
  /**
   * The longest the server holds a status request when nothing happens (a
   * long poll; at most 20000), in ms; also the longest pause between polls of
   * a server without long polls (default 1000 while telling `onStatus` of
   * every step, so queue positions stay fresh; 20000 without a listener,
   * when the server holds the request until the run ends).
   */
  readonly maxPollMs?: number;
}

/**
 * A run on the platform, followed by id: poll its status, wait for it, fetch
 * its result, download the safetensors file, cancel it. A handle is cheap and
 * holds no connection, so a script can submit now and fetch later (even from
 * another process, with `loupe.runs.get(runId)`).
 */
export class RunHandle {
  readonly #api: ApiClient;

  constructor(
    api: ApiClient,
    readonly runId: string,
  ) {
    this.#api = api;
  }

  async status(): Promise<RunStatus> {
    return toRunStatus(await this.#read());
  }

  /**
   * The wire status; with `unlessChanged`, a long poll held up to `waitMs`
   * until it changes; with `until: "ended"`, until the run ends.
   */
  #read(
    long?:
      | { unlessChanged: string; waitMs: number }
      | { until: "ended"; waitMs: number },
    signal?: AbortSignal,
  ) {
    return this.#api.call(`reading run ${this.runId}`, (t) =>
      t.runs.status.query(
        { runId: this.runId, ...long },
        signal ? { signal } : undefined,
      ),
    );
  }

  /**
   * Follows the run until it ends, telling `onStatus` about every change of
   * state or queue position, and returns the final status. Each request is a
   * long poll: the server answers at the run's next event, or after
   * `maxPollMs` when nothing happened (so queue positions stay fresh). A
   * server that answers at once (no long polls) is polled after 50 ms,
   * doubling up to `maxPollMs`.
   */
  async wait(options: WaitOptions = {}): Promise<RunStatus> {
    const maxPollMs = options.maxPollMs ?? 1000;
    let pause = 50;
    if (!options.onStatus)
      return this.#waitForEnd(options.maxPollMs, options.signal);
    let wire = await this.#read(undefined, options.signal);
    options.onStatus?.(toRunStatus(wire));
    for (;;) {
      options.signal?.throwIfAborted();
      const status = toRunStatus(wire);
      if (TERMINAL_STATES.has(status.status)) return status;
      const asked = performance.now();
      const next = await this.#read(
        { unlessChanged: wire.changeKey, waitMs: Math.min(maxPollMs, 20_000) },
        options.signal,
      );
      if (next.changeKey !== wire.changeKey) {
        options.onStatus?.(toRunStatus(next));
        pause = 50;
      } else if (performance.now() - asked < maxPollMs / 2) {
        // Answered at once with no change: a server without long polls.
        await sleep(pause, options.signal);
        pause = Math.min(maxPollMs, pause * 2);
      }
      wire = next;
    }
  }

  /**
   * Follows the run to its end with no one to tell of its steps: each request
   * is held by the server until the run ends (`until: "ended"`), so a run
   * costs one status request however many steps it goes through. A server
   * that answers at once is polled as in wait().
   */
  async #waitForEnd(
    pollMs: number | undefined,
    signal: AbortSignal | undefined,
  ): Promise<RunStatus> {
    // No queue positions to keep fresh: held as long as the server allows,
    // unless the caller said otherwise.
    const maxPollMs = Math.min(pollMs ?? 20_000, 20_000);
    let pause = 50;
    for (;;) {
      signal?.throwIfAborted();
      const asked = performance.now();
      const status = toRunStatus(
        await this.#read({ until: "ended", waitMs: maxPollMs }, signal),
      );
      if (TERMINAL_STATES.has(status.status)) return status;
      if (performance.now() - asked < maxPollMs / 2) {
        await sleep(pause, signal);
        pause = Math.min(1000, maxPollMs, pause * 2);
      }
    }
  }

  /**
   * Waits for the run and returns its saved values. A run that failed or was
   * cancelled throws RunEndedError (ResultTooLargeError when its result was
   * over the account's maxResultBytes).
   */
  async result(options: WaitOptions = {}): Promise<TraceResult> {
    const status = await this.wait(options);
    if (status.status === "failed" || status.status === "cancelled") {
      // A code of Loupe's registry (older servers sent some under their class names).
      const recorded = status.error?.match(/^([A-Za-z_]+):/)?.[1];
      const failure = recorded === undefined ? null : errorCodeOf(recorded);
      if (failure === "RESULT_TOO_LARGE")
        throw new ResultTooLargeError(
          this.runId,
          `the result of run ${this.runId} does not fit today's result allowance: ${status.error}. Save fewer or smaller values (index them first, e.g. .get(":", -1, ":")), wait for the allowance to reset (midnight UTC), or ask an administrator for a larger maxResultBytes`,
        );
      throw new RunEndedError(
        this.runId,
        status.status,
        failure,
        status.status === "failed"
          ? `run ${this.runId} failed: ${status.error ?? "no reason given"}`
          : `run ${this.runId} was cancelled`,
      );
    }
    const bytes = await this.download();
    return new TraceResult(fromSafetensors(bytes).tensors, status);
  }

  /** The run's saved values as a safetensors file (the run must have completed). */
  async download(): Promise<Uint8Array> {
    return this.#api.download(
      `/api/runs/${encodeURIComponent(this.runId)}/result`,
      `downloading the result of run ${this.runId}`,
    );
  }

  /** Writes the run's result to `file` as safetensors; returns its size in bytes. */
  async downloadTo(file: string): Promise<number> {
    const bytes = await this.download();
    await writeFile(file, bytes);
    return bytes.length;
  }

  /** Cancels the run if it has not ended; returns how it ended. */
  async cancel(): Promise<RunStatus["status"]> {
    const { status } = await this.#api.call(
      `cancelling run ${this.runId}`,
      (t) => t.runs.cancel.mutate({ runId: this.runId }),
    );
    return status as RunStatus["status"];
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
