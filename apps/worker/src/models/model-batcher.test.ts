import { describe, expect, it, vi } from "vitest";
import {
  ModelBatcher,
  type BatchInfo,
  type BatchOptions,
} from "./model-batcher.ts";

/** A request: whose it is, and a number its result is ten times of (negative: an error). */
type Req = { user: string; n: number };

/**
 * A batcher whose passes are recorded and end when the test says so, each
 * answering a request with n * 10 (an error for a negative n).
 */
function controlled(options: BatchOptions) {
  const passes: { requests: Req[]; info: BatchInfo }[] = [];
  const ends: (() => void)[] = [];
  const batcher = new ModelBatcher<Req, number>((requests, info) => {
    passes.push({ requests: [...requests], info });
    return new Promise((resolve) =>
      ends.push(() =>
        resolve(
          requests.map((r) => (r.n < 0 ? new Error(`bad ${r.n}`) : r.n * 10)),
        ),
      ),
    );
  }, options);
  const submit = (
    user: string,
    n: number,
    size: { rows?: number; longest?: number; signal?: AbortSignal } = {},
  ) =>
    batcher.submit(
      { user, n },
      { user, rows: size.rows ?? 1, longest: size.longest ?? 1 },
      size.signal,
    );
  return {
    batcher,
    passes,
    submit,
    /** Ends the pass in flight, then lets the next one form. */
    async endPass() {
      expect(ends.length, "a pass in flight").toBe(1);
      ends.shift()!();
      await tick();
    },
    /** Ends every pass until none is left. */
    async drain() {
      while (ends.length > 0) await this.endPass();
    },
    /** The passes so far, as "user:n" labels. */
    labels: () => passes.map((p) => p.requests.map((r) => `${r.user}:${r.n}`)),
  };
}

/** Lets settled promises' callbacks and the next pass's forming run. */
const tick = () => new Promise<void>((r) => setImmediate(r));

const LOOSE = { maxRows: 1000, maxRunsPerUser: 1000 };

describe("no window: a pass starts whenever the engine is free", () => {
  it("an idle batcher starts a lone request in the tick it was submitted in, with no timer", async () => {
    // Fake timers, never advanced: a pass that waited on any timer would never start.
    vi.useFakeTimers();
    try {
      const b = controlled(LOOSE);
      void b.submit("ada", 1);
      // Not synchronously, so that requests submitted in one tick share the pass...
      expect(b.passes).toHaveLength(0);
      await Promise.resolve();
      // ...but within that tick's microtasks: before any timer, I/O or setImmediate.
      expect(b.labels()).toEqual([["ada:1"]]);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it("answers a lone request on real timers without waiting (measured, not asserted in ms)", async () => {
    const batcher = new ModelBatcher<number, number>(
      (requests) => Promise.resolve(requests.map((r) => r * 10)),
      LOOSE,
    );
    const t0 = performance.now();
    const immediate = new Promise<string>((r) =>
      setImmediate(() => r("setImmediate")),
    );
    const first = await Promise.race([
      batcher.submit(4, { user: "ada", rows: 1, longest: 1 }),
      immediate,
    ]);
    // The result came before the event loop reached its check phase.
    expect(first).toBe(40);
    console.log(
      `a lone request on an idle batcher answered after ${(performance.now() - t0).toFixed(3)} ms`,
    );
  });

  it("requests that arrive while a pass runs form the next pass together, as soon as it ends", async () => {
    const b = controlled(LOOSE);
    const results = [b.submit("ada", 1)];
    await tick();
    expect(b.labels()).toEqual([["ada:1"]]);
    // Arrivals over several ticks while the pass runs: none starts a pass.
    for (const [user, n] of [
      ["bob", 2],
      ["ada", 3],
      ["cyd", 4],
    ] as const) {
      results.push(b.submit(user, n));
      await tick();
    }
    expect(b.passes).toHaveLength(1);
    expect(b.batcher.queued).toBe(3);
    await b.endPass();
    // In the order their users came to wait (ada had left the queue with her pass).
    expect(b.labels()).toEqual([["ada:1"], ["bob:2", "ada:3", "cyd:4"]]);
    expect(b.passes[1]!.info).toMatchObject({ batchRows: 3, requests: 3 });
    await b.endPass();
    expect(await Promise.all(results)).toEqual([10, 20, 30, 40]);
    expect(b.batcher.queued).toBe(0);
  });

  it("a pass that throws fails its own requests only; the next pass runs", async () => {
    let calls = 0;
    const batcher = new ModelBatcher<number, number>(
      (requests) =>
        ++calls === 1
          ? Promise.reject(new Error("the engine thread died"))
          : Promise.resolve(requests.map((r) => r * 10)),
      LOOSE,
    );
    const failed = batcher.submit(1, { user: "ada", rows: 1, longest: 1 });
    await Promise.resolve();
    const next = batcher.submit(2, { user: "bob", rows: 1, longest: 1 });
    await expect(failed).rejects.toThrow("the engine thread died");
    expect(await next).toBe(20);
  });
});

describe("fair filling: round-robin across users", () => {
  it("with 1000 of one user's requests queued, another user's lone request is in the very next pass", async () => {
    const b = controlled({ maxRows: 32, maxRunsPerUser: 8 });
    const ada = Array.from({ length: 1000 }, (_, i) => b.submit("ada", i));
    await tick();
    // Ada alone: the cap gives way, and her first pass is full (32 of hers).
    expect(b.labels()[0]).toEqual(
      Array.from({ length: 32 }, (_, i) => `ada:${i}`),
    );
    expect(b.batcher.queued).toBe(968);
    const bob = b.submit("bob", 5000);
    await tick();
    await b.endPass();
    // The next pass: bob's request beside ada's, her first 8 in turn with
    // him, then hers fill the room no one else's waiting runs can use.
    expect(b.labels()[1]).toEqual([
      "ada:32",
      "bob:5000",
      ...Array.from({ length: 30 }, (_, i) => `ada:${33 + i}`),
    ]);
    await b.endPass();
    expect(await bob).toBe(50000);
    await b.drain();
    expect((await Promise.all(ada)).slice(0, 3)).toEqual([0, 10, 20]);
    // Every pass after bob's: ada's, oldest first, none skipped.
    expect(b.passes.flatMap((p) => p.requests.map((r) => r.n))).toEqual([
      ...Array.from({ length: 33 }, (_, i) => i),
      5000,
      ...Array.from({ length: 967 }, (_, i) => 33 + i),
    ]);
    expect(b.passes).toHaveLength(1 + Math.ceil(969 / 32));
  });

  it("caps one user's requests in a pass at maxRunsPerUser while others wait, and fills the rest with the other users' in turn", async () => {
    // Room for 7: the cap of 3 lets bob and cyd in before ada's fourth.
    const b = controlled({ maxRows: 7, maxRunsPerUser: 3 });
    for (let i = 0; i < 6; i++) void b.submit("ada", i);
    for (let i = 0; i < 5; i++) void b.submit("bob", i);
    void b.submit("cyd", 0);
    await tick();
    expect(b.labels()).toEqual([
      ["ada:0", "bob:0", "cyd:0", "ada:1", "bob:1", "ada:2", "bob:2"],
    ]);
    await b.endPass();
    // Turns go on where the first pass left them: after bob, cyd (gone), then ada.
    expect(b.labels()[1]).toEqual([
      "ada:3",
      "bob:3",
      "ada:4",
      "bob:4",
      "ada:5",
    ]);
    await b.drain();
  });

  it("when the rows limit cuts a round, the first user passed over leads the next pass", async () => {
    const b = controlled({ maxRows: 2, maxRunsPerUser: 8 });
    for (const user of ["ada", "bob", "cyd"])
      for (let i = 0; i < 3; i++) void b.submit(user, i);
    await tick();
    await b.drain();
    expect(b.labels()).toEqual([
      ["ada:0", "bob:0"],
      ["cyd:0", "ada:1"],
      ["bob:1", "cyd:1"],
      ["ada:2", "bob:2"],
      ["cyd:2"],
    ]);
  });
});

describe("limits", () => {
  it("closes a pass at its row limit, and fails only the request whose result is an error", async () => {
    const b = controlled({ maxRows: 4, maxRunsPerUser: 8 });
    const results = Promise.allSettled(
      [5, -1, 6, 7].map((n) => b.submit("ada", n, { rows: 2 })),
    );
    await tick();
    await b.drain();
    expect((await results).map((r) => r.status)).toEqual([
      "fulfilled",
      "rejected",
      "fulfilled",
      "fulfilled",
    ]);
    expect(b.labels()).toEqual([
      ["ada:5", "ada:-1"],
      ["ada:6", "ada:7"],
    ]);
  });

  it("closes a pass at its padded-token limit (rows times the longest row), the memory its pass takes", async () => {
    const b = controlled({
      maxRows: 100,
      maxRunsPerUser: 100,
      maxPaddedTokens: 350,
    });
    // 3 rows of up to 100 tokens fit (300); a fourth would make 400 > 350.
    const results = Promise.all(
      [1, 2, 3, 4, 5].map((n) =>
        b.submit("ada", n, { longest: n === 5 ? 10 : 100 }),
      ),
    );
    await tick();
    await b.drain();
    expect(await results).toEqual([10, 20, 30, 40, 50]);
    expect(b.labels()).toEqual([
      ["ada:1", "ada:2", "ada:3"],
      ["ada:4", "ada:5"],
    ]);
  });

  it("runs a request larger than the limits alone", async () => {
    const b = controlled({ maxRows: 4, maxRunsPerUser: 8 });
    void b.submit("ada", 1, { rows: 10 });
    void b.submit("bob", 2);
    await tick();
    await b.drain();
    expect(b.labels()).toEqual([["ada:1"], ["bob:2"]]);
    expect(b.passes[0]!.info.batchRows).toBe(10);
  });

  it.each([
    [
      { maxRows: 0, maxRunsPerUser: 8 },
      "maxRows must be a positive integer, got 0",
    ],
    [
      { maxRows: 32, maxRunsPerUser: 1.5 },
      "maxRunsPerUser must be a positive integer, got 1.5",
    ],
  ])("refuses the options %j", (options, message) => {
    expect(() => new ModelBatcher(() => Promise.resolve([]), options)).toThrow(
      `ModelBatcher: ${message}`,
    );
  });
});

describe("cancellation", () => {
  it("takes a request out of its queue when it is cancelled while waiting", async () => {
    const b = controlled(LOOSE);
    const cancel = new AbortController();
    const kept = b.submit("ada", 1);
    const dropped = b.submit("bob", 2, { signal: cancel.signal });
    cancel.abort();
    await expect(dropped).rejects.toThrow();
    await tick();
    await b.drain();
    expect(await kept).toBe(10);
    expect(b.labels()).toEqual([["ada:1"]]);
  });

  it("a request cancelled behind a pass in flight leaves the queue; one cancelled in its pass still runs", async () => {
    const b = controlled(LOOSE);
    const inPass = new AbortController();
    const waiting = new AbortController();
    const running = b.submit("ada", 1, { signal: inPass.signal });
    await tick();
    const dropped = b.submit("bob", 2, { signal: waiting.signal });
    const kept = b.submit("cyd", 3);
    await tick();
    waiting.abort(new Error("cancelled by bob"));
    inPass.abort();
    await expect(dropped).rejects.toThrow("cancelled by bob");
    expect(b.batcher.queued).toBe(1);
    await b.drain();
    expect(await running).toBe(10);
    expect(await kept).toBe(30);
    expect(b.labels()).toEqual([["ada:1"], ["cyd:3"]]);
  });

  it("refuses a request whose signal is already aborted, without running it", async () => {
    const b = controlled(LOOSE);
    await expect(
      b.submit("ada", 1, { signal: AbortSignal.abort() }),
    ).rejects.toThrow();
    await tick();
    expect(b.passes).toHaveLength(0);
    expect(b.batcher.queued).toBe(0);
  });
});

describe("startWhen (tests only)", () => {
  it("holds the pass until enough requests are queued, then forms it from all of them", async () => {
    let gather = 3;
    const b = controlled({
      ...LOOSE,
      startWhen: (queued) => {
        if (queued < gather) return false;
        gather = 0;
        return true;
      },
    });
    void b.submit("ada", 1);
    await tick();
    void b.submit("bob", 2);
    await tick();
    expect(b.passes).toHaveLength(0);
    void b.submit("cyd", 3);
    await tick();
    expect(b.labels()).toEqual([["ada:1", "bob:2", "cyd:3"]]);
    await b.drain();
  });
});

describe("the per-user cap gives way to spare room", () => {
  it("runs beyond the cap fill a pass only with room no other user's waiting runs can use", async () => {
    const b = controlled({ maxRows: 100, maxRunsPerUser: 3 });
    for (let i = 0; i < 6; i++) void b.submit("ada", i);
    for (let i = 0; i < 2; i++) void b.submit("bob", i);
    await tick();
    expect(b.labels()).toEqual([
      ["ada:0", "bob:0", "ada:1", "bob:1", "ada:2", "ada:3", "ada:4", "ada:5"],
    ]);
    await b.drain();
  });
});
