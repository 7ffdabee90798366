/**
 * `npm start`: brings Loupe up on this machine (PostgreSQL, Temporal, worker, web
 * app), prints the URL, stays up until Ctrl-C, then stops everything it started.
 */
import path from "node:path";
import { bringUp, type RunningStack } from "../bring-up.ts";
import { resolveStackConfig } from "../config.ts";
import { repoRoot } from "../repo-root.ts";
import { PhaseClock } from "../phases.ts";
import { tailOf } from "../services/managed-process.ts";
import { runToolOrThrow } from "../services/run-tool.ts";
import {
  clearStackState,
  findLiveStack,
  stopLeftovers,
  writeStackState,
} from "../stack-state.ts";

const config = resolveStackConfig("dev", process.env, repoRoot);
const clock = new PhaseClock();

const live = findLiveStack(config.home);
if (live) {
  console.error(
    `Loupe is already running (supervisor pid ${live.supervisorPid}${live.webUrl ? `, ${live.webUrl}` : ""}); stop it with Ctrl-C in its terminal or kill ${live.supervisorPid}.`,
  );
  process.exit(1);
}
const leftovers = await stopLeftovers(config.home);
if (leftovers.length > 0) {
  console.log(
    `The previous run did not stop cleanly; stopped its leftovers: ${leftovers.join(", ")}`,
  );
}

let stack: RunningStack | undefined;
let startup: Promise<unknown> = Promise.resolve();
let stopping = false;
const starting = new AbortController();
const shutdown = async (reason: string, code: number) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${reason}: stopping Loupe…`);
  // While still starting, abort: bring-up stops what it had started, then rejects.
  starting.abort();
  await startup.catch(() => undefined);
  await stack?.stop();
  clearStackState(config.home);
  console.log("Loupe stopped.");
  process.exit(code);
};
process.on("SIGINT", () => void shutdown("Ctrl-C", 0));
process.on("SIGTERM", () => void shutdown("SIGTERM", 0));
writeStackState(config.home, { supervisorPid: process.pid, processes: {} });

try {
  startup = (async () => {
    await clock.run("build (cached by turbo)", () =>
      runToolOrThrow(repoRoot, "turbo", [
        "run",
        "build",
        "--filter=@loupe/web",
        "--filter=@loupe/worker",
        "--output-logs=errors-only",
      ]),
    );
    starting.signal.throwIfAborted();
    stack = await clock.run("services", () =>
      bringUp(config, {
        apps: true,
        signal: starting.signal,
        log: (line) => console.log(`  ${line}`),
      }),
    );
  })();
  await startup;
} catch (error) {
  if (!stopping) {
    console.error(
      `\nLoupe did not start: ${error instanceof Error ? error.message : String(error)}`,
    );
    console.error(`Logs: ${config.logsDir}`);
    await shutdown("start failed", 1);
  }
  // Ctrl-C during start-up: shutdown() is finishing and exits the process.
  await new Promise(() => undefined);
}

const running = stack!;
writeStackState(config.home, {
  supervisorPid: process.pid,
  ...(running.webUrl ? { webUrl: running.webUrl } : {}),
  processes: Object.fromEntries(
    [...running.processes()].map(([name, p]) => [name, p.pid]),
  ),
});
for (const [name, p] of running.processes()) {
  void p.exited.then((code) => {
    if (stopping) return;
    console.error(
      `\nThe ${name} exited unexpectedly (code ${code}). Last lines of ${p.logFile}:\n${tailOf(p.logFile)}`,
    );
    void shutdown(`${name} died`, 1);
  });
}
const seeded = running.seeded!;
console.log(`
Loupe is up at ${running.webUrl}
  sign in:   ${running.webUrl}/signin as ${seeded.admin.email}, password ${seeded.admin.password}
             (the administrator${seeded.admin.created ? ", created now" : ""}; the password is kept in ${config.home}/secrets.json)
  gallery:   ${running.webUrl}/gallery ${seeded.demoExperiments.length > 0 ? `(${seeded.demoExperiments.length} public example experiments with their results)` : "(no examples: the bundled model is not registered)"}
  sign-in links (email) are written to ${path.join(config.home, "outbox")}
  health:    ${running.webUrl}/health
  database:  ${running.databaseUrl}
  temporal:  ${running.temporalAddress}${config.temporal.kind === "managed" ? ` (web UI http://localhost:${config.temporal.port + 1000})` : ""}
  logs:      ${config.logsDir}
Press Ctrl-C to stop.`);
