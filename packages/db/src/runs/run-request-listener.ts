import pg from "pg";
import { RUNS_REQUESTED_CHANNEL } from "./claim-runs.ts";

/**
 * Tells a worker's dispatchers that runs of their model were requested: one
 * LISTEN connection per process, on the channel a run request notifies in
 * its transaction (payload: the model). A lost connection is reopened (after
 * a second), and every subscriber is woken when it opens, so a request whose
 * notification was missed is claimed then; a notification is a hint, never
 * the only way a run is found (dispatchers also claim after each batch).
 */
export class RunRequestListener {
  readonly #databaseUrl: string;
  readonly #subscribers = new Map<string, Set<() => void>>();
  #client: pg.Client | undefined;
  #opening: Promise<void> | undefined;
  #closed = false;
  #retry: NodeJS.Timeout | undefined;

  constructor(databaseUrl: string) {
    this.#databaseUrl = databaseUrl;
  }

  /** Calls `wake` at each request for `model` (and at each reconnect); returns the unsubscribe. */
  async subscribe(model: string, wake: () => void): Promise<() => void> {
    const set = this.#subscribers.get(model) ?? new Set();
    this.#subscribers.set(model, set);
    set.add(wake);
    await this.#open().catch(() => undefined);
    return () => {
      set.delete(wake);
      if (set.size === 0) this.#subscribers.delete(model);
    };
  }

  #open(): Promise<void> {
    if (this.#client || this.#closed) return Promise.resolve();
    this.#opening ??= (async () => {
      const client = new pg.Client({ connectionString: this.#databaseUrl });
      client.on("notification", (n) => this.#wake(n.payload));
      client.on("error", () => {
        if (this.#client === client) this.#client = undefined;
        void client.end().catch(() => undefined);
        this.#reopenLater();
      });
      try {
        await client.connect();
        await client.query(`LISTEN ${RUNS_REQUESTED_CHANNEL}`);
        this.#client = client;
        this.#wake(undefined);
      } catch (error) {
        await client.end().catch(() => undefined);
        this.#reopenLater();
        throw error;
      } finally {
        this.#opening = undefined;
      }
    })();
    return this.#opening;
  }

  #reopenLater(): void {
    if (this.#closed || this.#retry) return;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      void this.#open().catch(() => undefined);
    }, 1000);
    this.#retry.unref();
  }

  #wake(model: string | undefined): void {
    const sets = model
      ? [this.#subscribers.get(model) ?? new Set<() => void>()]
      : [...this.#subscribers.values()];
    for (const set of sets) for (const wake of [...set]) wake();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }
}
