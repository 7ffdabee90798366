import fs from "node:fs";
import path from "node:path";
import { isAlive, signalGroup } from "./services/managed-process.ts";

/** What a running stack records about itself in `<home>/stack.json`. */
export interface StackState {
  readonly supervisorPid: number;
  readonly webUrl?: string;
  readonly processes: Record<string, number>;
}

/** Path of the state file of the stack living in `home`. */
export function stackStateFile(home: string): string {
  return path.join(home, "stack.json");
}

/** Writes the state file (atomically, by rename). */
export function writeStackState(home: string, state: StackState): void {
  fs.mkdirSync(home, { recursive: true });
  const file = stackStateFile(home);
  fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  fs.renameSync(`${file}.tmp`, file);
}

/** The state of a stack whose supervisor is still alive, if any. */
export function findLiveStack(home: string): StackState | undefined {
  try {
    const state = JSON.parse(
      fs.readFileSync(stackStateFile(home), "utf8"),
    ) as StackState;
    return isAlive(state.supervisorPid) ? state : undefined;
  } catch {
    return undefined;
  }
}

/** Removes the state file when the stack has stopped. */
export function clearStackState(home: string): void {
  fs.rmSync(stackStateFile(home), { force: true });
}

/** What each managed process's command line contains (guards against recycled pids). */
const COMMAND_MARKERS: Record<string, string> = {
  temporal: "start-dev",
  worker: "src/main.ts",
  web: "server.ts",
};

/**
 * Stops the processes of a stack whose supervisor died without stopping them
 * (killed with SIGKILL, or the machine's session ended): each recorded process
 * group whose command line still matches is terminated. Returns what it stopped.
 */
export async function stopLeftovers(home: string): Promise<string[]> {
  let state: StackState;
  try {
    state = JSON.parse(
      fs.readFileSync(stackStateFile(home), "utf8"),
    ) as StackState;
  } catch {
    return [];
  }
  if (isAlive(state.supervisorPid)) return [];
  const stopped: string[] = [];
  for (const [name, pid] of Object.entries(state.processes)) {
    const marker = COMMAND_MARKERS[name];
    let command = "";
    try {
      command = fs
        .readFileSync(`/proc/${pid}/cmdline`, "utf8")
        .replace(/\0/g, " ");
    } catch {
      continue;
    }
    if (marker === undefined || !command.includes(marker)) continue;
    signalGroup(pid, "SIGTERM");
    for (let i = 0; i < 50 && isAlive(pid); i++)
      await new Promise((r) => setTimeout(r, 200));
    if (isAlive(pid)) signalGroup(pid, "SIGKILL");
    stopped.push(`${name} (pid ${pid})`);
  }
  clearStackState(home);
  return stopped;
}
