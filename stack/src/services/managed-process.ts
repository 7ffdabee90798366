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
  /** Resolves with the exit code and the signal that ended it, if any. */
  readonly ended: Promise<ProcessEnd>;
  /** SIGTERM to the whole group, SIGKILL after `graceMs`; resolves once it is gone. */
  stop(graceMs?: number): Promise<void>;
}

/** How a process ended: its exit code, or the signal that killed it. */
export interface ProcessEnd {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
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
  const ended = new Promise<ProcessEnd>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
    child.once("error", () => resolve({ code: -1, signal: null }));
  });
  const exited = ended.then((end) => end.code);
  let stopping: Promise<void> | undefined;
  return {
    name,
    pid,
    logFile,
    exited,
    ended,
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

/** Waits for a managed process to end; resolves with "code 1" or "signal SIGKILL". */
export async function describeExit(process: ManagedProcess): Promise<string> {
  const { code, signal } = await process.ended;
  return signal === null ? `code ${code}` : `signal ${signal}`;
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

/**
 * True while a process with this pid exists and has not exited: unlike
 * isAlive, false for a zombie (exited, not yet reaped by its parent), which a
 * daemon such as the postmaster, whose parent is init, may be for a while.
 */
export function isRunning(pid: number): boolean {
  if (!isAlive(pid)) return false;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // The state follows the parenthesised command name, which may hold spaces.
    return (
      stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z"
    );
  } catch {
    return true;
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
