import pg from "pg";
import { EVENTS_CHANNEL } from "./append-events.ts";

/**
 * Waits for appends to given streams, on one LISTEN connection per process:
 * what lets the API answer "tell me when this run changes" as soon as it
 * does (a long poll) instead of clients polling on a timer. Appends notify
 * with the streams they wrote (see appendInTransaction); a notification
 * without them (too many to fit a payload) wakes every waiter, as does a lost
 * connection. A wait never outlasts its timeout, so a missed notification
 * delays an answer, never loses it.
 */
/** A watch on a stream: its next append, or its end. */
export interface StreamWatch {
  readonly event: Promise<boolean>;
  cancel(): void;
}

const ended: StreamWatch = {
  event: Promise.resolve(false),
  cancel: () => undefined,
};

export class StreamWaiter {
  readonly #databaseUrl: string;
  readonly #waiters = new Map<string, Set<() => void>>();
  #listener: Promise<pg.Client> | undefined;
  #closed = false;

  constructor(databaseUrl: string) {
    this.#databaseUrl = databaseUrl;
  }

  /**
   * Starts watching `stream`: once this resolves, `event` resolves true at the
   * next append to it that commits, or false after `timeoutMs` (or once
   * cancelled). Watch first, then read what the stream changes: a change that
   * commits between the two is then seen by the read or by the watch, never
   * lost.
   */
  async watch(stream: string, timeoutMs: number): Promise<StreamWatch> {
    if (this.#closed || timeoutMs <= 0) return ended;
    try {
      await this.#connect();
    } catch {
      // No LISTEN connection: the watch just times out, and the caller re-reads.
      let cancel = () => undefined as void;
      const event = new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), timeoutMs);
        cancel = () => {
          clearTimeout(timer);
          resolve(false);
        };
      });
      return { event, cancel };
    }
    const set = this.#waiters.get(stream) ?? new Set();
    this.#waiters.set(stream, set);
    let finish: (appended: boolean) => void = () => undefined;
    const event = new Promise<boolean>((resolve) => {
      finish = (appended) => {
        clearTimeout(timer);
        set.delete(wake);
        if (set.size === 0 && this.#waiters.get(stream) === set)
          this.#waiters.delete(stream);
        resolve(appended);
      };
    });
    const wake = () => finish(true);
    const timer = setTimeout(() => finish(false), timeoutMs);
    set.add(wake);
    return { event, cancel: () => finish(false) };
  }

  #connect(): Promise<pg.Client> {
    this.#listener ??= (async () => {
      const client = new pg.Client({ connectionString: this.#databaseUrl });
      client.on("notification", (n) => this.#notified(n.payload));
      client.on("error", () => {
        // Reconnect on the next wait; wake everyone now so nobody waits on a dead line.
        this.#listener = undefined;
        this.#notified(undefined);
        void client.end().catch(() => undefined);
      });
      try {
        await client.connect();
        await client.query(`LISTEN ${EVENTS_CHANNEL}`);
      } catch (error) {
        this.#listener = undefined;
        await client.end().catch(() => undefined);
        throw error;
      }
      return client;
    })();
    return this.#listener;
  }

  #notified(payload: string | undefined): void {
    const streams = payload ? payload.split("\n") : [...this.#waiters.keys()];
    for (const stream of streams)
      for (const wake of [...(this.#waiters.get(stream) ?? [])]) wake();
  }

  /** Closes the LISTEN connection; pending waits end at their timeouts. */
  async close(): Promise<void> {
    this.#closed = true;
    const listener = this.#listener;
    this.#listener = undefined;
    await (await listener?.catch(() => undefined))?.end();
  }
}
