import { connectTestDatabase, truncateAll } from "@loupe/db/testing";
import { afterAll, beforeEach, expect, inject, it } from "vitest";
import { createApiContext } from "../context.ts";
import { createCaller } from "../root-router.ts";
import { createApiServices } from "../services.ts";
import { createPasswordAccount, signInWithPassword } from "./accounts.ts";
import { createMagicLink, TooManyLinksError } from "./magic-links.ts";
import { principalOfApiKey, principalOfUser } from "./principal.ts";
import { DEFAULT_RATE_LIMITS, RateLimitedError } from "./rate-limit.ts";

const services = createApiServices({
  databaseUrl: inject("databaseUrl"),
  temporalAddress: inject("temporalAddress"),
  temporalNamespace: "default",
});
const db = connectTestDatabase(inject("databaseUrl"));
beforeEach(() => truncateAll(db));
afterAll(async () => {
  await services.close();
  await db.$disconnect();
});

const CONCURRENT = 50;
const settle = <T>(make: (i: number) => Promise<T>) =>
  Promise.allSettled(Array.from({ length: CONCURRENT }, (_, i) => make(i)));
const reasons = (results: PromiseSettledResult<unknown>[]): unknown[] =>
  results.flatMap((r) =>
    r.status === "rejected" ? [r.reason as unknown] : [],
  );

it("50 concurrent sign-in links to one email, from 50 clients: exactly 5 are created, the rest refused naming the email", async () => {
  const results = await settle((i) =>
    createMagicLink(db, "target@loupe.test", { client: `10.0.0.${i}` }),
  );
  expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(5);
  expect(await db.magicLink.count()).toBe(5);
  const refused = reasons(results);
  expect(refused).toHaveLength(45);
  for (const error of refused) {
    expect(error).toBeInstanceOf(TooManyLinksError);
    expect((error as Error).message).toMatch(/target@loupe\.test/);
  }
});

it("50 concurrent sign-in links from one client to 50 emails: exactly 10 are created (no mail-bombing)", async () => {
  const results = await settle((i) =>
    createMagicLink(db, `person${i}@loupe.test`, { client: "192.0.2.7" }),
  );
  expect(await db.magicLink.count()).toBe(
    DEFAULT_RATE_LIMITS.linksPerClient.max,
  );
  const refused = reasons(results);
  expect(refused).toHaveLength(CONCURRENT - 10);
  expect(refused[0]).toBeInstanceOf(RateLimitedError);
  expect((refused[0] as Error).message).toMatch(
    /too many sign-in links asked for from 192\.0\.2\.7: at most 10 per hour; try again in \d+ s/,
  );
  // Another client is not held back by this one.
  await createMagicLink(db, "person0@loupe.test", { client: "192.0.2.8" });
});

it("50 concurrent wrong passwords from one client: exactly 10 are checked, 40 refused; a success gives its hit back", async () => {
  await createPasswordAccount(db, {
    email: "ada@loupe.test",
    name: "Ada",
    password: "ada-password-1",
  });
  // A successful sign-in counts against no one.
  expect(
    await signInWithPassword(db, {
      email: "ada@loupe.test",
      password: "ada-password-1",
      client: "198.51.100.1",
    }),
  ).toMatchObject({ email: "ada@loupe.test" });
  const results = await settle(() =>
    signInWithPassword(db, {
      email: "ada@loupe.test",
      password: "wrong-password",
      client: "198.51.100.1",
    }),
  );
  expect(
    results.filter((r) => r.status === "fulfilled" && r.value === null),
  ).toHaveLength(DEFAULT_RATE_LIMITS.signInPerClient.max);
  const refused = reasons(results);
  expect(refused).toHaveLength(CONCURRENT - 10);
  expect(refused.every((e) => e instanceof RateLimitedError)).toBe(true);
  // Even the right password waits out the window from that client...
  await expect(
    signInWithPassword(db, {
      email: "ada@loupe.test",
      password: "ada-password-1",
      client: "198.51.100.1",
    }),
  ).rejects.toThrow(/too many failed sign-ins from 198\.51\.100\.1/);
  // ...but not from another one.
  expect(
    await signInWithPassword(db, {
      email: "ada@loupe.test",
      password: "ada-password-1",
      client: "198.51.100.2",
    }),
  ).not.toBeNull();
});

it("50 concurrent sign-ups from one client: exactly 10 accounts, the rest TOO_MANY_REQUESTS; an API key's caller is not limited by address", async () => {
  const anonymous = createCaller(
    createApiContext(services, null, "203.0.113.9"),
  );
  const results = await settle((i) =>
    anonymous.account.signUp({
      email: `new${i}@loupe.test`,
      name: `New ${i}`,
      password: "a-long-password",
    }),
  );
  expect(await db.account.count()).toBe(
    DEFAULT_RATE_LIMITS.signUpPerClient.max,
  );
  const refused = reasons(results);
  expect(refused).toHaveLength(CONCURRENT - 10);
  expect(refused[0]).toMatchObject({
    code: "TOO_MANY_REQUESTS",
    loupe: { code: "RATE_LIMITED", max: 10, windowSeconds: 3600 },
  });

  const owner = await db.account.findFirstOrThrow();
  const { key } = await createCaller(
    createApiContext(services, await principalOfUser(db, owner.id)),
  ).keys.create({ name: "script" });
  const scripted = createCaller(
    createApiContext(services, await principalOfApiKey(db, key), "203.0.113.9"),
  );
  await scripted.account.signUp({
    email: "scripted@loupe.test",
    name: "Scripted",
    password: "a-long-password",
  });
});
