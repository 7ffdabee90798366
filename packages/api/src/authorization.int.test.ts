import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import {
  finishRun,
  putResult,
  registerModel,
  requestModelHosting,
  requestRun,
  type Database,
} from "@loupe/db";
import { connectTestDatabase, truncateAll } from "@loupe/db/testing";
import { createModel, manifestSchema, type Envoy } from "@loupe/graph";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createPasswordAccount, seedAdmin } from "./auth/accounts.ts";
import {
  principalOfApiKey,
  principalOfUser,
  type Principal,
} from "./auth/principal.ts";
import { createApiContext } from "./context.ts";
import { openRunResult } from "./results/result-download.ts";
import { appRouter, createCaller } from "./root-router.ts";
import { createApiServices } from "./services.ts";

/**
 * The authorization matrix: every procedure of the router (read from the
 * router itself, so a new procedure without an entry here fails), called as
 * each kind of caller, against private objects of one researcher. Workflows
 * start on a task queue no worker polls: this test is about who may call what.
 */
const ROLES = [
  "anonymous",
  "unapproved",
  "approved",
  "other",
  "admin",
] as const;
type Role = (typeof ROLES)[number];
/** "skip": not called as this role (said why at the entry). */
type Outcome = "ok" | "skip" | TRPCError["code"];
type Expected = Record<Role, Outcome>;

const services = createApiServices({
  databaseUrl: inject("databaseUrl"),
  temporalAddress: inject("temporalAddress"),
  temporalNamespace: "default",
  platformTaskQueue: `authz-unpolled-${randomUUID()}`,
});
const db: Database = connectTestDatabase(inject("databaseUrl"));
const modelName = `authz-${randomUUID().slice(0, 6)}`;
const imported = JSON.parse(
  readFileSync(
    path.resolve(
      import.meta.dirname,
      "../../../models/facts/model.manifest.json",
    ),
    "utf8",
  ),
) as { manifest: unknown };
const base = manifestSchema.parse(imported.manifest);
const manifest = { ...base, model: { ...base.model, name: modelName } };
const lm = createModel<Envoy>(manifest);
const graph = (n = 0) =>
  lm.trace("The Louvre is located in the city of", () => {
    lm.transformer!.h![1]!.output[0]!.get(":", -1, 0).add(n).save("x");
  });

const users = {} as Record<Exclude<Role, "anonymous">, string>;
let counter = 0;

async function principal(role: Role): Promise<Principal | null> {
  return role === "anonymous" ? null : principalOfUser(db, users[role]);
}
const callerAs = async (role: Role) =>
  createCaller(createApiContext(services, await principal(role)));

/** Fixtures made fresh for each call, owned by the "approved" researcher. */
const fx = {
  async privateExperiment() {
    const caller = await callerAs("approved");
    return caller.experiments.create({
      title: `private ${++counter}`,
      visibility: "private",
      initial: { model: modelName, graph: graph(counter), message: "v1" },
    });
  },
  async privateRun(completed: boolean) {
    const runId = randomUUID();
    await requestRun(db, {
      runId,
      userId: users.approved,
      model: modelName,
      modelHash: manifest.model.hash ?? "",
      graph: { json: "{}", types: {} },
      graphHash: `sha256:${runId}`,
      experiment: null,
      requestId: null,
      estimatedSeconds: 0.001,
    });
    if (completed) {
      const stored = await putResult(
        db,
        new TextEncoder().encode(`result ${runId}`),
      );
      await finishRun(db, runId, {
        status: "completed",
        resultHash: stored.hash,
        resultBytes: stored.byteSize,
        metrics: {
          batchId: "b",
          forwardPasses: 1,
          batchRows: 1,
          runRows: 1,
          computeSeconds: 0,
        },
      });
    }
    return runId;
  },
  async pendingApplicant() {
    const { userId } = await createPasswordAccount(db, {
      email: `applicant-${++counter}@loupe.test`,
      name: "Applicant",
      password: "a-long-password",
    });
    await createCaller(
      createApiContext(services, await principalOfUser(db, userId)),
    ).applications.submit({
      affiliation: "Lab",
      purpose: "to study the models",
    });
    return userId;
  },
  async key() {
    return (await callerAs("approved")).keys.create({ name: `k${++counter}` });
  },
};

const onlyOwner = (others: Outcome): Expected => ({
  anonymous: others === "NOT_FOUND" ? "NOT_FOUND" : "UNAUTHORIZED",
  unapproved: others,
  approved: "ok",
  other: others,
  admin: "ok",
});
const everyone: Expected = {
  anonymous: "ok",
  unapproved: "ok",
  approved: "ok",
  other: "ok",
  admin: "ok",
};
const signedIn: Expected = { ...everyone, anonymous: "UNAUTHORIZED" };
const approvedOnly: Expected = { ...signedIn, unapproved: "FORBIDDEN" };
const adminOnly: Expected = {
  anonymous: "UNAUTHORIZED",
  unapproved: "FORBIDDEN",
  approved: "FORBIDDEN",
  other: "FORBIDDEN",
  admin: "ok",
};

/** A read of a fresh private experiment of the owner, with `extra` input. */
const readsPrivateExperiment = (
  extra: Record<string, unknown> = {},
): Case[] => [
  {
    input: async () => ({
      experimentId: (await fx.privateExperiment()).experimentId,
      ...extra,
    }),
    expect: onlyOwner("NOT_FOUND"),
  },
];

interface Case {
  readonly label?: string;
  readonly input: (role: Role) => unknown;
  readonly expect: Expected;
}

const MATRIX: Record<string, Case[]> = {
  "system.health": [{ input: () => undefined, expect: everyone }],
  "system.probe": [
    // Admins get through to Temporal (no worker polls the probe's queue here,
    // so their call is cut short by the test's timeout, not by authorization).
    {
      input: () => ({ note: "authz" }),
      expect: { ...adminOnly, admin: "skip" },
    },
  ],
  "system.recentEvents": [{ input: () => ({ limit: 5 }), expect: adminOnly }],
  "account.signUp": [
    {
      input: () => ({
        email: `new-${++counter}@loupe.test`,
        name: "New",
        password: "a-long-password",
      }),
      expect: everyone,
    },
  ],
  // Each caller resets its own password (its sessions and keys end; the
  // matrix's principals are read from the accounts, not from sessions).
  "account.resetPassword": [
    { input: () => ({ newPassword: "a-new-long-password" }), expect: signedIn },
  ],
  "account.me": [{ input: () => undefined, expect: signedIn }],
  "applications.submit": [
    {
      input: () => ({ affiliation: "Lab", purpose: "to study the models" }),
      expect: {
        anonymous: "UNAUTHORIZED",
        unapproved: "ok",
        approved: "CONFLICT",
        other: "CONFLICT",
        admin: "CONFLICT",
      },
    },
  ],
  "applications.pending": [{ input: () => undefined, expect: adminOnly }],
  "applications.review": [
    {
      input: async () => ({
        userId: await fx.pendingApplicant(),
        decision: "approve",
      }),
      expect: adminOnly,
    },
  ],
  "keys.create": [{ input: () => ({ name: "script" }), expect: signedIn }],
  "keys.list": [{ input: () => undefined, expect: signedIn }],
  "keys.revoke": [
    {
      input: async () => ({ keyId: (await fx.key()).keyId }),
      expect: {
        ...onlyOwner("NOT_FOUND"),
        anonymous: "UNAUTHORIZED",
        admin: "NOT_FOUND",
      },
    },
  ],
  "admin.accounts": [{ input: () => undefined, expect: adminOnly }],
  "admin.disableAccount": [
    {
      input: async () => ({
        userId: await fx.pendingApplicant(),
        reason: "authz",
      }),
      expect: adminOnly,
    },
  ],
  "admin.apiKeys": [
    { input: () => ({ userId: users.approved }), expect: adminOnly },
  ],
  "admin.revokeApiKeys": [
    {
      input: async () => ({
        userId: users.approved,
        keyId: (await fx.key()).keyId,
      }),
      expect: adminOnly,
    },
  ],
  "admin.enableAccount": [
    {
      input: async () => ({ userId: await fx.pendingApplicant() }),
      expect: adminOnly,
    },
  ],
  "admin.setQuota": [
    {
      input: () => ({
        userId: users.other,
        computeSecondsPerDay: 100,
        maxConcurrentRuns: 100,
        maxRunsPerDay: 1000,
        maxResultBytes: 1e9,
      }),
      expect: adminOnly,
    },
  ],
  "admin.usage": [{ input: () => ({}), expect: adminOnly }],
  "admin.usageHistory": [{ input: () => ({}), expect: adminOnly }],
  "admin.workers": [{ input: () => undefined, expect: adminOnly }],
  "models.list": [{ input: () => undefined, expect: everyone }],
  "models.manifest": [
    { input: () => ({ model: modelName }), expect: everyone },
  ],
  "models.hosting": [{ input: () => ({ model: modelName }), expect: everyone }],
  "models.host": [
    {
      input: () => ({
        name: `hosted-${++counter}`,
        source: "/models/hosted/model.onnx",
      }),
      expect: adminOnly,
    },
  ],
  "models.unhost": [
    {
      input: async () => {
        const name = `unhosted-${++counter}`;
        await requestModelHosting(db, {
          name,
          source: { kind: "path", path: "/models/unhosted/model.onnx" },
          by: users.admin,
        });
        return { name };
      },
      expect: adminOnly,
    },
  ],
  "experiments.create": [
    { input: () => ({ title: "mine" }), expect: approvedOnly },
  ],
  "experiments.commitVersion": [
    {
      input: async () => ({
        experimentId: (await fx.privateExperiment()).experimentId,
        expectedVersion: 1,
        model: modelName,
        graph: graph(999),
      }),
      expect: {
        anonymous: "UNAUTHORIZED",
        unapproved: "FORBIDDEN",
        approved: "ok",
        other: "NOT_FOUND",
        admin: "FORBIDDEN",
      },
    },
  ],
  "experiments.fork": [
    {
      input: async () => ({
        experimentId: (await fx.privateExperiment()).experimentId,
        version: 1,
      }),
      expect: {
        anonymous: "UNAUTHORIZED",
        unapproved: "FORBIDDEN",
        approved: "ok",
        other: "NOT_FOUND",
        admin: "ok",
      },
    },
  ],
  "experiments.get": readsPrivateExperiment(),
  "experiments.version": readsPrivateExperiment({ version: 1 }),
  "experiments.history": readsPrivateExperiment(),
  "experiments.diff": readsPrivateExperiment({ from: 1, to: 1 }),
  "experiments.gallery": [{ input: () => ({}), expect: everyone }],
  "experiments.runs": readsPrivateExperiment(),
  "experiments.describe": [
    {
      input: async () => ({
        experimentId: (await fx.privateExperiment()).experimentId,
        title: "renamed",
        description: "**new**",
        tags: ["patching"],
        license: "MIT",
      }),
      expect: {
        anonymous: "UNAUTHORIZED",
        unapproved: "NOT_FOUND",
        approved: "ok",
        other: "NOT_FOUND",
        admin: "FORBIDDEN",
      },
    },
  ],
  "experiments.mine": [{ input: () => undefined, expect: signedIn }],
  "experiments.star": [
    {
      input: async () => ({
        experimentId: (await fx.privateExperiment()).experimentId,
        starred: true,
      }),
      expect: { ...onlyOwner("NOT_FOUND"), anonymous: "UNAUTHORIZED" },
    },
  ],
  "experiments.resolve": [
    {
      label: "a private experiment's short id",
      input: async () => ({
        id: (await fx.privateExperiment()).experimentId.slice(0, 8),
      }),
      expect: onlyOwner("NOT_FOUND"),
    },
  ],
  "experiments.setVisibility": [
    {
      input: async () => ({
        experimentId: (await fx.privateExperiment()).experimentId,
        visibility: "unlisted",
      }),
      expect: {
        anonymous: "UNAUTHORIZED",
        unapproved: "NOT_FOUND",
        approved: "ok",
        other: "NOT_FOUND",
        admin: "FORBIDDEN",
      },
    },
  ],
  "runs.submit": [
    {
      label: "an ad-hoc graph",
      input: () => ({
        model: modelName,
        graph: graph(++counter),
        reuse: false,
      }),
      expect: approvedOnly,
    },
    {
      label: "a private experiment's version",
      input: async () => ({
        experimentId: (await fx.privateExperiment()).experimentId,
        version: 1,
        reuse: false,
      }),
      expect: {
        anonymous: "UNAUTHORIZED",
        unapproved: "FORBIDDEN",
        approved: "ok",
        other: "NOT_FOUND",
        admin: "ok",
      },
    },
  ],
  "runs.status": [
    {
      input: async () => ({ runId: await fx.privateRun(true) }),
      expect: onlyOwner("NOT_FOUND"),
    },
  ],
  "runs.graph": [
    {
      input: async () => ({ runId: await fx.privateRun(true) }),
      expect: onlyOwner("NOT_FOUND"),
    },
  ],
  "runs.list": [{ input: () => ({}), expect: signedIn }],
  "runs.resolve": [
    {
      label: "a private run's short id",
      input: async () => ({ id: (await fx.privateRun(true)).slice(0, 8) }),
      expect: onlyOwner("NOT_FOUND"),
    },
  ],
  "runs.cancel": [
    {
      input: async () => ({ runId: await fx.privateRun(false) }),
      expect: { ...onlyOwner("NOT_FOUND"), anonymous: "UNAUTHORIZED" },
    },
  ],
};

/** The result download route's check (not a procedure, same rules as runs.status). */
const DOWNLOAD: Expected = onlyOwner("NOT_FOUND");

async function outcomeOf(call: () => Promise<unknown>): Promise<Outcome> {
  try {
    await call();
    return "ok";
  } catch (error) {
    if (error instanceof TRPCError) return error.code;
    throw error;
  }
}

beforeAll(async () => {
  await truncateAll(db);
  users.admin = (
    await seedAdmin(db, {
      email: "admin@loupe.test",
      password: "admin-password",
    })
  ).userId;
  for (const role of ["unapproved", "approved", "other"] as const)
    users[role] = (
      await createPasswordAccount(db, {
        email: `${role}@loupe.test`,
        name: role,
        password: "a-long-password",
      })
    ).userId;
  const admin = await callerAs("admin");
  for (const role of ["approved", "other"] as const) {
    await (
      await callerAs(role)
    ).applications.submit({
      affiliation: "Lab",
      purpose: "to study the models",
    });
    await admin.applications.review({
      userId: users[role],
      decision: "approve",
      quota: {
        computeSecondsPerDay: 1e6,
        maxConcurrentRuns: 1000,
        maxRunsPerDay: 10_000,
        maxResultBytes: 1e9,
      },
    });
  }
  await registerModel(db, {
    name: modelName,
    hash: manifest.model.hash ?? modelName,
    manifest: manifest,
    secondsPerToken: 1e-4,
    tokenizerHash: null,
  });
});
afterAll(async () => {
  await services.close();
  await db.$disconnect();
});

const procedures = Object.keys(appRouter._def.procedures).sort();

describe("authorization matrix", () => {
  it("has an entry for every procedure of the router, and none for a procedure that does not exist", () => {
    expect(procedures.filter((p) => !(p in MATRIX))).toEqual([]);
    expect(Object.keys(MATRIX).filter((p) => !procedures.includes(p))).toEqual(
      [],
    );
  });

  for (const procedure of procedures)
    for (const c of MATRIX[procedure] ?? [])
      it(`${procedure}${c.label ? ` (${c.label})` : ""}`, async () => {
        const seen: Partial<Record<Role, Outcome>> = {};
        for (const role of ROLES) {
          if (c.expect[role] === "skip") continue;
          const input = await c.input(role);
          const caller = (await callerAs(role)) as unknown as Record<
            string,
            Record<string, (i: unknown) => Promise<unknown>>
          >;
          const [ns, name] = procedure.split(".") as [string, string];
          seen[role] = await outcomeOf(() => caller[ns]![name]!(input));
        }
        const wanted = Object.fromEntries(
          ROLES.filter((r) => c.expect[r] !== "skip").map((r) => [
            r,
            c.expect[r],
          ]),
        );
        expect(seen).toEqual(wanted);
      });

  it("result downloads (by run, never by hash) follow the same rules as run status", async () => {
    const runId = await fx.privateRun(true);
    const seen: Partial<Record<Role, Outcome>> = {};
    for (const role of ROLES)
      seen[role] = await outcomeOf(async () => {
        const result = await openRunResult(
          db,
          services.results,
          await principal(role),
          runId,
        );
        for await (const _ of result.chunks);
      });
    expect(seen).toEqual(DOWNLOAD);
  });
});

describe("API keys", () => {
  it("host models only as an administrator's key with models:host, which no key gets unless asked for", async () => {
    const admin = await callerAs("admin");
    const host = (key: string) =>
      outcomeOf(async () =>
        createCaller(
          createApiContext(services, await principalOfApiKey(db, key)),
        ).models.host({
          name: `keyed-${++counter}`,
          source: "s3://loupe-models/keyed/model.onnx",
        }),
      );
    const plain = await admin.keys.create({ name: "admin default" });
    expect(plain.scopes).not.toContain("models:host");
    expect(await host(plain.key)).toBe("FORBIDDEN");
    const hosting = await admin.keys.create({
      name: "admin hosting",
      scopes: ["models:host"],
    });
    expect(await host(hosting.key)).toBe("ok");
  });

  it("act as their account within their scopes, never mint keys, and stop working when revoked", async () => {
    const owner = await callerAs("approved");
    const readOnly = await owner.keys.create({
      name: "read only",
      scopes: ["runs:read", "experiments:read"],
    });
    expect(readOnly.key).toMatch(/^loupe_[0-9a-f]{8}_/);
    expect(readOnly.key.startsWith(readOnly.prefix)).toBe(true);
    // Only the hash is stored.
    const stored = await db.apiKey.findUniqueOrThrow({
      where: { id: readOnly.keyId },
    });
    expect(stored.hash).not.toContain(readOnly.key.slice(15));
    const log = JSON.stringify(await db.event.findMany(), (_, v: unknown) =>
      typeof v === "bigint" ? v.toString() : v,
    );
    expect(log).not.toContain(readOnly.key);
    const viaKey = createCaller(
      createApiContext(services, await principalOfApiKey(db, readOnly.key)),
    );
    expect((await viaKey.account.me()).via).toBe("api-key");
    await viaKey.runs.list({});
    expect(
      await outcomeOf(() =>
        viaKey.runs.submit({ model: modelName, graph: graph(12345) }),
      ),
    ).toBe("FORBIDDEN");
    expect(
      await outcomeOf(() => viaKey.keys.create({ name: "escalate" })),
    ).toBe("FORBIDDEN");
    expect(
      await outcomeOf(() =>
        owner.keys.create({ name: "host", scopes: ["models:host"] }),
      ),
    ).toBe("FORBIDDEN");
    await owner.keys.revoke({ keyId: readOnly.keyId });
    expect(await principalOfApiKey(db, readOnly.key)).toBeNull();
    expect(await principalOfApiKey(db, `${readOnly.key}x`)).toBeNull();
  });
});
