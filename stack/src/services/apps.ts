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

/**
 * glibc allocator settings of worker processes: fixed thresholds, so memory
 * a model's engine frees (large buffers, the top of a thread's arena) goes
 * back to the system at once instead of staying with the process after the
 * model is unhosted (apps/worker/README.md, "Hosting while Loupe runs").
 */
export const WORKER_MALLOC_ENV: Readonly<Record<string, string>> = {
  MALLOC_MMAP_THRESHOLD_: "131072",
  MALLOC_TRIM_THRESHOLD_: "131072",
};

/**
 * The models `npm start` hosts unless LOUPE_MODELS names others: the bundled
 * facts model and all-MiniLM-L6-v2 (ONNX paths, comma-separated, as the
 * worker reads LOUPE_MODELS).
 */
function defaultModels(repoRoot: string): string {
  return ["facts", "minilm"]
    .map((folder) => path.join(repoRoot, "models", folder, "model.onnx"))
    .join(",");
}

/** Starts the Temporal worker (apps/worker) with the stack's services. */
export function startWorker(apps: AppsEnv, name = "worker"): ManagedProcess {
  // One process (node with tsx's loader), not the tsx CLI, which forks a child:
  // signals then reach the worker once, and the worker is the process we wait for.
  // --expose-gc: an unhosted model's main-thread garbage is collected at once.
  return spawnManaged(
    name,
    process.execPath,
    ["--expose-gc", "--import", "tsx", "src/main.ts"],
    {
      cwd: path.join(apps.repoRoot, "apps", "worker"),
      // The bundled models (models/facts, and models/minilm: the real
      // all-MiniLM-L6-v2), unless the environment names others; and every
      // model an administrator hosts while the stack runs.
      env: serviceEnv(apps, {
        ...WORKER_MALLOC_ENV,
        LOUPE_MODELS: process.env.LOUPE_MODELS ?? defaultModels(apps.repoRoot),
        LOUPE_HOSTING: process.env.LOUPE_HOSTING ?? "all",
        LOUPE_MODEL_CACHE_DIR:
          process.env.LOUPE_MODEL_CACHE_DIR ??
          path.join(path.dirname(apps.logsDir), "models"),
        LOUPE_WEIGHTS_DIR:
          process.env.LOUPE_WEIGHTS_DIR ??
          path.join(path.dirname(apps.logsDir), "weights"),
        ...apps.workerEnv,
      }),
      logsDir: apps.logsDir,
    },
  );
}

/**
 * Starts the production build of the web app (apps/web) on `port`: its
 * server.ts (the API, then Next.js), in one node process as the worker is.
 */
export function startWeb(apps: AppsEnv, port: number): ManagedProcess {
  return spawnManaged(
    "web",
    process.execPath,
    ["--import", "tsx", "server.ts"],
    {
      cwd: path.join(apps.repoRoot, "apps", "web"),
      env: serviceEnv(apps, {
        PORT: String(port),
        AUTH_SECRET: apps.authSecret,
        LOUPE_OUTBOX_DIR: apps.outboxDir,
      }),
      logsDir: apps.logsDir,
    },
  );
}
