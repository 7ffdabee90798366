import path from "node:path";
import { spawnManaged, type ManagedProcess } from "./managed-process.ts";

/** Where the apps' services are and how they are configured. */
export interface AppsEnv {
  readonly repoRoot: string;
  readonly logsDir: string;
  readonly databaseUrl: string;
  readonly temporalAddress: string;
  readonly temporalNamespace: string;
  /** Auth.js's session key (see loadStackSecrets). */
  readonly authSecret: string;
  /** Where the web app writes the emails it would send (sign-in links): no mail server here. */
  readonly outboxDir: string;
  /** Extra environment for the worker (e.g. LOUPE_MODELS, LOUPE_BATCH_*). */
  readonly workerEnv?: Readonly<Record<string, string>>;
}

function serviceEnv(
  apps: AppsEnv,
  extra: Record<string, string> = {},
): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATABASE_URL: apps.databaseUrl,
    TEMPORAL_ADDRESS: apps.temporalAddress,
    TEMPORAL_NAMESPACE: apps.temporalNamespace,
    NEXT_TELEMETRY_DISABLED: "1",
    ...extra,
  };
}

/** Starts the Temporal worker (apps/worker) with the stack's services. */
export function startWorker(apps: AppsEnv, name = "worker"): ManagedProcess {
  // One process (node with tsx's loader), not the tsx CLI, which forks a child:
  // signals then reach the worker once, and the worker is the process we wait for.
  return spawnManaged(
    name,
    process.execPath,
    ["--import", "tsx", "src/main.ts"],
    {
      cwd: path.join(apps.repoRoot, "apps", "worker"),
      // The bundled model (models/facts), unless the environment names others.
      env: serviceEnv(apps, {
        LOUPE_MODELS:
          process.env.LOUPE_MODELS ??
          path.join(apps.repoRoot, "models", "facts", "model.onnx"),
        ...apps.workerEnv,
      }),
      logsDir: apps.logsDir,
    },
  );
}

/** Starts the production build of the web app (apps/web) on `port`. */
export function startWeb(apps: AppsEnv, port: number): ManagedProcess {
  const next = path.join(apps.repoRoot, "node_modules", ".bin", "next");
  return spawnManaged("web", next, ["start", "--port", String(port)], {
    cwd: path.join(apps.repoRoot, "apps", "web"),
    env: serviceEnv(apps, {
      PORT: String(port),
      AUTH_SECRET: apps.authSecret,
      LOUPE_OUTBOX_DIR: apps.outboxDir,
    }),
    logsDir: apps.logsDir,
  });
}
