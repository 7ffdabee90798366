import path from "node:path";
import {
  databaseUrlOf,
  temporalAddressOf,
  type StackConfig,
} from "./config.ts";
import { startWeb, startWorker, type AppsEnv } from "./services/apps.ts";
import { isPlatformHealthy } from "./services/health.ts";
import { loadStackSecrets } from "./services/secrets.ts";
import { seedPlatform, type SeedReport } from "./services/seed.ts";
import { tailOf, type ManagedProcess } from "./services/managed-process.ts";
import { applyMigrations } from "./services/migrations.ts";
import { startPostgres, type PostgresHandle } from "./services/postgres.ts";
import { startTemporal } from "./services/temporal.ts";
import { recreateDatabase } from "./services/test-database.ts";
import { isPortOpen, WaitAbortedError, waitFor } from "./services/wait-for.ts";

/** The services a stack runs: the data services, and optionally the apps. */
export interface BringUpOptions {
  /** Start the worker and the web app too (the web app must be built). */
  readonly apps: boolean;
  /** Trade PostgreSQL durability for speed (tests). */
  readonly fastPostgres?: boolean;
  /** Drop and re-create the database before migrating (tests start from nothing). */
  readonly freshDatabase?: boolean;
  /** Extra environment for the worker: the models it hosts, its batching windows. */
  readonly workerEnv?: Readonly<Record<string, string>>;
  /** Aborting (Ctrl-C while starting) stops what was started, then rejects. */
  readonly signal?: AbortSignal;
  readonly log?: (line: string) => void;
}

/** The apps a stack can restart on their own: the worker and the web app. */
export type AppName = "worker" | "web";

/** A running stack and the means to stop it, or to stop and restart Temporal. */
export interface RunningStack {
  readonly databaseUrl: string;
  readonly temporalAddress: string;
  readonly webUrl: string | undefined;
  /** With apps: the seeded administrator's sign-in and the demo experiment. */
  readonly seeded: SeedReport | undefined;
  /** Where the web app writes the emails it sends (sign-in links). */
  readonly outboxDir: string;
  /** The managed processes by name, for state files and leak checks. */
  processes(): ReadonlyMap<string, ManagedProcess>;
  /** The managed PostgreSQL server's pid; undefined with an external one. */
  readonly postgresPid: number | undefined;
  /**
   * Stops what is left of the worker or the web app (its process group) and
   * starts it again with the same settings; rejects once `stop` has begun.
   */
  restartApp(name: AppName): Promise<ManagedProcess>;
  stopTemporal(): Promise<void>;
  startTemporal(): Promise<void>;
  /** Stops everything this stack started, apps first, PostgreSQL last. */
  stop(): Promise<void>;
}

/**
 * Starts the stack described by `config`: PostgreSQL (migrated), Temporal, and
 * with `apps` the worker and the web app, waiting until the web app reports every
 * part healthy. On any failure it stops what it had started, then throws.
 */
export async function bringUp(
  config: StackConfig,
  options: BringUpOptions,
): Promise<RunningStack> {
  const log = options.log ?? (() => undefined);
  const checkpoint = () => options.signal?.throwIfAborted();
  const processes = new Map<string, ManagedProcess>();
  let postgres: PostgresHandle | undefined;
  let appsEnv: AppsEnv | undefined;
  let stopping = false;

  const startManagedTemporal = async () => {
    if (config.temporal.kind !== "managed")
      throw new Error(
        "Temporal is external (TEMPORAL_ADDRESS): the stack does not manage it",
      );
    processes.set(
      "temporal",
      await startTemporal(config.temporal, {
        logsDir: config.logsDir,
        cwd: config.repoRoot,
      }),
    );
  };
  const startApp = (apps: AppsEnv, name: AppName) =>
    name === "worker" ? startWorker(apps) : startWeb(apps, config.web.port);
  const stopAll = async () => {
    // No restart may start an app once stopping has begun (see restartApp).
    stopping = true;
    for (const name of ["web", "worker", "temporal"]) {
      await processes.get(name)?.stop();
      processes.delete(name);
    }
    await postgres?.stop();
  };

  try {
    if (config.postgres.kind === "managed") {
      log(`starting PostgreSQL on port ${config.postgres.port}`);
      postgres = await startPostgres(config.postgres, {
        logsDir: config.logsDir,
        fast: options.fastPostgres ?? false,
      });
    }
    checkpoint();
    const databaseUrl = databaseUrlOf(config);
    if (options.freshDatabase) await recreateDatabase(databaseUrl);
    log("applying migrations");
    applyMigrations(config.repoRoot, databaseUrl);

    checkpoint();
    if (config.temporal.kind === "managed") {
      log(`starting Temporal on port ${config.temporal.port}`);
      await startManagedTemporal();
    }
    const temporalAddress = temporalAddressOf(config);
    let webUrl: string | undefined;
    let seeded: SeedReport | undefined;
    const secrets = loadStackSecrets(config.home);

    checkpoint();
    if (options.apps) {
      if (await isPortOpen("127.0.0.1", config.web.port)) {
        throw new Error(
          `port ${config.web.port} is already in use: set LOUPE_WEB_PORT to a free port`,
        );
      }
      const apps: AppsEnv = {
        repoRoot: config.repoRoot,
        logsDir: config.logsDir,
        databaseUrl,
        temporalAddress,
        temporalNamespace: config.temporal.namespace,
        authSecret: secrets.authSecret,
        outboxDir: path.join(config.home, "outbox"),
        ...(options.workerEnv && { workerEnv: options.workerEnv }),
      };
      log("starting the worker and the web app");
      appsEnv = apps;
      for (const name of ["worker", "web"] as const)
        processes.set(name, startApp(apps, name));
      webUrl = `http://localhost:${config.web.port}`;
      const url = webUrl;
      await waitFor(
        "every part to report healthy",
        async () => {
          for (const name of ["worker", "web"]) {
            const p = processes.get(name)!;
            const code = await Promise.race([
              p.exited,
              Promise.resolve("running" as const),
            ]);
            if (code !== "running")
              throw new WaitAbortedError(
                `the ${name} exited with code ${code}:\n${tailOf(p.logFile)}`,
              );
          }
          return isPlatformHealthy(url);
        },
        { timeoutMs: 90_000, intervalMs: 500, signal: options.signal },
      );
      log("seeding the administrator and the demo experiment");
      seeded = await seedPlatform(apps, secrets.admin);
    }

    return {
      databaseUrl,
      temporalAddress,
      webUrl,
      seeded,
      outboxDir: path.join(config.home, "outbox"),
      processes: () => processes,
      postgresPid: postgres?.pid,
      async restartApp(name) {
        const apps = appsEnv;
        if (apps === undefined)
          throw new Error(
            `this stack runs no apps: cannot restart the ${name}`,
          );
        await processes.get(name)?.stop(5000);
        // Checked after the await: stop() may have begun meanwhile.
        if (stopping)
          throw new Error(`the stack is stopping: the ${name} stays stopped`);
        const app = startApp(apps, name);
        processes.set(name, app);
        return app;
      },
      async stopTemporal() {
        await processes.get("temporal")?.stop();
        processes.delete("temporal");
      },
      startTemporal: startManagedTemporal,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll().catch(() => undefined);
    throw error;
  }
}
