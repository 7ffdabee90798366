import fs from "node:fs";
import path from "node:path";
import {
  createApiContext,
  createApiServices,
  createCaller,
  DEFAULT_API_KEY_SCOPES,
  principalOfUser,
  seedAdmin,
} from "@loupe/api";
import { bringUp, resolveStackConfig } from "@loupe/stack";

const root = path.resolve(import.meta.dirname, "..", "..");

/** How the worker forms batches: Loupe's default windows, or one run per forward pass. */
export type BatchingPolicy = "on" | "off";

/**
 * The worker's batching settings per policy. "off" is the policy NDIF runs
 * today, one request at a time per model replica: the same build with a batch
 * of one row (LOUPE_BATCH_MAX_ROWS=1) and nothing else changed.
 */
const BATCHING_ENV: Record<BatchingPolicy, Record<string, string>> = {
  on: {},
  off: { LOUPE_BATCH_MAX_ROWS: "1" },
};

/** A whole Loupe for the platform benchmarks, with a key for its administrator. */
export interface BenchStack {
  readonly webUrl: string;
  readonly apiKey: string;
  readonly databaseUrl: string;
  /** The worker's process, for its peak memory. */
  readonly workerPid: number;
  /** The root process of each part (the clients are this process), for CPU accounting. */
  readonly parts: Readonly<Record<string, number>>;
  stop(): Promise<void>;
}

/**
 * Brings up PostgreSQL, Temporal, the worker (hosting `modelFile` and the
 * bundled model, models/facts) and the
 * built web app on ports of their own (LOUPE_HOME .loupe/bench), from a fresh
 * database; gives the administrator a quota no benchmark reaches and an API
 * key, through the API as the portal would.
 */
export async function bringUpBenchStack(options: {
  /** A model the worker hosts from its start, beside the bundled model (none: the bundled model only). */
  modelFile?: string;
  batching: BatchingPolicy;
  /** Give the administrator's key the models:host scope too (hosting while the stack runs). */
  hostScope?: boolean;
  /** The worker's LOUPE_WORKER_MEMORY_BYTES (none: no budget). */
  workerMemoryBytes?: number;
  log: (line: string) => void;
}): Promise<BenchStack> {
  const env = {
    ...process.env,
    DATABASE_URL: undefined,
    TEMPORAL_ADDRESS: undefined,
    LOUPE_HOME: path.join(root, ".loupe", "bench"),
    LOUPE_PG_PORT: "54350",
    LOUPE_TEMPORAL_PORT: "7273",
    LOUPE_WEB_PORT: "3150",
  };
  const config = resolveStackConfig("test", env, root);
  const stack = await bringUp(config, {
    apps: true,
    fastPostgres: true,
    freshDatabase: true,
    workerEnv: {
      LOUPE_MODELS: [
        ...(options.modelFile === undefined ? [] : [options.modelFile]),
        path.join(root, "models", "facts", "model.onnx"),
      ].join(","),
      ...(options.workerMemoryBytes === undefined
        ? {}
        : { LOUPE_WORKER_MEMORY_BYTES: String(options.workerMemoryBytes) }),
      ...BATCHING_ENV[options.batching],
    },
    log: options.log,
  });
  try {
    const services = createApiServices({
      databaseUrl: stack.databaseUrl,
      temporalAddress: stack.temporalAddress,
      temporalNamespace: config.temporal.namespace,
    });
    try {
      const { userId } = await seedAdmin(services.db, stack.seeded!.admin);
      const admin = createCaller(
        createApiContext(services, await principalOfUser(services.db, userId)),
      );
      await admin.admin.setQuota({
        userId,
        computeSecondsPerDay: 86_400 * 1000,
        maxConcurrentRuns: 100_000,
        maxRunsPerDay: 10_000_000,
        maxResultBytes: 2 ** 40,
      });
      const { key } = await admin.keys.create({
        name: "bench",
        ...(options.hostScope && {
          scopes: [...DEFAULT_API_KEY_SCOPES, "models:host" as const],
        }),
      });
      const pid = (name: string) => stack.processes().get(name)!.pid;
      return {
        webUrl: stack.webUrl!,
        apiKey: key,
        databaseUrl: stack.databaseUrl,
        workerPid: pid("worker"),
        parts: {
          "web app (API)": pid("web"),
          worker: pid("worker"),
          Temporal: pid("temporal"),
          PostgreSQL: postmasterPid(config),
          "clients (SDK)": process.pid,
        },
        stop: () => stack.stop(),
      };
    } finally {
      await services.close();
    }
  } catch (error) {
    await stack.stop();
    throw error;
  }
}

/** The PostgreSQL server's pid, from its data folder's postmaster.pid. */
function postmasterPid(config: ReturnType<typeof resolveStackConfig>): number {
  if (config.postgres.kind !== "managed") return -1;
  const file = path.join(config.postgres.dataDir, "postmaster.pid");
  return Number(fs.readFileSync(file, "utf8").split("\n")[0]);
}
