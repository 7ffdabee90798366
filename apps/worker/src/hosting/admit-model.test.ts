import { describe, expect, it } from "vitest";
import { admitModel, formatBytes } from "./admit-model.ts";

describe("admitModel", () => {
  it.each([
    ["no budget", null, 0, 10 ** 12, true],
    ["fits an empty worker", 1000, 0, 1000, true],
    ["fits what is left", 1000, 400, 600, true],
    ["over what is left", 1000, 400, 601, false],
    ["over an empty worker", 1000, 0, 1001, false],
    ["anything, once the budget is spent", 1000, 1200, 1, false],
  ] as const)("%s", (_, budgetBytes, admittedBytes, needed, ok) => {
    expect(admitModel("m", needed, { budgetBytes, admittedBytes }).ok).toBe(ok);
  });

  it("refuses with a message naming the model, the bytes it needs and the bytes available", () => {
    expect(
      admitModel("gpt2-xl", 6_000_000_000, {
        budgetBytes: 8 * 2 ** 30,
        admittedBytes: 3 * 2 ** 30,
      }),
    ).toEqual({
      ok: false,
      neededBytes: 6_000_000_000,
      availableBytes: 5 * 2 ** 30,
      message:
        "model gpt2-xl needs 6,000,000,000 bytes (5.59 GiB) for its weights, but this worker has 5,368,709,120 bytes (5.00 GiB) available (LOUPE_WORKER_MEMORY_BYTES 8,589,934,592 bytes (8.00 GiB), 3,221,225,472 bytes (3.00 GiB) held by its other models)",
    });
  });

  it("formats bytes exactly and readably", () => {
    expect(formatBytes(0)).toBe("0 bytes (0.0 MiB)");
    expect(formatBytes(235_003_904)).toBe("235,003,904 bytes (224.1 MiB)");
  });
});
