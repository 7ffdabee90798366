import { connectTestDatabase, truncateAll } from "@loupe/db/testing";
import { afterAll, beforeEach, expect, inject, it } from "vitest";
import { createPasswordAccount } from "./accounts.ts";
import {
  createMagicLink,
  signInWithMagicLink,
  TooManyLinksError,
} from "./magic-links.ts";

const db = connectTestDatabase(inject("databaseUrl"));
beforeEach(() => truncateAll(db));
afterAll(() => db.$disconnect());

it("a link signs in once, to the email's account; racing uses of one link: exactly one wins", async () => {
  const { userId } = await createPasswordAccount(db, {
    email: "ada@loupe.test",
    name: "Ada",
    password: "ada-password-1",
  });
  const { token } = await createMagicLink(db, " Ada@Loupe.test ", {
    client: "127.0.0.1",
  });
  const stored = await db.magicLink.findMany();
  expect(stored).toHaveLength(1);
  expect(stored[0]!.tokenHash).not.toContain(token); // only its hash is kept
  const uses = await Promise.all(
    Array.from({ length: 5 }, () => signInWithMagicLink(db, token)),
  );
  expect(uses.filter((u) => u !== null)).toEqual([
    { userId, email: "ada@loupe.test", name: "Ada" },
  ]);
  expect(await signInWithMagicLink(db, token)).toBeNull();
  expect(await signInWithMagicLink(db, "not-a-token")).toBeNull();
});

it("a new email gets an account on first use; an expired link does nothing", async () => {
  const { token } = await createMagicLink(db, "linus@loupe.test", {
    client: "127.0.0.1",
  });
  const signedIn = await signInWithMagicLink(db, token);
  expect(signedIn).toMatchObject({ email: "linus@loupe.test", name: "linus" });
  expect(
    await db.account.findUnique({ where: { email: "linus@loupe.test" } }),
  ).toMatchObject({ id: signedIn!.userId, access: "none", role: "researcher" });

  const late = await createMagicLink(db, "late@loupe.test", {
    client: "127.0.0.1",
  });
  await db.magicLink.updateMany({
    where: { email: "late@loupe.test" },
    data: { expiresAt: new Date(Date.now() - 1000) },
  });
  expect(await signInWithMagicLink(db, late.token)).toBeNull();
  expect(
    await db.account.findUnique({ where: { email: "late@loupe.test" } }),
  ).toBeNull();
});

it("refuses a sixth link to one email within the hour, naming the email", async () => {
  for (let i = 0; i < 5; i++)
    await createMagicLink(db, "busy@loupe.test", { client: "127.0.0.1" });
  await expect(
    createMagicLink(db, "busy@loupe.test", { client: "10.0.0.1" }),
  ).rejects.toThrow(TooManyLinksError);
  await expect(
    createMagicLink(db, "busy@loupe.test", { client: "10.0.0.2" }),
  ).rejects.toThrow(/busy@loupe.test/);
});
