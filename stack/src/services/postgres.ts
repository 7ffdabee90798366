import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { ensureDebianPackages } from "./debian-packages.ts";
import { isRunning } from "./managed-process.ts";
import { isPortOpen, waitFor } from "./wait-for.ts";

/** Settings of a PostgreSQL server that the stack runs itself. */
export interface ManagedPostgres {
  readonly port: number;
  readonly dataDir: string;
  readonly database: string;
  readonly user: string;
  readonly password: string;
}

/** A running managed PostgreSQL server. */
export interface PostgresHandle {
  readonly url: string;
  /** The postmaster's pid (from postmaster.pid), for watching the server. */
  readonly pid: number | undefined;
  /** Creates the database if it does not exist yet. */
  ensureDatabase(name: string): void;
  stop(): Promise<void>;
}

/** The pid on the first line of a data folder's postmaster.pid, if it has one. */
function readPostmasterPid(dataDir: string): number | undefined {
  try {
    const first = fs
      .readFileSync(path.join(dataDir, "postmaster.pid"), "utf8")
      .split("\n")[0];
    const pid = Number(first);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Finds the newest installed PostgreSQL server's bin folder (Debian layout). */
export function findPostgresBinDir(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!fs.existsSync(root)) return undefined;
  const versions = fs
    .readdirSync(root)
    .filter((v) => fs.existsSync(path.join(root, v, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined
    ? undefined
    : path.join(root, versions[0], "bin");
}

/**
 * Starts a PostgreSQL server on `dataDir` (created with initdb on first use),
 * listening on 127.0.0.1 only. PostgreSQL refuses to run as root, so as root the
 * server runs as Debian's `postgres` user. Installs Debian's server if missing.
 */
export async function startPostgres(
  settings: ManagedPostgres,
  { logsDir, fast = false }: { logsDir: string; fast?: boolean },
): Promise<PostgresHandle> {
  ensureDebianPackages([
    { pkg: "postgresql", probe: () => findPostgresBinDir() !== undefined },
  ]);
  const bin = findPostgresBinDir();
  if (bin === undefined)
    throw new Error("PostgreSQL server binaries not found after install");
  const asServerUser =
    process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--"] : [];
  // setsid: the server gets its own session, so a Ctrl-C in the terminal reaches
  // only the stack, which then stops the server last (after the apps using it).
  const exec = (tool: string, args: string[]) => {
    const result = spawnSync(
      "setsid",
      [...asServerUser, path.join(bin, tool), ...args],
      { encoding: "utf8", env: { ...process.env, LC_ALL: "C" } },
    );
    return {
      ok: result.status === 0,
      output: `${result.stdout ?? ""}${result.stderr ?? ""}`,
    };
  };

  fs.mkdirSync(logsDir, { recursive: true });
  if (!fs.existsSync(path.join(settings.dataDir, "PG_VERSION"))) {
    fs.mkdirSync(settings.dataDir, { recursive: true, mode: 0o700 });
    const pwFile = path.join(path.dirname(settings.dataDir), ".pgpass-init");
    fs.writeFileSync(pwFile, `${settings.password}\n`, { mode: 0o600 });
    if (asServerUser.length > 0) {
      spawnSync("chown", ["postgres:postgres", settings.dataDir, pwFile]);
    }
    const init = exec("initdb", [
      "-D",
      settings.dataDir,
      "-U",
      settings.user,
      `--pwfile=${pwFile}`,
      "--auth-host=scram-sha-256",
      "--auth-local=trust",
      "--encoding=UTF8",
      "--no-instructions",
    ]);
    fs.rmSync(pwFile, { force: true });
    if (!init.ok)
      throw new Error(`initdb failed for ${settings.dataDir}:\n${init.output}`);
  }

  // A server left running by a crashed earlier stack is stopped, then started
  // afresh with this stack's settings.
  if (exec("pg_ctl", ["status", "-D", settings.dataDir]).ok) {
    exec("pg_ctl", ["stop", "-D", settings.dataDir, "-m", "fast", "-w"]);
  }
  if (await isPortOpen("127.0.0.1", settings.port)) {
    throw new Error(
      `port ${settings.port} is already in use: set LOUPE_PG_PORT to a free port or DATABASE_URL to an existing server`,
    );
  }
  const logFile = path.join(logsDir, "postgres.log");
  fs.writeFileSync(logFile, "");
  if (asServerUser.length > 0)
    spawnSync("chown", ["postgres:postgres", logFile]);
  const serverOptions = [
    `-p ${settings.port}`,
    `-k ${settings.dataDir}`,
    "-c listen_addresses=127.0.0.1",
    // Tests trade durability for speed; `npm start` keeps PostgreSQL's defaults.
    ...(fast
      ? ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
      : []),
  ].join(" ");
  const start = exec("pg_ctl", [
    "start",
    "-D",
    settings.dataDir,
    "-w",
    "-t",
    "60",
    "-l",
    logFile,
    "-o",
    serverOptions,
  ]);
  if (!start.ok) {
    throw new Error(
      `PostgreSQL did not start:\n${start.output}\n${fs.readFileSync(logFile, "utf8")}`,
    );
  }
  await waitFor(`PostgreSQL on port ${settings.port}`, () =>
    isPortOpen("127.0.0.1", settings.port),
  );

  const psql = (database: string, sql: string) => {
    const result = spawnSync(
      path.join(bin, "psql"),
      [
        "-h",
        "127.0.0.1",
        "-p",
        String(settings.port),
        "-U",
        settings.user,
        "-d",
        database,
        "-tAc",
        sql,
      ],
      {
        encoding: "utf8",
        env: { ...process.env, PGPASSWORD: settings.password },
      },
    );
    if (result.status !== 0) throw new Error(`psql failed: ${result.stderr}`);
    return result.stdout.trim();
  };
  const urlFor = (db: string) =>
    `postgresql://${settings.user}:${settings.password}@127.0.0.1:${settings.port}/${db}`;
  const handle: PostgresHandle = {
    url: urlFor(settings.database),
    pid: readPostmasterPid(settings.dataDir),
    ensureDatabase(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name))
        throw new Error(`bad database name "${name}"`);
      if (
        psql(
          "postgres",
          `SELECT 1 FROM pg_database WHERE datname = '${name}'`,
        ) !== "1"
      ) {
        psql("postgres", `CREATE DATABASE ${name}`);
      }
    },
    stop() {
      const stop = exec("pg_ctl", [
        "stop",
        "-D",
        settings.dataDir,
        "-m",
        "fast",
        "-w",
        "-t",
        "60",
      ]);
      if (!stop.ok && exec("pg_ctl", ["status", "-D", settings.dataDir]).ok) {
        return Promise.reject(
          new Error(`PostgreSQL did not stop:\n${stop.output}`),
        );
      }
      // pg_ctl returns once postmaster.pid is gone, a moment before the
      // postmaster itself has exited: wait for that too (pg_ctl has already
      // said it stopped, so a slow exit is not an error).
      const pid = handle.pid;
      return pid === undefined
        ? Promise.resolve()
        : waitFor(
            `PostgreSQL (pid ${pid}) to exit`,
            () => Promise.resolve(!isRunning(pid)),
            { timeoutMs: 10_000, intervalMs: 50 },
          ).catch(() => undefined);
    },
  };
  handle.ensureDatabase(settings.database);
  return handle;
}
