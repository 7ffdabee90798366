import { QuotaExceededError } from "@loupe/db";
import { describe, expect, it } from "vitest";
import { createApiContext } from "./context.ts";
import { LoupeError } from "./errors/loupe-error.ts";
import type { ApiServices } from "./services.ts";
import { createCallerFactory, publicProcedure, router } from "./trpc.ts";

// Procedures that fail as a procedure may, called as the API calls them; none
// reads a service.
const failing = router({
  quota: publicProcedure.query(() => {
    throw new QuotaExceededError("maxConcurrentRuns", 2, 2);
  }),
  bug: publicProcedure.query(() => {
    throw new Error("a bug's message");
  }),
});
const caller = createCallerFactory(failing)(
  createApiContext({} as ApiServices),
);

describe("publicProcedure, the base of every procedure", () => {
  it("answers a domain error a procedure throws with its registry code and status", async () => {
    const error = await caller.quota().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LoupeError);
    expect(error).toMatchObject({
      code: "TOO_MANY_REQUESTS",
      message: "quota maxConcurrentRuns exceeded: 2 of 2 used",
      loupe: {
        code: "QUOTA_EXCEEDED",
        quota: "maxConcurrentRuns",
        limit: 2,
        used: 2,
      },
    });
  });

  it("leaves any other error internal", async () => {
    const error = await caller.bug().catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(LoupeError);
    expect(error).toMatchObject({ code: "INTERNAL_SERVER_ERROR" });
  });
});
