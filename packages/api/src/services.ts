import {
  createDatabase,
  createResultStorage,
  StreamWaiter,
  type Database,
  type ResultStorage,
  type ResultStorageSettings,
} from "@loupe/db";
import { Client, Connection } from "@temporalio/client";
import { DEFAULT_RATE_LIMITS, type RateLimits } from "./auth/rate-limit.ts";
import type { Mailer } from "./auth/mailer.ts";

export type { Mailer } from "./auth/mailer.ts";

/** Connection settings of the API's services; the app parses them from env. */
export interface ApiConfig {
  readonly databaseUrl: string;
  readonly temporalAddress: string;
  readonly temporalNamespace: string;
  /** The task queue run workflows start on (default PLATFORM_TASK_QUEUE; tests use their own). */
  readonly platformTaskQueue?: string;
  /** Where results are read from (default PostgreSQL; see resultStorageSettings). */
  readonly resultStorage?: ResultStorageSettings;
  /** Limits on sign-in, sign-up and sign-in links (default DEFAULT_RATE_LIMITS; see rateLimitSettings). */
  readonly rateLimits?: RateLimits;
  /** How account emails go out (sign-up to a taken address); absent: none do. */
  readonly mailer?: Mailer;
}

/** Long-lived clients the API's procedures use: one set per server process. */
export interface ApiServices {
  readonly db: Database;
  readonly temporal: {
    readonly connection: Connection;
    readonly client: Client;
    readonly address: string;
  };
  readonly runs: { readonly platformTaskQueue?: string };
  /** Wakes long polls (runs.status with waitMs) at their run's next event. */
  readonly streamWaiter: StreamWaiter;
  readonly results: ResultStorage;
  readonly rateLimits: RateLimits;
  readonly mailer?: Mailer;
  close(): Promise<void>;
}

/**
 * Creates the API's clients. The Temporal connection is lazy: the web app starts
 * (and its health page reports Temporal as down) while Temporal is unreachable,
 * and reconnects when it comes back.
 */
export function createApiServices(config: ApiConfig): ApiServices {
  const db = createDatabase(config.databaseUrl);
  const streamWaiter = new StreamWaiter(config.databaseUrl);
  const connection = Connection.lazy({ address: config.temporalAddress });
  const client = new Client({
    connection,
    namespace: config.temporalNamespace,
  });
  return {
    db,
    temporal: { connection, client, address: config.temporalAddress },
    results: createResultStorage(
      db,
      config.resultStorage ?? { kind: "postgres" },
    ),
    runs: config.platformTaskQueue
      ? { platformTaskQueue: config.platformTaskQueue }
      : {},
    streamWaiter,
    rateLimits: config.rateLimits ?? DEFAULT_RATE_LIMITS,
    ...(config.mailer ? { mailer: config.mailer } : {}),
    async close() {
      await streamWaiter.close();
      await connection.close();
      await db.$disconnect();
    },
  };
}
