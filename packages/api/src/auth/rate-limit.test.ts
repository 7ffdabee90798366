import { expect, it } from "vitest";
import { DEFAULT_RATE_LIMITS, rateLimitSettings } from "./rate-limit.ts";

it("reads <max>/<window> per variable and keeps the defaults of unset ones", () => {
  expect(
    rateLimitSettings({
      LOUPE_RATE_LIMIT_SIGN_IN_PER_CLIENT: "20/5m",
      LOUPE_RATE_LIMIT_LINKS_PER_EMAIL: "3/h",
    }),
  ).toEqual({
    ...DEFAULT_RATE_LIMITS,
    signInPerClient: { max: 20, windowMs: 300_000 },
    linksPerEmail: { max: 3, windowMs: 3_600_000 },
  });
  expect(rateLimitSettings({})).toEqual(DEFAULT_RATE_LIMITS);
});

it("names the variable and the expected form of a bad value", () => {
  expect(() =>
    rateLimitSettings({ LOUPE_RATE_LIMIT_SIGN_UP_PER_CLIENT: "ten" }),
  ).toThrow(
    'LOUPE_RATE_LIMIT_SIGN_UP_PER_CLIENT: expected <max>/<window> such as 10/15m (window in s, m or h), got "ten"',
  );
});
