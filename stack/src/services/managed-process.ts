import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

/** A long-running child the stack started, in its own process group. */
export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves with the exit code (or null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** SIGTERM to the whole group, SIGKILL after `graceMs`; resolves once it is gone. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly logsDir: string;
}

/**
 * Starts a service in a new process group (so that stopping it also stops every
 * process it forked) with stdout and stderr appended to `<logsDir>/<name>.log`.
 */
export function spawnManaged(
  name: string,
  command: string,
  args: readonly string[],
  options: SpawnOptions,
): ManagedProcess {
  fs.mkdirSync(options.logsDir, { recursive: true });
  const logFile = path.join(options.logsDir, `${name}.log`);
  const fd = fs.openSync(logFile, "a");
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ["ignore", fd, fd],
  });
  fs.closeSync(fd);
  if (child.pid === undefined) {
    throw new Error(
      `could not start ${name}: ${command} did not spawn (see ${logFile})`,
    );
  }
  const pid = child.pid;
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => resolve(code));
    child.once("error", () => resolve(-1));
  });
  let stopping: Promise<void> | undefined;
  return {
    name,
    pid,
    logFile,
    exited,
    stop(graceMs = 10_000) {
      stopping ??= (async () => {
        if (!signalGroup(pid, "SIGTERM")) return;
        const timer = new Promise<"timeout">((resolve) =>
          setTimeout(resolve, graceMs, "timeout"),
        );
        if ((await Promise.race([exited, timer])) === "timeout")
          signalGroup(pid, "SIGKILL");
        await exited;
        // The leader is gone; anything it forked into the group goes with it.
        signalGroup(pid, "SIGKILL");
      })();
      return stopping;
    },
  };
}

/** Sends a signal to a process group; false when the group no longer exists. */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw error;
  }
}

/** True while a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The last `lines` lines of a log file, for error messages. */
export function tailOf(file: string, lines = 30): string {
  try {
    return fs
      .readFileSync(file, "utf8")
      .trimEnd()
      .split("\n")
      .slice(-lines)
      .join("\n");
  } catch {
    return "(no log)";
  }
}
