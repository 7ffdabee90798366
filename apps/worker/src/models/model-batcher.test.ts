import { expect, it } from "vitest";
import { ModelBatcher, type BatchInfo } from "./model-batcher.ts";

/** A batcher whose batches are recorded, each answering request * 10. */
function recording(options: {
  quietMs: number;
  maxWaitMs: number;
  maxRows: number;
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
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it("closes a batch after a quiet period and answers each request with its own result", async () => {
  const { batcher, batches } = recording({
    quietMs: 30,
    maxWaitMs: 1000,
    maxRows: 100,
  });
  const results = Promise.all([1, 2, 3].map((n) => batcher.submit(n, 1)));
  expect(await results).toEqual([10, 20, 30]);
  expect(batches).toHaveLength(1);
  expect(batches[0]!.info).toMatchObject({ batchRows: 3, requests: 3 });
});

it("keeps a batch open while requests keep arriving, up to its deadline", async () => {
  const { batcher, batches } = recording({
    quietMs: 40,
    maxWaitMs: 150,
    maxRows: 100,
  });
  const pending: Promise<number>[] = [];
  for (let i = 0; i < 10; i++) {
    pending.push(batcher.submit(i, 1));
    await sleep(25); // always within the quiet period
  }
  await Promise.all(pending);
  expect(batches.length).toBeGreaterThanOrEqual(2); // the deadline cut it
  expect(batches[0]!.requests.length).toBeGreaterThan(1);
});

it("closes a batch at its row limit, and fails only the request whose result is an error", async () => {
  const { batcher, batches } = recording({
    quietMs: 1000,
    maxWaitMs: 1000,
    maxRows: 4,
  });
  const results = await Promise.allSettled(
    [5, -1, 6, 7].map((n) => batcher.submit(n, 2)),
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
