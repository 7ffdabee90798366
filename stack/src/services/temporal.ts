import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {
  spawnManaged,
  tailOf,
  type ManagedProcess,
} from "./managed-process.ts";
import { isPortOpen, WaitAbortedError, waitFor } from "./wait-for.ts";

/**
 * The Temporal CLI version built for the dev server. v1.6+ carries `replace`
 * directives in its go.mod, so `go install` refuses it; v1.5.1 bundles Temporal
 * server 1.29 and is the newest that builds from the Go module proxy.
 */
export const TEMPORAL_CLI_MODULE =
  "github.com/temporalio/cli/cmd/temporal@v1.5.1";

/** Settings of a Temporal dev server that the stack runs itself. */
export interface ManagedTemporal {
  readonly port: number;
  readonly dbFile: string;
  readonly binary: string;
  readonly namespace: string;
  readonly ui: boolean;
}

/**
 * Makes sure the Temporal CLI binary exists, building it with `go install` into
 * its (git-ignored) folder on first use. The build takes a few minutes on a fresh
 * machine; later runs reuse the binary.
 */
export function ensureTemporalBinary(binary: string): void {
  if (fs.existsSync(binary)) return;
  const goBin =
    ["/usr/local/go/bin/go", "/usr/bin/go"].find((p) => fs.existsSync(p)) ??
    "go";
  console.log(
    `[stack] building the Temporal dev server (${TEMPORAL_CLI_MODULE}); first run only, a few minutes`,
  );
  const started = Date.now();
  const dir = path.dirname(binary);
  fs.mkdirSync(dir, { recursive: true });
  const result = spawnSync(goBin, ["install", TEMPORAL_CLI_MODULE], {
    env: {
      ...process.env,
      GOBIN: dir,
      GOFLAGS: "-buildvcs=false",
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (result.status !== 0 || !fs.existsSync(path.join(dir, "temporal"))) {
    throw new Error(
      `could not build the Temporal dev server with go install ${TEMPORAL_CLI_MODULE} (exit ${result.status}); set TEMPORAL_ADDRESS to use an existing Temporal server`,
    );
  }
  if (path.basename(binary) !== "temporal")
    fs.renameSync(path.join(dir, "temporal"), binary);
  console.log(
    `[stack] Temporal dev server built in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
}

/**
 * Starts `temporal server start-dev` (SQLite persistence in `dbFile`, no UI) on
 * 127.0.0.1 and waits until its frontend answers a health check.
 */
export async function startTemporal(
  settings: ManagedTemporal,
  { logsDir, cwd }: { logsDir: string; cwd: string },
): Promise<ManagedProcess> {
  ensureTemporalBinary(settings.binary);
  if (await isPortOpen("127.0.0.1", settings.port)) {
    throw new Error(
      `port ${settings.port} is already in use: set LOUPE_TEMPORAL_PORT to a free port or TEMPORAL_ADDRESS to an existing server`,
    );
  }
  fs.mkdirSync(path.dirname(settings.dbFile), { recursive: true });
  const server = spawnManaged(
    "temporal",
    settings.binary,
    [
      "server",
      "start-dev",
      ...(settings.ui
        ? ["--ui-ip", "127.0.0.1", "--ui-port", String(settings.port + 1000)]
        : ["--headless"]),
      "--ip",
      "127.0.0.1",
      "--port",
      String(settings.port),
      "--http-port",
      String(settings.port + 1),
      "--metrics-port",
      String(settings.port + 2),
      "--db-filename",
      settings.dbFile,
      // Write-ahead log, synced at checkpoints only (as PostgreSQL runs
      // without fsync here): the dev server's store is this machine's
      // convenience, not a production Temporal's (which has a database of
      // its own); a machine that loses power may lose its last workflows,
      // which the worker's sweeper starts again from PostgreSQL.
      "--sqlite-pragma",
      "journal_mode=wal",
      "--sqlite-pragma",
      "synchronous=normal",
      // The dev server always creates "default"; other namespaces are created on start.
      ...(settings.namespace === "default"
        ? []
        : ["--namespace", settings.namespace]),
      "--log-level",
      "warn",
    ],
    { cwd, env: process.env, logsDir },
  );
  const address = `127.0.0.1:${settings.port}`;
  let exitedEarly = false;
  void server.exited.then(() => (exitedEarly = true));
  await waitFor(
    `the Temporal dev server at ${address}`,
    () => {
      if (exitedEarly)
        throw new WaitAbortedError(
          `the Temporal dev server exited:\n${tailOf(server.logFile)}`,
        );
      return Promise.resolve(isHealthy(settings.binary, address));
    },
    { timeoutMs: 60_000 },
  );
  return server;
}

function isHealthy(binary: string, address: string): boolean {
  const result = spawnSync(
    binary,
    ["operator", "cluster", "health", "--address", address],
    {
      encoding: "utf8",
      timeout: 5000,
    },
  );
  return result.status === 0 && result.stdout.includes("SERVING");
}
