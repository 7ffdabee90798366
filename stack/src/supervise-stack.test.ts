import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, expect, it, vi } from "vitest";
import type { AppName } from "./bring-up.ts";
import {
  isAlive,
  spawnManaged,
  type ManagedProcess,
} from "./services/managed-process.ts";
import {
  superviseStack,
  type DataService,
  type SupervisedStack,
  type Supervisor,
} from "./supervise-stack.ts";

const quick = { initialMs: 50, maxMs: 200, stableAfterMs: 60_000 };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * A stack of real idle processes standing in for the worker, the web app,
 * Temporal and PostgreSQL: what is under test is the supervisor's handling of
 * their deaths, not the services.
 */
function idleStack(): SupervisedStack & { restarts: AppName[] } {
  const logsDir = fs.mkdtempSync(path.join(os.tmpdir(), "loupe-supervise-"));
  const idle = (name: string) =>
    spawnManaged(
      name,
      process.execPath,
      ["-e", "setInterval(() => {}, 1000)"],
      {
        cwd: logsDir,
        env: process.env,
        logsDir,
      },
    );
  const processes = new Map<string, ManagedProcess>(
    ["worker", "web", "temporal"].map((name) => [name, idle(name)]),
  );
  const postgres = spawn(
    process.execPath,
    ["-e", "setInterval(() => {}, 1000)"],
    {
      stdio: "ignore",
    },
  );
  cleanups.push(async () => {
    for (const p of processes.values()) await p.stop(1000);
    postgres.kill("SIGKILL");
  });
  const restarts: AppName[] = [];
  return {
    restarts,
    processes: () => processes,
    postgresPid: postgres.pid,
    async restartApp(name) {
      restarts.push(name);
      await processes.get(name)?.stop(1000);
      const app = idle(name);
      processes.set(name, app);
      return app;
    },
  };
}

function supervise(stack: SupervisedStack, backoff = quick) {
  const lines: string[] = [];
  const restarted: [AppName, number][] = [];
  const died: [DataService, string][] = [];
  const supervisor: Supervisor = superviseStack(
    stack,
    {
      log: (line) => lines.push(line),
      restarted: (name, app) => restarted.push([name, app.pid]),
      dataServiceDied: (service, detail) => died.push([service, detail]),
    },
    { backoff, pollMs: 50 },
  );
  cleanups.push(() => supervisor.stop());
  return { supervisor, lines, restarted, died };
}

it("restarts a worker or web app that dies, logging each death with its growing backoff", async () => {
  const stack = idleStack();
  const { lines, restarted } = supervise(stack);

  for (const [n, name] of [
    [1, "worker"],
    [2, "worker"],
    [3, "web"],
  ] as const) {
    const old = stack.processes().get(name)!;
    process.kill(old.pid, "SIGKILL");
    await vi.waitFor(() => expect(restarted).toHaveLength(n), {
      timeout: 5000,
    });
    const [restartedName, pid] = restarted[n - 1]!;
    expect(restartedName).toBe(name);
    expect(pid).not.toBe(old.pid);
    expect(isAlive(pid)).toBe(true);
  }
  expect(lines.filter((line) => line.includes("exited unexpectedly"))).toEqual([
    expect.stringMatching(
      /^the worker exited unexpectedly \(signal SIGKILL\) after \d+ s; restarting it in 0\.05 s \(1st death in a row\)/,
    ),
    expect.stringMatching(
      /^the worker exited unexpectedly \(signal SIGKILL\) after \d+ s; restarting it in 0\.1 s \(2nd death in a row\)/,
    ),
    expect.stringMatching(
      /^the web exited unexpectedly \(signal SIGKILL\) after \d+ s; restarting it in 0\.05 s \(1st death in a row\)/,
    ),
  ]);
  expect(lines.filter((line) => line.startsWith("restarted the"))).toHaveLength(
    3,
  );
});

it("reports Temporal's death, naming it, and then restarts nothing", async () => {
  const stack = idleStack();
  const { died, restarted } = supervise(stack);
  const temporal = stack.processes().get("temporal")!.pid;
  process.kill(temporal, "SIGKILL");
  await vi.waitFor(() => expect(died).toHaveLength(1), { timeout: 5000 });
  expect(died[0]).toEqual([
    "Temporal",
    `the Temporal dev server (pid ${temporal}) exited (signal SIGKILL)`,
  ]);

  process.kill(stack.processes().get("worker")!.pid, "SIGKILL");
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(restarted).toEqual([]);
  expect(stack.restarts).toEqual([]);
});

it("reports PostgreSQL's death, naming it", async () => {
  const stack = idleStack();
  const { died } = supervise(stack);
  process.kill(stack.postgresPid!, "SIGKILL");
  await vi.waitFor(() => expect(died).toHaveLength(1), { timeout: 5000 });
  expect(died[0]).toEqual([
    "PostgreSQL",
    `the PostgreSQL server (pid ${stack.postgresPid}) is gone`,
  ]);
});

it("restarts nothing once stopped, also a restart it had planned", async () => {
  const stack = idleStack();
  // A restart planned for 2 s from the death: stop() comes before it.
  const { supervisor, lines } = supervise(stack, {
    ...quick,
    initialMs: 2000,
    maxMs: 2000,
  });
  process.kill(stack.processes().get("web")!.pid, "SIGKILL");
  await vi.waitFor(() => expect(lines).toHaveLength(1), { timeout: 5000 });
  expect(lines[0]).toMatch(/restarting it in 2 s/);
  supervisor.stop();
  process.kill(stack.processes().get("worker")!.pid, "SIGKILL");
  await new Promise((resolve) => setTimeout(resolve, 2500));
  expect(stack.restarts).toEqual([]);
});
