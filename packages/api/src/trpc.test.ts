import { QuotaExceededError } from "@loupe/db";
import { describe, expect, it } from "vitest";
import { createApiContext } from "./context.ts";
import { LoupeError } from "./errors/loupe-error.ts";
import { SERVER_VERSION } from "./sdk-compatibility.ts";
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

describe("the SDK's version (SDK_VERSION_HEADER)", () => {
  const served = router({ ping: publicProcedure.query(() => "pong") });
  const ping = (sdkVersion: string | null) =>
    createCallerFactory(served)(
      createApiContext({} as ApiServices, null, "unknown", sdkVersion),
    ).ping();
  const major = SERVER_VERSION.split(".")[0]!;

  it("serves an SDK of the server's major version, and callers that name none", async () => {
    expect(await ping(null)).toBe("pong");
    expect(await ping(SERVER_VERSION)).toBe("pong");
    expect(await ping(`${major}.99.7`)).toBe("pong");
  });

  it("refuses another major version with SDK_VERSION_UNSUPPORTED, naming both versions", async () => {
    const other = `${Number(major) + 1}.0.0`;
    for (const sdkVersion of [other, "not-a-version"]) {
      const error = await ping(sdkVersion).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LoupeError);
      expect(error).toMatchObject({
        code: "PRECONDITION_FAILED",
        loupe: {
          code: "SDK_VERSION_UNSUPPORTED",
          sdkVersion,
          serverVersion: SERVER_VERSION,
        },
        message: `this Loupe server (version ${SERVER_VERSION}) cannot serve @loupe/sdk ${sdkVersion}: it serves SDK versions ${major}.x; install one with \`npm install @loupe/sdk@${major}\``,
      });
    }
  });
});
