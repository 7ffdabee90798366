import { connectTestDatabase, truncateAll } from "@loupe/db/testing";
import { readStream, streams } from "@loupe/db";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { createPasswordAccount, seedAdmin } from "../../auth/accounts.ts";
import { principalOfUser } from "../../auth/principal.ts";
import { createApiContext } from "../../context.ts";
import { createCaller } from "../../root-router.ts";
import { createApiServices } from "../../services.ts";

const services = createApiServices({
  databaseUrl: inject("databaseUrl"),
  temporalAddress: inject("temporalAddress"),
  temporalNamespace: "default",
});
const db = connectTestDatabase(inject("databaseUrl"));
const callerOf = async (userId: string) =>
  createCaller(createApiContext(services, await principalOfUser(db, userId)));

beforeAll(() => truncateAll(db));
afterAll(async () => {
  await services.close();
  await db.$disconnect();
});

it("two administrators reviewing one application at once: one decision wins, the other is a conflict", async () => {
  const [a, b] = await Promise.all([
    seedAdmin(db, { email: "a@loupe.test", password: "admin-password" }),
    seedAdmin(db, { email: "b@loupe.test", password: "admin-password" }),
  ]);
  const { userId } = await createPasswordAccount(db, {
    email: "applicant@loupe.test",
    name: "Applicant",
    password: "a-long-password",
  });
  await (
    await callerOf(userId)
  ).applications.submit({
    affiliation: "Lab",
    purpose: "to study the models",
  });
  const outcomes = await Promise.allSettled([
    (await callerOf(a.userId)).applications.review({
      userId,
      decision: "approve",
    }),
    (await callerOf(b.userId)).applications.review({
      userId,
      decision: "reject",
      reason: "duplicate account",
    }),
  ]);
  expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
  const lost = outcomes.find(
    (o) => o.status === "rejected",
  ) as PromiseRejectedResult;
  expect(lost.reason).toBeInstanceOf(TRPCError);
  expect((lost.reason as TRPCError).code).toBe("CONFLICT");
  const decisions = (await readStream(db, streams.user(userId)))
    .map((e) => e.type)
    .filter(
      (t) => t === "application.approved" || t === "application.rejected",
    );
  expect(decisions).toHaveLength(1);
});
