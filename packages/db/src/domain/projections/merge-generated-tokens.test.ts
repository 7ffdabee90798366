import { expect, it } from "vitest";
import {
  mergeGeneratedTokens,
  type GeneratedRows,
} from "./merge-generated-tokens.ts";

const token = (row: number, step: number, id: number, trace = 0) => ({
  trace,
  invoke: 0,
  row,
  step,
  id,
  text: `${row}:${step}:${id}`,
});

it("adds tokens at their steps, per row, in (trace, invoke, row) order", () => {
  expect(
    mergeGeneratedTokens(
      [],
      [token(1, 0, 7), token(0, 0, 5), token(0, 0, 3, 1), token(0, 1, 6)],
    ),
  ).toEqual([
    { trace: 0, invoke: 0, row: 0, ids: [5, 6], text: "0:1:6" },
    { trace: 0, invoke: 0, row: 1, ids: [7], text: "1:0:7" },
    { trace: 1, invoke: 0, row: 0, ids: [3], text: "0:0:3" },
  ]);
});

it("replaces a retried run's steps instead of repeating them, and skips a step past a gap", () => {
  const rows: GeneratedRows = [
    { trace: 0, invoke: 0, row: 0, ids: [5, 6, 8], text: "0:2:8" },
  ];
  expect(mergeGeneratedTokens(rows, [token(0, 0, 5), token(0, 3, 9)])).toEqual([
    { trace: 0, invoke: 0, row: 0, ids: [5], text: "0:0:5" },
  ]);
  // The rows given are left as they were.
  expect(rows[0]!.ids).toEqual([5, 6, 8]);
});
