import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import {
  createApiContext,
  createApiServices,
  createCaller,
  createPasswordAccount,
  principalOfUser,
  seedAdmin,
  type ApiServices,
  type Principal,
} from "@loupe/api";
import { readResultChunks, type Database, type RunLimits } from "@loupe/db";
import { fromSafetensors } from "@loupe/graph";
import { createModel, manifestSchema, type Envoy } from "@loupe/graph";
import { batchWorkflowId } from "@loupe/workflows";
import { Client, Connection, type WorkflowHandle } from "@temporalio/client";
import { TRPCError } from "@trpc/server";

/** The bundled model's files. */
export const MODEL_DIR = path.resolve(
  import.meta.dirname,
  "..",
  "..",
  "..",
  "..",
  "models",
  "facts",
);

/** The bundled model's manifest, renamed so a test's task queue is its own. */
export function bundledModel(name: string) {
  const imported = JSON.parse(
    readFileSync(path.join(MODEL_DIR, "model.manifest.json"), "utf8"),
  ) as { manifest: unknown };
  const manifest = manifestSchema.parse(imported.manifest);
  const renamed = { ...manifest, model: { ...manifest.model, name } };
  return {
    manifest: renamed,
    onnx: new Uint8Array(readFileSync(path.join(MODEL_DIR, "model.onnx"))),
    tokenizer: JSON.parse(
      readFileSync(path.join(MODEL_DIR, "tokenizer.json"), "utf8"),
    ) as unknown,
    lm: createModel<Envoy>(renamed),
  };
}

export type Caller = ReturnType<typeof createCaller>;

/** The statuses a run ends with. */
const TERMINAL_STATUSES = new Set(["completed", "failed", "cancelled"]);

/**
 * The API as the portal and the SDK reach it, for tests: real services
 * (PostgreSQL, Temporal), callers acting as given accounts.
 */
export class PlatformFixture {
  private constructor(
    readonly services: ApiServices,
    readonly temporal: { client: Client; connection: Connection },
    readonly admin: { userId: string; caller: Caller },
  ) {}

  static async start(options: {
    databaseUrl: string;
    temporalAddress: string;
    platformTaskQueue: string;
  }): Promise<PlatformFixture> {
    const services = createApiServices({
      databaseUrl: options.databaseUrl,
      temporalAddress: options.temporalAddress,
      temporalNamespace: "default",
      platformTaskQueue: options.platformTaskQueue,
    });
    const connection = await Connection.connect({
      address: options.temporalAddress,
    });
    const { userId } = await seedAdmin(services.db, {
      email: "admin@loupe.test",
      password: "admin-password-1",
    });
    const fixture = new PlatformFixture(
      services,
      { client: new Client({ connection }), connection },
      { userId, caller: null as unknown as Caller },
    );
    (fixture.admin as { caller: Caller }).caller =
      await fixture.callerOf(userId);
    return fixture;
  }

  get db(): Database {
    return this.services.db;
  }

  async callerOf(userId: string | null): Promise<Caller> {
    const principal: Principal | null = userId
      ? await principalOfUser(this.db, userId)
      : null;
    return createCaller(createApiContext(this.services, principal));
  }

  /** A researcher whose application was approved with `quota` (default quota otherwise). */
  async approvedUser(
    name: string,
    quota?: {
      computeSecondsPerDay: number;
      maxConcurrentRuns: number;
      maxRunsPerDay: number;
      maxResultBytes: number;
    } & Partial<RunLimits>,
  ): Promise<{ userId: string; caller: Caller }> {
    const { userId } = await createPasswordAccount(this.db, {
      email: `${name}-${randomUUID().slice(0, 6)}@loupe.test`,
      name,
      password: "a-long-password",
    });
    await (
      await this.callerOf(userId)
    ).applications.submit({
      affiliation: "Loupe tests",
      purpose: "integration tests of the platform",
    });
    await this.admin.caller.applications.review({
      userId,
      decision: "approve",
      ...(quota ? { quota } : {}),
    });
    return { userId, caller: await this.callerOf(userId) };
  }

  /**
   * Waits for a run to end (completed, failed or cancelled: its status in
   * PostgreSQL, through the API's long poll, as the SDK waits), then returns
   * its status. Fails naming the run and where it stood after `ms`.
   */
  async settled(caller: Caller, runId: string, ms = 180_000) {
    const deadline = Date.now() + ms;
    let status = await caller.runs.status({ runId });
    while (!TERMINAL_STATUSES.has(status.status)) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `run ${runId} did not end within ${ms} ms: it is ${status.status}`,
        );
      status = await caller.runs.status({
        runId,
        until: "ended",
        waitMs: Math.min(20_000, left),
      });
    }
    return status;
  }

  /**
   * The workflow of the batch a run was claimed into (its batch id is the
   * run's row's), once that workflow has ended.
   */
  async batchOf(runId: string): Promise<WorkflowHandle> {
    const run = await this.db.run.findUniqueOrThrow({ where: { id: runId } });
    if (!run.batchId)
      throw new Error(
        `run ${runId} was never claimed into a batch (it is ${run.status})`,
      );
    const handle = this.temporal.client.workflow.getHandle(
      batchWorkflowId(run.batchId),
    );
    await handle.result();
    return handle;
  }

  /** A run's stored result, decoded from safetensors. */
  async resultOf(runId: string) {
    const run = await this.db.run.findUniqueOrThrow({ where: { id: runId } });
    const parts: Uint8Array[] = [];
    for await (const part of readResultChunks(this.db, run.resultHash!))
      parts.push(part);
    return fromSafetensors(Buffer.concat(parts)).tensors;
  }

  async close(): Promise<void> {
    await this.temporal.connection.close();
    await this.services.close();
  }
}

/** Largest absolute difference of two arrays of numbers. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let j = 0; j < b.length; j++)
    max = Math.max(max, Math.abs(a[j]! - b[j]!));
  return a.length === b.length ? max : Infinity;
}

/** The API error a call fails with (throws if it succeeds or fails otherwise). */
export async function apiFailure(
  call: Promise<unknown>,
): Promise<TRPCError & { loupe?: Record<string, unknown> }> {
  try {
    await call;
  } catch (error) {
    if (error instanceof TRPCError) return error;
    throw error;
  }
  throw new Error("expected the call to fail with an API error");
}
