import fs from "node:fs";
import path from "node:path";
import { isAlive } from "./services/managed-process.ts";

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
