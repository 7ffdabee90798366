import { describe, expect, it } from "vitest";
import { fitBatch } from "./fit-batch.ts";

const run = (id: string, rows: number, longest = 8) => ({ id, rows, longest });

describe("fitBatch", () => {
  it("takes runs in order while their rows fit, skipping one that does not", () => {
    const taken = fitBatch(
      [run("a", 10), run("b", 20), run("c", 5), run("d", 1)],
      { maxRows: 32 },
    );
    expect(taken.map((r) => r.id)).toEqual(["a", "b", "d"]);
  });

  it("bounds padded tokens: rows times the longest row", () => {
    const taken = fitBatch(
      [run("a", 2, 100), run("b", 2, 400), run("c", 4, 50)],
      {
        maxRows: 32,
        maxPaddedTokens: 800,
      },
    );
    // a+b would pad 4 rows to 400 tokens (1600); a+c pads 6 rows to 100 (600).
    expect(taken.map((r) => r.id)).toEqual(["a", "c"]);
  });

  it("always takes the first run, however large, so it runs alone", () => {
    expect(
      fitBatch([run("big", 100), run("small", 1)], { maxRows: 32 }).map(
        (r) => r.id,
      ),
    ).toEqual(["big"]);
    expect(fitBatch([], { maxRows: 1 })).toEqual([]);
  });
});
