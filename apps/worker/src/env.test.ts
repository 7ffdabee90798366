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

describe("worker env: batching", () => {
  it("defaults: 32 rows, 32768 padded tokens", () => {
    const env = parseWorkerEnv(base);
    expect(env).toMatchObject({
      LOUPE_BATCH_MAX_ROWS: 32,
      LOUPE_BATCH_MAX_PADDED_TOKENS: 32768,
    });
    expect(env.LOUPE_BATCH_MAX_RUNS_PER_USER).toBeUndefined();
    expect(env.LOUPE_MODEL_MAX_CONCURRENT_RUNS).toBeUndefined();
  });

  it.each(["0", "-1", "2.5", "eight"])(
    "refuses LOUPE_BATCH_MAX_ROWS=%s, naming the variable",
    (text) => {
      expect(() =>
        parseWorkerEnv({ ...base, LOUPE_BATCH_MAX_ROWS: text }),
      ).toThrow(/^invalid worker environment:\n {2}LOUPE_BATCH_MAX_ROWS: /);
    },
  );

  it("refuses the removed windows, saying why they went, both at once", () => {
    expect(() =>
      parseWorkerEnv({
        ...base,
        LOUPE_BATCH_QUIET_MS: "200",
        LOUPE_BATCH_MAX_WAIT_MS: "",
      }),
    ).toThrow(
      [
        "invalid worker environment:",
        '  LOUPE_BATCH_QUIET_MS: is no longer read: a batch no longer waits for a quiet window: a batch is claimed as soon as the engine is free, and runs that arrive during a batch form the next one; unset it (it is set to "200")',
        '  LOUPE_BATCH_MAX_WAIT_MS: is no longer read: no run waits for its batch to fill any more: a run waits for the batch in flight, then for its turn among users; unset it (it is set to "")',
      ].join("\n"),
    );
  });

  it("refuses the per-user cap and the per-model run slots, saying why they went", () => {
    expect(() =>
      parseWorkerEnv({
        ...base,
        LOUPE_BATCH_MAX_RUNS_PER_USER: "8",
        LOUPE_MODEL_MAX_CONCURRENT_RUNS: "4096",
      }),
    ).toThrow(
      [
        "invalid worker environment:",
        `  LOUPE_BATCH_MAX_RUNS_PER_USER: is no longer read: a batch is claimed round-robin across users, and a user's runs already in flight rank their waiting runs after everyone else's: no separate per-user cap; unset it (it is set to "8")`,
        '  LOUPE_MODEL_MAX_CONCURRENT_RUNS: is no longer read: runs wait in PostgreSQL until a worker hosting their model claims them, not in the worker; unset it (it is set to "4096")',
      ].join("\n"),
    );
  });
});

describe("worker env: result storage and S3, parsed with the rest", () => {
  it("stores results in PostgreSQL by default, and reads the S3 settings from the same env", () => {
    const env = parseWorkerEnv(base);
    expect(env.resultStorage).toEqual({ kind: "postgres" });
    expect(env.s3).toEqual({ region: "us-east-1", forcePathStyle: false });
  });

  it("reads an S3 result store", () => {
    const env = parseWorkerEnv({
      ...base,
      LOUPE_RESULT_STORE: "s3",
      LOUPE_S3_BUCKET: "results",
      LOUPE_S3_ENDPOINT: "http://127.0.0.1:9000",
      LOUPE_S3_FORCE_PATH_STYLE: "true",
    });
    expect(env.resultStorage).toMatchObject({
      kind: "s3",
      bucket: "results",
      endpoint: "http://127.0.0.1:9000",
      forcePathStyle: true,
    });
    expect(env.s3.endpoint).toBe("http://127.0.0.1:9000");
  });

  it("refuses an S3 result store without a bucket, naming the variable", () => {
    expect(() => parseWorkerEnv({ ...base, LOUPE_RESULT_STORE: "s3" })).toThrow(
      /LOUPE_S3_BUCKET: required when LOUPE_RESULT_STORE=s3/,
    );
    expect(() =>
      parseWorkerEnv({ ...base, LOUPE_RESULT_STORE: "disk" }),
    ).toThrow(/LOUPE_RESULT_STORE: expected "postgres" or "s3", got "disk"/);
  });
});
