import { connectTestDatabase, truncateAll } from "@loupe/db/testing";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { createPasswordAccount, seedAdmin } from "../../auth/accounts.ts";
import { principalOfApiKey, principalOfUser } from "../../auth/principal.ts";
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

it("an administrator revokes one of a user's API keys, then all the rest: each is refused at once; a researcher may not", async () => {
  const { userId: adminId } = await seedAdmin(db, {
    email: "admin@loupe.test",
    password: "admin-password",
  });
  const { userId } = await createPasswordAccount(db, {
    email: "ada@loupe.test",
    name: "Ada",
    password: "ada-password-1",
  });
  const ada = await callerOf(userId);
  // One at a time: each is an event on the user's stream.
  const ci = await ada.keys.create({ name: "ci" });
  const laptop = await ada.keys.create({ name: "laptop" });
  const notebook = await ada.keys.create({ name: "notebook" });
  for (const k of [ci, laptop, notebook])
    expect(await principalOfApiKey(db, k.key)).not.toBeNull();
  const admin = await callerOf(adminId);

  expect(await admin.admin.revokeApiKeys({ userId, keyId: ci.keyId })).toEqual({
    userId,
    revokedKeys: 1,
  });
  expect(await principalOfApiKey(db, ci.key)).toBeNull();
  expect(await principalOfApiKey(db, laptop.key)).not.toBeNull();

  expect(await admin.admin.revokeApiKeys({ userId })).toEqual({
    userId,
    revokedKeys: 2,
  });
  expect(await principalOfApiKey(db, laptop.key)).toBeNull();
  expect(await principalOfApiKey(db, notebook.key)).toBeNull();
  const listed = await admin.admin.apiKeys({ userId });
  expect(listed.map((k) => [k.name, k.revokedAt !== null]).sort()).toEqual([
    ["ci", true],
    ["laptop", true],
    ["notebook", true],
  ]);
  expect(JSON.stringify(listed)).not.toMatch(/hash/);
  // Each revocation is an event by the administrator.
  const revoked = await db.event.findMany({
    where: { stream: `user-${userId}`, type: "api_key.revoked" },
  });
  expect(revoked.map((e) => (e.payload as { by: string }).by)).toEqual([
    adminId,
    adminId,
    adminId,
  ]);

  await expect(
    admin.admin.revokeApiKeys({ userId, keyId: "no-such-key" }),
  ).rejects.toThrow(`API key no-such-key of account ${userId} not found`);
  await expect(ada.admin.revokeApiKeys({ userId })).rejects.toThrow(
    "administrators only",
  );
});
