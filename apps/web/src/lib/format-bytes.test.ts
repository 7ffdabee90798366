import { describe, expect, it } from "vitest";
import { formatBytes, memoryLines } from "./format-bytes";

describe("formatBytes", () => {
  it.each([
    [0, "0 bytes"],
    [1023, "1023 bytes"],
    [1536, "1.5 KiB"],
    [235_003_904, "224.1 MiB"],
    [3 * 2 ** 30, "3.00 GiB"],
  ])("%d -> %s", (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});

describe("memoryLines", () => {
  it("lists every category the engine reports, total last", () => {
    expect(
      memoryLines({
        current: { total: 30, weights: 20, sessions: 10 },
        peak: { total: 40, weights: 20, sessions: 12, activations: 8 },
      }),
    ).toEqual([
      { category: "weights", current: 20, peak: 20 },
      { category: "sessions", current: 10, peak: 12 },
      { category: "activations", current: 0, peak: 8 },
      { category: "total", current: 30, peak: 40 },
    ]);
  });
});
