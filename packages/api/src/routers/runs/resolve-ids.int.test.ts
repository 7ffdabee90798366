import { randomUUID } from "node:crypto";
import type { Database } from "@loupe/db";
import { connectTestDatabase, truncateAll } from "@loupe/db/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createPasswordAccount, seedAdmin } from "../../auth/accounts.ts";
import { principalOfUser } from "../../auth/principal.ts";
import { createApiContext } from "../../context.ts";
import { createCaller } from "../../root-router.ts";
import { createApiServices } from "../../services.ts";

// Short ids (runs.resolve, experiments.resolve) against real PostgreSQL: the
// rows are written as the read models keep them, with ids chosen to share
// prefixes (real ids are random UUIDs).
const databaseUrl = inject("databaseUrl");
const services = createApiServices({
  databaseUrl,
  temporalAddress: inject("temporalAddress"),
  temporalNamespace: "default",
  platformTaskQueue: `resolve-unpolled-${randomUUID()}`,
});
const db: Database = connectTestDatabase(databaseUrl);

type Caller = ReturnType<typeof createCaller>;
let alice: Caller;
let bob: Caller;
let admin: Caller;
const anonymous = createCaller(createApiContext(services, null));

async function account(email: string): Promise<string> {
  const { userId } = await createPasswordAccount(db, {
    email,
    name: email,
    password: "a-long-password",
  });
  return userId;
}

async function experiment(id: string, ownerId: string, visibility: string) {
  const at = new Date();
  await db.experiment.create({
    data: {
      id,
      ownerId,
      title: id,
      description: "",
      visibility,
      license: "CC-BY-4.0",
      createdAt: at,
      updatedAt: at,
    },
  });
}

async function run(id: string, userId: string, experimentId?: string) {
  await db.run.create({
    data: {
      id,
      userId,
      model: "m",
      modelHash: "h",
      graphHash: "g",
      status: "completed",
      requestedAt: new Date(),
      ...(experimentId && { experimentId, experimentVersion: 1 }),
    },
  });
}

beforeAll(async () => {
  await truncateAll(db);
  const { userId: adminId } = await seedAdmin(db, {
    email: "admin@loupe.test",
    password: "admin-password",
  });
  const aliceId = await account("alice@loupe.test");
  const bobId = await account("bob@loupe.test");
  const as = async (userId: string) =>
    createCaller(createApiContext(services, await principalOfUser(db, userId)));
  alice = await as(aliceId);
  bob = await as(bobId);
  admin = await as(adminId);
  await experiment("e0aaaa01-public", bobId, "public");
  await experiment("e0aaaa02-unlisted", bobId, "unlisted");
  await experiment("e0aaaa03-private", bobId, "private");
  await experiment("e0bbbb01-alice", aliceId, "private");
  await run("a1aaaa01-alice", aliceId);
  await run("a1aaaa02-alice", aliceId);
  await run("a1bbbb01-alice", aliceId);
  await run("a1bbbb02-bob", bobId);
  await run("a1cccc01-bob-public", bobId, "e0aaaa01-public");
  await run("a1cccc02-bob-unlisted", bobId, "e0aaaa02-unlisted");
});

afterAll(async () => {
  await services.close();
  await db.$disconnect();
});

const failure = (call: Promise<unknown>) =>
  call.then(
    () => null,
    (e: unknown) =>
      e as { code: string; message: string; loupe?: Record<string, unknown> },
  );

describe("runs.resolve", () => {
  it("a unique prefix of the caller's runs names the run; a full id resolves as it is", async () => {
    expect(await alice.runs.resolve({ id: "a1bbbb01" })).toEqual({
      runId: "a1bbbb01-alice",
    });
    expect(await alice.runs.resolve({ id: "a1aaaa02-alice" })).toEqual({
      runId: "a1aaaa02-alice",
    });
  });

  it("an ambiguous prefix is AMBIGUOUS_ID listing its matches", async () => {
    const error = await failure(alice.runs.resolve({ id: "a1aaaa" }));
    expect(error).toMatchObject({
      code: "BAD_REQUEST",
      loupe: { code: "AMBIGUOUS_ID", prefix: "a1aaaa" },
    });
    expect(error!.message).toMatch(
      /^the short id a1aaaa matches 2 runs: a1aaaa0[12]-alice, a1aaaa0[12]-alice; give more of the id$/,
    );
  });

  it("resolves only among the runs the caller may read", async () => {
    // Bob's a1bbbb02 is not Alice's: her prefix is unique among hers.
    expect(await alice.runs.resolve({ id: "a1bbbb" })).toEqual({
      runId: "a1bbbb01-alice",
    });
    // A run of a public experiment is anyone's to read, even anonymously.
    expect(await anonymous.runs.resolve({ id: "a1cccc" })).toEqual({
      runId: "a1cccc01-bob-public",
    });
    // A run of an unlisted experiment: by full id only.
    expect(await alice.runs.resolve({ id: "a1cccc02-bob-unlisted" })).toEqual({
      runId: "a1cccc02-bob-unlisted",
    });
    expect(await failure(alice.runs.resolve({ id: "a1cccc02" }))).toMatchObject(
      { code: "NOT_FOUND", message: "run a1cccc02 not found" },
    );
    // Administrators read every run.
    const all = await failure(admin.runs.resolve({ id: "a1bbbb" }));
    expect(all?.loupe).toMatchObject({ code: "AMBIGUOUS_ID" });
    expect([...(all!.loupe!.matches as string[])].sort()).toEqual([
      "a1bbbb01-alice",
      "a1bbbb02-bob",
    ]);
  });

  it("refuses a prefix under 6 characters that is no run's id, and finds nothing where nothing matches", async () => {
    expect(await failure(alice.runs.resolve({ id: "a1aa" }))).toMatchObject({
      code: "BAD_REQUEST",
      message:
        "run a1aa not found, and a short run id needs at least 6 characters (got 4)",
    });
    expect(await failure(alice.runs.resolve({ id: "ffffffff" }))).toMatchObject(
      { code: "NOT_FOUND", message: "run ffffffff not found" },
    );
  });
});

describe("experiments.resolve", () => {
  it("resolves a prefix among the caller's own experiments and public ones, never private or unlisted ones of others", async () => {
    expect(await alice.experiments.resolve({ id: "e0aaaa" })).toEqual({
      experimentId: "e0aaaa01-public",
    });
    expect(await alice.experiments.resolve({ id: "e0bbbb" })).toEqual({
      experimentId: "e0bbbb01-alice",
    });
    expect(
      await failure(bob.experiments.resolve({ id: "e0bbbb" })),
    ).toMatchObject({ code: "NOT_FOUND" });
    expect(
      await alice.experiments.resolve({ id: "e0aaaa02-unlisted" }),
    ).toEqual({ experimentId: "e0aaaa02-unlisted" });
    const owner = await failure(bob.experiments.resolve({ id: "e0aaaa" }));
    expect(owner).toMatchObject({
      loupe: { code: "AMBIGUOUS_ID", prefix: "e0aaaa" },
    });
    expect(owner!.message).toMatch(
      /^the short id e0aaaa matches 3 experiments: /,
    );
  });
});
