import {
  ModelAlreadyHostedError,
  ModelUnavailableError,
  QuotaExceededError,
  RunLimitError,
  VersionConflictError,
} from "@loupe/db";
import { describe, expect, it } from "vitest";
import { EmailTakenError } from "../auth/accounts.ts";
import { RateLimitedError } from "../auth/rate-limit.ts";
import { toLoupeError } from "./to-loupe-error.ts";

describe("toLoupeError", () => {
  it.each([
    [
      new QuotaExceededError("maxRunsPerDay", 50, 50),
      "TOO_MANY_REQUESTS",
      { code: "QUOTA_EXCEEDED", quota: "maxRunsPerDay", limit: 50, used: 50 },
    ],
    [
      new RunLimitError("maxRowsPerRun", 4, 5, "5 rows, over 4"),
      "PAYLOAD_TOO_LARGE",
      { code: "RUN_LIMIT_EXCEEDED", limit: "maxRowsPerRun", max: 4, actual: 5 },
    ],
    // The model's limits stay BAD_REQUEST, as before the registry.
    [
      new RunLimitError("vocabSize", 1302, 1302, "token id 1302"),
      "BAD_REQUEST",
      {
        code: "RUN_LIMIT_EXCEEDED",
        limit: "vocabSize",
        max: 1302,
        actual: 1302,
      },
    ],
    [
      new RunLimitError("maxPositions", 64, 65, "65 positions"),
      "BAD_REQUEST",
      {
        code: "RUN_LIMIT_EXCEEDED",
        limit: "maxPositions",
        max: 64,
        actual: 65,
      },
    ],
    [
      new VersionConflictError("experiment-1", 2, 3),
      "CONFLICT",
      { code: "VERSION_CONFLICT", expectedVersion: 2, actualVersion: 3 },
    ],
    [
      new ModelUnavailableError("facts", "failed", "out of memory"),
      "PRECONDITION_FAILED",
      {
        code: "MODEL_UNAVAILABLE",
        model: "facts",
        state: "failed",
        reason: "out of memory",
      },
    ],
    [
      new ModelAlreadyHostedError("facts", "online"),
      "CONFLICT",
      { code: "MODEL_ALREADY_HOSTED", model: "facts", state: "online" },
    ],
    [new EmailTakenError("a@loupe.test"), "CONFLICT", { code: "EMAIL_TAKEN" }],
    [
      new RateLimitedError("sign-ups", { max: 10, windowMs: 3_600_000 }, 42),
      "TOO_MANY_REQUESTS",
      {
        code: "RATE_LIMITED",
        max: 10,
        windowSeconds: 3600,
        retryAfterSeconds: 42,
      },
    ],
  ])("%s: %s with its facts and message", (error, status, loupe) => {
    const translated = toLoupeError(error);
    expect(translated?.code).toBe(status);
    expect(translated?.loupe).toEqual(loupe);
    expect(translated?.message).toBe(error.message);
    expect(translated?.cause).toBe(error);
  });

  it("leaves any other error alone (it stays internal)", () => {
    expect(toLoupeError(new Error("a bug"))).toBeNull();
    expect(toLoupeError("not an error")).toBeNull();
    expect(toLoupeError(undefined)).toBeNull();
  });
});
