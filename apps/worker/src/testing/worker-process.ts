import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";

const WORKER_DIR = path.resolve(import.meta.dirname, "..", "..");

/** glibc's allocator settings the stack and the deployment run workers with (stack/src/services/apps.ts, the README). */
const WORKER_MALLOC_ENV = {
  MALLOC_MMAP_THRESHOLD_: "131072",
  MALLOC_TRIM_THRESHOLD_: "131072",
};

/** A worker process (`src/main.ts`) started by a test, with its output. */
export interface WorkerProcess {
  readonly child: ChildProcess;
  /** Resolves once it polls its task queues; rejects if it exits first. */
  readonly polling: Promise<void>;
  output(): string;
  /** Waits until its output contains `text` (or it exits, or `ms` pass). */
  printed(text: string, ms?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Starts a worker process as `npm start` does, with `env` on top of the test's. */
export function startWorkerProcess(
  id: string,
  env: Record<string, string>,
): WorkerProcess {
  const child = spawn(
    process.execPath,
    ["--expose-gc", "--import", "tsx", "src/main.ts"],
    {
      cwd: WORKER_DIR,
      env: {
        ...process.env,
        ...WORKER_MALLOC_ENV,
        LOUPE_WORKER_ID: id,
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  const listeners = new Set<() => void>();
  const append = (d: Buffer) => {
    output += d.toString();
    for (const l of listeners) l();
  };
  child.stdout.on("data", append);
  child.stderr.on("data", append);
  const exited = new Promise<void>((resolve) =>
    child.once("exit", () => resolve()),
  );
  const printed = (text: string, ms = 120_000) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `worker ${id} did not print "${text}" in ${ms} ms:\n${output}`,
            ),
          ),
        ms,
      );
      const check = () => {
        if (!output.includes(text)) return;
        clearTimeout(timer);
        listeners.delete(check);
        resolve();
      };
      listeners.add(check);
      check();
      void exited.then(() => {
        if (output.includes(text)) return;
        clearTimeout(timer);
        reject(
          new Error(
            `worker ${id} exited before printing "${text}":\n${output}`,
          ),
        );
      });
    });
  return {
    child,
    polling: printed(`${id} polling`),
    output: () => output,
    printed,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/**
 * A process's proportional set size: its resident pages, each shared page
 * divided among the processes that map it (the `Pss:` line of
 * /proc/<pid>/smaps_rollup), in bytes. Unlike RSS it counts a mapped file's
 * pages once however many mappings share them.
 */
export function processPssBytes(pid: number): number {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  let kib = 0;
  for (const line of rollup.split("\n")) {
    const m = /^Pss:\s+(\d+) kB$/.exec(line);
    if (m) kib += Number(m[1]);
  }
  return kib * 1024;
}
