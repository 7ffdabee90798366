import { describe, expect, it } from "vitest";
import { parseByteSize, parseWorkerEnv } from "./env.ts";

const base = {
  DATABASE_URL: "postgresql://loupe:loupe@127.0.0.1:5432/loupe",
  TEMPORAL_ADDRESS: "127.0.0.1:7233",
};

describe("worker env: hosting", () => {
  it.each([
    ["8GiB", 8 * 2 ** 30],
    ["512 MiB", 512 * 2 ** 20],
    ["1.5GB", 1_500_000_000],
    ["1000000", 1_000_000],
    ["2kb", 2000],
  ])("reads LOUPE_WORKER_MEMORY_BYTES=%s", (text, bytes) => {
    expect(parseByteSize(text)).toBe(bytes);
    expect(
      parseWorkerEnv({ ...base, LOUPE_WORKER_MEMORY_BYTES: text })
        .LOUPE_WORKER_MEMORY_BYTES,
    ).toBe(bytes);
  });

  it("has no budget when LOUPE_WORKER_MEMORY_BYTES is unset", () => {
    expect(parseWorkerEnv(base).LOUPE_WORKER_MEMORY_BYTES).toBeNull();
  });

  it.each(["8 gigs", "-1", "GiB", "1e9"])(
    "refuses LOUPE_WORKER_MEMORY_BYTES=%s, naming the variable and the value",
    (text) => {
      expect(() =>
        parseWorkerEnv({ ...base, LOUPE_WORKER_MEMORY_BYTES: text }),
      ).toThrow(
        `invalid worker environment:\n  LOUPE_WORKER_MEMORY_BYTES: expected a number of bytes, optionally with a unit (KiB, MiB, GiB, KB, MB, GB), got "${text}"`,
      );
    },
  );

  it.each([
    [undefined, { kind: "none" }],
    ["all", { kind: "all" }],
    ["none", { kind: "none" }],
    ["gpt2, llama-1b", { kind: "named", names: ["gpt2", "llama-1b"] }],
  ])("reads LOUPE_HOSTING=%s", (value, scope) => {
    expect(
      parseWorkerEnv({
        ...base,
        ...(value === undefined ? {} : { LOUPE_HOSTING: value }),
      }).LOUPE_HOSTING,
    ).toEqual(scope);
  });
});
