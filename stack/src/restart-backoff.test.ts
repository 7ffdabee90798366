import { expect, it } from "vitest";
import { DEFAULT_RESTART_BACKOFF, nextRestart } from "./restart-backoff.ts";

it("doubles the delay with each quick death in a row, up to the cap", () => {
  let deathsInRow = 0;
  const delays: number[] = [];
  for (let i = 0; i < 8; i++) {
    const next = nextRestart(DEFAULT_RESTART_BACKOFF, {
      deathsInRow,
      ranForMs: 2000,
    });
    deathsInRow = next.deathsInRow;
    delays.push(next.delayMs);
  }
  expect(delays).toEqual([
    1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000,
  ]);
  expect(deathsInRow).toBe(8);
});

it("starts again from the first delay after a stable run", () => {
  expect(
    nextRestart(DEFAULT_RESTART_BACKOFF, {
      deathsInRow: 6,
      ranForMs: DEFAULT_RESTART_BACKOFF.stableAfterMs,
    }),
  ).toEqual({ deathsInRow: 1, delayMs: 1000 });
});

it("stays at the cap however many deaths there were", () => {
  expect(
    nextRestart(DEFAULT_RESTART_BACKOFF, { deathsInRow: 5000, ranForMs: 0 }),
  ).toEqual({ deathsInRow: 5001, delayMs: 30_000 });
});
