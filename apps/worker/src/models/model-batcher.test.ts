import { expect, it, vi } from "vitest";
import { ModelBatcher, type BatchInfo } from "./model-batcher.ts";

/** A batcher whose batches are recorded, each answering request * 10. */
function recording(options: {
  quietMs: number;
  maxWaitMs: number;
  maxRows: number;
  maxPaddedTokens?: number;
}) {
  const batches: { requests: number[]; info: BatchInfo }[] = [];
  const batcher = new ModelBatcher<number, number>((requests, info) => {
    batches.push({ requests: [...requests], info });
    return Promise.resolve(
      requests.map((r) => (r < 0 ? new Error(`bad ${r}`) : r * 10)),
    );
  }, options);
  return { batcher, batches };
}

it("closes a batch after a quiet period and answers each request with its own result", async () => {
  const { batcher, batches } = recording({
    quietMs: 30,
    maxWaitMs: 1000,
    maxRows: 100,
  });
  const results = Promise.all(
    [1, 2, 3].map((n) => batcher.submit(n, { rows: 1, longest: 1 })),
  );
  expect(await results).toEqual([10, 20, 30]);
  expect(batches).toHaveLength(1);
  expect(batches[0]!.info).toMatchObject({ batchRows: 3, requests: 3 });
});

it("keeps a batch open while requests keep arriving, up to its deadline", async () => {
  // Fake timers: the gaps between requests are exactly 25 ms, whatever the
  // machine's load (real sleeps on a busy CI machine overshot the quiet period).
  vi.useFakeTimers();
  try {
    const { batcher, batches } = recording({
      quietMs: 40,
      maxWaitMs: 150,
      maxRows: 100,
    });
    const pending: Promise<number>[] = [];
    for (let i = 0; i < 10; i++) {
      pending.push(batcher.submit(i, { rows: 1, longest: 1 }));
      await vi.advanceTimersByTimeAsync(25); // always within the quiet period
    }
    await vi.advanceTimersByTimeAsync(1000);
    await Promise.all(pending);
    // Requests at 0, 25, ..., 125 ms; the deadline (150 ms) cut the batch
    // there; the rest closed after their quiet period.
    expect(batches.map((b) => b.requests)).toEqual([
      [0, 1, 2, 3, 4, 5],
      [6, 7, 8, 9],
    ]);
  } finally {
    vi.useRealTimers();
  }
});

it("closes a batch at its row limit, and fails only the request whose result is an error", async () => {
  const { batcher, batches } = recording({
    quietMs: 1000,
    maxWaitMs: 1000,
    maxRows: 4,
  });
  const results = await Promise.allSettled(
    [5, -1, 6, 7].map((n) => batcher.submit(n, { rows: 2, longest: 1 })),
  );
  expect(results.map((r) => r.status)).toEqual([
    "fulfilled",
    "rejected",
    "fulfilled",
    "fulfilled",
  ]);
  expect(batches.map((b) => b.requests)).toEqual([
    [5, -1],
    [6, 7],
  ]);
});

it("closes a batch at its padded-token limit (rows times the longest row), the memory its pass takes", async () => {
  const { batcher, batches } = recording({
    quietMs: 50,
    maxWaitMs: 1000,
    maxRows: 100,
    maxPaddedTokens: 350,
  });
  // 3 rows of up to 100 tokens fit (300); a fourth would make 400 > 350.
  const results = await Promise.all(
    [1, 2, 3, 4, 5].map((n) =>
      batcher.submit(n, { rows: 1, longest: n === 5 ? 10 : 100 }),
    ),
  );
  expect(results).toEqual([10, 20, 30, 40, 50]);
  expect(batches.map((b) => b.requests)).toEqual([
    [1, 2, 3],
    [4, 5],
  ]);
});

it("takes a request out of its queue when it is cancelled while waiting", async () => {
  const { batcher, batches } = recording({
    quietMs: 50,
    maxWaitMs: 1000,
    maxRows: 100,
  });
  const cancel = new AbortController();
  const kept = batcher.submit(1, { rows: 1, longest: 1 });
  const dropped = batcher.submit(2, { rows: 1, longest: 1 }, cancel.signal);
  cancel.abort();
  await expect(dropped).rejects.toThrow();
  expect(await kept).toBe(10);
  expect(batches.map((b) => b.requests)).toEqual([[1]]);
});
