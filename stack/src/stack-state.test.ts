import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, expect, it } from "vitest";
import { isAlive } from "./services/managed-process.ts";
import {
  stackStateFile,
  stopLeftovers,
  writeStackState,
} from "./stack-state.ts";

const children: number[] = [];
afterEach(() => {
  for (const pid of children.splice(0))
    if (isAlive(pid)) process.kill(pid, "SIGKILL");
});

/** A long-running process in its own group whose command line contains `marker`. */
function fakeService(marker: string): number {
  const child = spawn(
    process.execPath,
    ["-e", "setInterval(() => {}, 1000)", marker],
    { detached: true, stdio: "ignore" },
  );
  child.unref();
  children.push(child.pid!);
  return child.pid!;
}

it("stops the recorded processes of a stack whose supervisor died, and only those", async () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "loupe-state-"));
  const deadSupervisor = spawnSync(process.execPath, ["-e", "process.pid"]).pid;
  const temporal = fakeService("start-dev");
  const recycled = fakeService("something-else");
  writeStackState(home, {
    supervisorPid: deadSupervisor,
    processes: { temporal, worker: recycled },
  });

  expect(await stopLeftovers(home)).toEqual([`temporal (pid ${temporal})`]);
  expect(isAlive(temporal)).toBe(false);
  expect(isAlive(recycled)).toBe(true);
  expect(fs.existsSync(stackStateFile(home))).toBe(false);
});

it("leaves a live stack alone", async () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "loupe-state-"));
  const temporal = fakeService("start-dev");
  writeStackState(home, {
    supervisorPid: process.pid,
    processes: { temporal },
  });
  expect(await stopLeftovers(home)).toEqual([]);
  expect(isAlive(temporal)).toBe(true);
});
