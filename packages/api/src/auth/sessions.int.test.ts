import { connectTestDatabase, truncateAll } from "@loupe/db/testing";
import { rebuildDomainProjections } from "@loupe/db";
import { afterAll, beforeEach, expect, inject, it } from "vitest";
import { createApiContext } from "../context.ts";
import { createCaller } from "../root-router.ts";
import { createApiServices } from "../services.ts";
import {
  createPasswordAccount,
  seedAdmin,
  signInWithPassword,
} from "./accounts.ts";
import { createMagicLink, signInWithMagicLink } from "./magic-links.ts";
import { principalOfApiKey, resolvePrincipal } from "./principal.ts";
import { endSession, startSession } from "./sessions.ts";

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

/** A signed-in browser: the cookie's subject and session id. */
async function signIn(userId: string) {
  return { sessionUserId: userId, sessionId: await startSession(db, userId) };
}
const whoIs = (cookie: { sessionUserId: string; sessionId: string }) =>
  resolvePrincipal(db, cookie);
const callerOf = async (cookie: { sessionUserId: string; sessionId: string }) =>
  createCaller(createApiContext(services, await whoIs(cookie)));

async function researcherWithEverything() {
  const { userId } = await createPasswordAccount(db, {
    email: "ada@loupe.test",
    name: "Ada",
    password: "ada-password-1",
  });
  const laptop = await signIn(userId);
  const phone = await signIn(userId);
  const { key } = await (await callerOf(laptop)).keys.create({ name: "ci" });
  const link = await createMagicLink(db, "ada@loupe.test", {
    client: "127.0.0.1",
  });
  expect(await principalOfApiKey(db, key)).not.toBeNull();
  return { userId, laptop, phone, key, link };
}

it("after sign-out the old session cookie names nobody; the account's other sessions go on", async () => {
  const { userId } = await createPasswordAccount(db, {
    email: "grace@loupe.test",
    name: "Grace",
    password: "grace-password",
  });
  const laptop = await signIn(userId);
  const phone = await signIn(userId);
  expect(await whoIs(laptop)).toMatchObject({
    userId,
    via: { kind: "session" },
  });
  await endSession(db, laptop.sessionId);
  expect(await whoIs(laptop)).toBeNull();
  expect(await whoIs(phone)).toMatchObject({ userId });
  // A cookie without a session id (written before sessions were revocable) or
  // with another account's id names nobody either.
  expect(await resolvePrincipal(db, { sessionUserId: userId })).toBeNull();
  expect(
    await whoIs({ sessionUserId: "someone-else", sessionId: phone.sessionId }),
  ).toBeNull();
});

it("an administrator disabling an account ends, at once, its sessions, sign-in links and API keys; it signs in no more", async () => {
  const { userId: adminId } = await seedAdmin(db, {
    email: "admin@loupe.test",
    password: "admin-password",
  });
  const admin = await callerOf(await signIn(adminId));
  const ada = await researcherWithEverything();

  expect(
    await admin.admin.disableAccount({ userId: ada.userId, reason: "abuse" }),
  ).toEqual({ userId: ada.userId, disabled: true, revokedKeys: 1 });
  expect(await whoIs(ada.laptop)).toBeNull();
  expect(await whoIs(ada.phone)).toBeNull();
  expect(await principalOfApiKey(db, ada.key)).toBeNull();
  expect(await signInWithMagicLink(db, ada.link.token)).toBeNull();
  expect(
    await signInWithPassword(db, {
      email: "ada@loupe.test",
      password: "ada-password-1",
      client: "127.0.0.1",
    }),
  ).toBeNull();
  await expect(startSession(db, ada.userId)).rejects.toThrow(
    `account ${ada.userId} is disabled or does not exist`,
  );
  await expect(
    admin.admin.disableAccount({ userId: adminId, reason: "oops" }),
  ).rejects.toThrow("administrators cannot disable their own account");

  // The read model rebuilds from the log, disabled as it was.
  await rebuildDomainProjections(db);
  expect(
    (await db.account.findUniqueOrThrow({ where: { id: ada.userId } }))
      .disabledAt,
  ).not.toBeNull();

  await admin.admin.enableAccount({ userId: ada.userId });
  const again = await signIn(ada.userId);
  expect(await whoIs(again)).toMatchObject({ userId: ada.userId });
  // What the disabling ended stays ended.
  expect(await whoIs(ada.laptop)).toBeNull();
  expect(await principalOfApiKey(db, ada.key)).toBeNull();
});

it("the owner resetting its password ends, at once, every session, sign-in link and API key of the account", async () => {
  const ada = await researcherWithEverything();
  expect(
    await (
      await callerOf(ada.phone)
    ).account.resetPassword({ newPassword: "a-new-password" }),
  ).toEqual({ revokedKeys: 1, signedOut: true });
  expect(await whoIs(ada.laptop)).toBeNull();
  expect(await whoIs(ada.phone)).toBeNull();
  expect(await principalOfApiKey(db, ada.key)).toBeNull();
  expect(await signInWithMagicLink(db, ada.link.token)).toBeNull();
  const signIn = (password: string) =>
    signInWithPassword(db, {
      email: "ada@loupe.test",
      password,
      client: "127.0.0.1",
    });
  expect(await signIn("ada-password-1")).toBeNull();
  expect(await signIn("a-new-password")).toMatchObject({ userId: ada.userId });
  // The password is in no event.
  const events = await db.event.findMany({
    where: { stream: `user-${ada.userId}` },
  });
  expect(events.map((e) => e.type)).toContain("account.password_reset");
  expect(JSON.stringify(events.map((e) => e.payload))).not.toContain(
    "a-new-password",
  );
});
