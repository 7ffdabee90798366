import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {
  findLiveStack,
  isAlive,
  isPortOpen,
  stackStateFile,
  type StackState,
} from "@loupe/stack";
import { expect, repoRoot, screenshotsDir, signIn, test } from "./fixtures";

// `npm start` exactly as the README gives it, on ports and a state folder of its
// own, managing its own PostgreSQL and Temporal.
const home = path.join(repoRoot, ".loupe", "e2e-npm-start");
const ports = {
  LOUPE_PG_PORT: "54360",
  LOUPE_TEMPORAL_PORT: "7263",
  LOUPE_WEB_PORT: "3120",
};

interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

async function npmStart(): Promise<Started> {
  const env: NodeJS.ProcessEnv = { ...process.env, LOUPE_HOME: home, ...ports };
  delete env.DATABASE_URL;
  delete env.TEMPORAL_ADDRESS;
  // detached: npm gets a process group of its own, like a terminal's foreground job.
  const child = spawn("npm", ["start"], {
    cwd: repoRoot,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", resolve),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const match = /Loupe is up at (\S+)/.exec(output);
      if (match) {
        clearInterval(timer);
        resolve(match[1]!);
      }
    }, 200);
    void exited.then((code) => {
      clearInterval(timer);
      reject(
        new Error(`npm start exited with ${code} before coming up:\n${output}`),
      );
    });
  });
  return { child, url, output: () => output, exited };
}

/** Ctrl-C in a terminal: SIGINT to the whole foreground process group. */
async function pressCtrlC(started: Started, state: StackState): Promise<void> {
  process.kill(-started.child.pid!, "SIGINT");
  await started.exited;
  await expect
    .poll(() => isAlive(state.supervisorPid), { timeout: 60_000 })
    .toBe(false);
}

test("npm start brings everything up healthy, and Ctrl-C leaves no process behind", async ({
  page,
}) => {
  test.setTimeout(420_000);
  const first = await npmStart();
  expect(first.url).toBe(`http://localhost:${ports.LOUPE_WEB_PORT}`);
  const state = findLiveStack(path.join(home, "dev"));
  expect(state, "npm start writes its state file while up").toBeDefined();
  expect(Object.keys(state!.processes).sort()).toEqual([
    "temporal",
    "web",
    "worker",
  ]);

  // The banner says how to sign in as the seeded administrator, and it works;
  // the gallery has the demo experiment.
  const signInLine = /sign in: +(\S+)\/signin as (\S+), password (\S+)/.exec(
    first.output(),
  );
  expect(signInLine, first.output()).not.toBeNull();
  await signIn(
    page.request,
    { email: signInLine![2]!, password: signInLine![3]! },
    first.url,
  );
  const gallery = (await (
    await page.request.get(
      `${first.url}/api/trpc/experiments.gallery?input=${encodeURIComponent(JSON.stringify({ text: "Paris to Rome" }))}`,
    )
  ).json()) as { result: { data: { items: { title: string }[] } } };
  expect(gallery.result.data.items.map((e) => e.title)).toContain(
    "Paris to Rome: activation patching (Code Example 4)",
  );

  await page.goto(`${first.url}/health`);
  await expect(page.getByTestId("health-summary")).toHaveAttribute(
    "data-healthy",
    "true",
  );
  for (const part of ["database", "temporal", "workers"]) {
    await expect(page.getByTestId(`health-row-${part}`)).toHaveAttribute(
      "data-status",
      "healthy",
    );
  }
  await page.screenshot({
    path: path.join(screenshotsDir, "npm-start-health.png"),
    fullPage: true,
  });

  await pressCtrlC(first, state!);
  expect(first.output()).toContain("Loupe stopped.");
  for (const [name, pid] of Object.entries(state!.processes)) {
    expect(
      isAlive(pid),
      `${name} (pid ${pid}) still running after Ctrl-C`,
    ).toBe(false);
  }
  for (const port of Object.values(ports)) {
    expect(
      await isPortOpen("127.0.0.1", Number(port)),
      `port ${port} still open after Ctrl-C`,
    ).toBe(false);
  }
  expect(
    fs.existsSync(path.join(home, "dev", "postgres", "postmaster.pid")),
    "PostgreSQL still running",
  ).toBe(false);
  expect(fs.existsSync(stackStateFile(path.join(home, "dev")))).toBe(false);

  // A second start on the same state comes up again and stops cleanly.
  const second = await npmStart();
  const again = findLiveStack(path.join(home, "dev"))!;
  const health = (await (
    await fetch(`${second.url}/api/trpc/system.health`)
  ).json()) as {
    result: { data: { healthy: boolean } };
  };
  expect(health.result.data.healthy).toBe(true);
  await pressCtrlC(second, again);
  for (const pid of Object.values(again.processes))
    expect(isAlive(pid)).toBe(false);
});
