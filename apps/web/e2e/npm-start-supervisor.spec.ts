import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { expect, test } from "@playwright/test";
import {
  fetchHealth,
  findLiveStack,
  isAlive,
  isPortOpen,
  stackStateFile,
  type StackState,
} from "@loupe/stack";
import { repoRoot } from "./fixtures";

// The supervisor of `npm start` (stack/src/cli/start.ts) under the failures of
// issue 21, finding 6: a dead worker or web app is restarted, and Ctrl-C stops
// everything even when the reader of its output has gone. Its own ports and
// state folder, managing its own PostgreSQL and Temporal; the plain
// @playwright/test `test`, since these tests need no shared e2e stack.
const home = path.join(repoRoot, ".loupe", "e2e-npm-start-supervisor");
const stackHome = path.join(home, "dev");
const ports = {
  LOUPE_PG_PORT: "54380",
  LOUPE_TEMPORAL_PORT: "7283",
  LOUPE_WEB_PORT: "3140",
};

interface Started {
  /** The shell running the pipeline, leader of its process group. */
  readonly child: ChildProcess;
  readonly url: string;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
}

/**
 * Runs `npm start <pipe>` in a shell of its own process group (a terminal's
 * foreground job), and resolves once the banner says Loupe is up. `pipe` is
 * what its output goes through, e.g. `| sed -u …`; `output` reads what reached
 * `outputFile` (or this process, without one).
 */
async function npmStart(pipe: string, outputFile?: string): Promise<Started> {
  const env: NodeJS.ProcessEnv = { ...process.env, LOUPE_HOME: home, ...ports };
  delete env.DATABASE_URL;
  delete env.TEMPORAL_ADDRESS;
  const child = spawn("bash", ["-c", `npm start 2>&1 ${pipe}`], {
    cwd: repoRoot,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let piped = "";
  child.stdout.on("data", (chunk: Buffer) => (piped += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (piped += chunk.toString()));
  const output = () =>
    outputFile === undefined
      ? piped
      : fs.existsSync(outputFile)
        ? fs.readFileSync(outputFile, "utf8")
        : "";
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", resolve),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const match = /Loupe is up at (\S+)/.exec(output());
      if (match) {
        clearInterval(timer);
        resolve(match[1]!);
      }
    }, 200);
    void exited.then((code) => {
      clearInterval(timer);
      reject(
        new Error(
          `npm start exited with ${code} before coming up:\n${output()}`,
        ),
      );
    });
  });
  return { child, url, output, exited };
}

/** What is left of a stack: its processes, PostgreSQL, its ports. */
async function leftoversOf(state: StackState): Promise<string[]> {
  const left: string[] = [];
  if (isAlive(state.supervisorPid))
    left.push(`the supervisor (pid ${state.supervisorPid})`);
  for (const [name, pid] of Object.entries(state.processes))
    if (isAlive(pid)) left.push(`${name} (pid ${pid})`);
  if (fs.existsSync(path.join(stackHome, "postgres", "postmaster.pid")))
    left.push("PostgreSQL (postmaster.pid)");
  for (const port of Object.values(ports))
    if (await isPortOpen("127.0.0.1", Number(port)))
      left.push(`a listener on port ${port}`);
  return left;
}

/** Ctrl-C in a terminal: SIGINT to the whole foreground process group. */
async function pressCtrlC(started: Started, state: StackState): Promise<void> {
  process.kill(-started.child.pid!, "SIGINT");
  await started.exited;
  await expect
    .poll(() => isAlive(state.supervisorPid), { timeout: 60_000 })
    .toBe(false);
}

/** Describes the stack's process `name`: "restarted" once it runs with a new pid. */
function restartOf(name: string, oldPid: number): string {
  const state = findLiveStack(stackHome);
  if (!state) return "the supervisor is gone";
  const pid = state.processes[name];
  if (pid === undefined || pid === oldPid) return `${name} not restarted yet`;
  return isAlive(pid) ? "restarted" : `${name} (pid ${pid}) is not alive`;
}

/** "healthy", or why not. */
async function healthOf(url: string): Promise<string> {
  try {
    const health = await fetchHealth(url);
    return health.healthy
      ? "healthy"
      : `unhealthy: ${JSON.stringify(health.parts.filter((p) => !p.healthy))} ${JSON.stringify(health.workers)}`;
  } catch (error) {
    return `no answer: ${error instanceof Error ? error.message : String(error)}`;
  }
}

test.afterEach(() => {
  // Whatever a failed test left: the supervisor's recorded processes, then PostgreSQL.
  const state = JSON.parse(
    fs.existsSync(stackStateFile(stackHome))
      ? fs.readFileSync(stackStateFile(stackHome), "utf8")
      : "null",
  ) as StackState | null;
  for (const pid of [
    state?.supervisorPid,
    ...Object.values(state?.processes ?? {}),
  ]) {
    if (pid === undefined || !isAlive(pid)) continue;
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      process.kill(pid, "SIGKILL");
    }
  }
  const pidFile = path.join(stackHome, "postgres", "postmaster.pid");
  if (fs.existsSync(pidFile)) {
    const pid = Number(fs.readFileSync(pidFile, "utf8").split("\n")[0]);
    if (isAlive(pid)) process.kill(pid, "SIGQUIT");
  }
});

test("npm start restarts a killed worker, then a killed web app, and the health page turns healthy again", async ({
  page,
}) => {
  test.setTimeout(600_000);
  const started = await npmStart("");
  const state = findLiveStack(stackHome)!;
  expect(state, "npm start writes its state file while up").toBeDefined();

  for (const name of ["worker", "web"]) {
    const oldPid = findLiveStack(stackHome)?.processes[name];
    expect(oldPid, `${name} in the state file`).toBeDefined();
    process.kill(oldPid!, "SIGKILL");
    await expect
      .poll(() => restartOf(name, oldPid!), {
        timeout: 90_000,
        message: `the ${name} comes back\n${started.output()}`,
      })
      .toBe("restarted");
    await expect
      .poll(() => healthOf(started.url), {
        timeout: 120_000,
        message: `the stack turns healthy again after the ${name} died`,
      })
      .toBe("healthy");
    expect(started.output()).toMatch(
      new RegExp(`the ${name} exited unexpectedly .*restarting`),
    );
  }

  await page.goto(`${started.url}/health`);
  await expect(page.getByTestId("health-summary")).toHaveAttribute(
    "data-healthy",
    "true",
  );

  const last = findLiveStack(stackHome)!;
  await pressCtrlC(started, last);
  expect(started.output()).toContain("Loupe stopped.");
  expect(await leftoversOf(last)).toEqual([]);
});

test("Ctrl-C stops every process of npm start after the reader of its output has exited", async () => {
  test.setTimeout(420_000);
  fs.mkdirSync(home, { recursive: true });
  const outputFile = path.join(home, "piped-output.log");
  fs.rmSync(outputFile, { force: true });
  // sed quits after the banner's last line: npm start's stdout and stderr are
  // then a pipe without a reader, as `npm start | tee log` is after Ctrl-C.
  const started = await npmStart(
    `| sed -u '/Press Ctrl-C to stop/q' > '${outputFile}'`,
    outputFile,
  );
  const state = findLiveStack(stackHome)!;
  expect(state, "npm start writes its state file while up").toBeDefined();
  await expect
    .poll(() => started.output().includes("Press Ctrl-C to stop"))
    .toBe(true);

  await pressCtrlC(started, state);
  expect(await leftoversOf(state)).toEqual([]);
  // What the closed pipe could not take went to the supervisor's own log.
  expect(
    fs.readFileSync(path.join(stackHome, "logs", "supervisor.log"), "utf8"),
  ).toContain("Loupe stopped.");
});

test("when PostgreSQL dies, npm start stops everything, naming it, and leaves no process", async () => {
  test.setTimeout(420_000);
  const started = await npmStart("");
  const state = findLiveStack(stackHome)!;
  expect(state, "npm start writes its state file while up").toBeDefined();
  const pidFile = path.join(stackHome, "postgres", "postmaster.pid");
  const postmaster = Number(fs.readFileSync(pidFile, "utf8").split("\n")[0]);

  process.kill(postmaster, "SIGKILL");
  const code = await Promise.race([
    started.exited,
    new Promise<string>((resolve) =>
      setTimeout(resolve, 60_000, "still running after 60 s"),
    ),
  ]);
  expect(code, started.output()).toBe(1);
  expect(started.output()).toMatch(
    /PostgreSQL stopped unexpectedly: the PostgreSQL server \(pid \d+\) is gone/,
  );
  expect(started.output()).toContain("Loupe stopped.");
  // The killed postmaster leaves its pid file; everything else must be gone.
  fs.rmSync(pidFile, { force: true });
  expect(await leftoversOf(state)).toEqual([]);
});
