/**
 * `npm start`: brings Loupe up on this machine (PostgreSQL, Temporal, worker, web
 * app), prints the URL, and stays up until Ctrl-C, then stops everything it
 * started. While up it restarts a worker or web app that dies (with backoff),
 * and stops everything, naming the service, when PostgreSQL or Temporal dies.
 * Its lines also go to <logs>/supervisor.log, so that losing its stdout (the
 * reader of `npm start | tee log` gone after Ctrl-C) costs no line and no crash.
 */
import fs from "node:fs";
import path from "node:path";
import { bringUp, type RunningStack } from "../bring-up.ts";
import { resolveStackConfig } from "../config.ts";
import { repoRoot } from "../repo-root.ts";
import { PhaseClock } from "../phases.ts";
import { runToolOrThrow } from "../services/run-tool.ts";
import { tailOf } from "../services/managed-process.ts";
import {
  clearStackState,
  findLiveStack,
  stopLeftovers,
  writeStackState,
} from "../stack-state.ts";
import { superviseStack, type Supervisor } from "../supervise-stack.ts";
import { createSupervisorOutput } from "../supervisor-output.ts";

const config = resolveStackConfig("dev", process.env, repoRoot);

const live = findLiveStack(config.home);
if (live) {
  console.error(
    `Loupe is already running (supervisor pid ${live.supervisorPid}${live.webUrl ? `, ${live.webUrl}` : ""}); stop it with Ctrl-C in its terminal or kill ${live.supervisorPid}.`,
  );
  process.exit(1);
}
const supervisorLog = path.join(config.logsDir, "supervisor.log");
fs.mkdirSync(config.logsDir, { recursive: true });
fs.writeFileSync(supervisorLog, "");
const output = createSupervisorOutput(supervisorLog);
output.log(
  `npm start: supervisor pid ${process.pid}; its log: ${supervisorLog}`,
);
const clock = new PhaseClock((line) => output.log(line));

const leftovers = await stopLeftovers(config.home);
if (leftovers.length > 0) {
  output.log(
    `The previous run did not stop cleanly; stopped its leftovers: ${leftovers.join(", ")}`,
  );
}

let stack: RunningStack | undefined;
// Set once the stack is up; read by shutdown, which may run before.
let supervisor: Supervisor | undefined = undefined;
let startup: Promise<unknown> = Promise.resolve();
let stopping = false;
const starting = new AbortController();
const recordState = (running?: RunningStack) =>
  writeStackState(config.home, {
    supervisorPid: process.pid,
    ...(running?.webUrl ? { webUrl: running.webUrl } : {}),
    processes: Object.fromEntries(
      [...(running?.processes() ?? [])].map(([name, p]) => [name, p.pid]),
    ),
  });
const shutdown = async (reason: string, code: number) => {
  if (stopping) return;
  stopping = true;
  output.log(`\n${reason}: stopping Loupe…`);
  supervisor?.stop();
  // While still starting, abort: bring-up stops what it had started, then rejects.
  starting.abort();
  await startup.catch(() => undefined);
  try {
    await stack?.stop();
    clearStackState(config.home);
    output.log("Loupe stopped.");
  } catch (error) {
    // The state file stays: the next `npm start` stops what is left.
    output.error(
      `Loupe did not stop cleanly: ${error instanceof Error ? error.message : String(error)}`,
    );
    code = code || 1;
  }
  process.exit(code);
};
for (const [signal, reason] of [
  ["SIGINT", "Ctrl-C"],
  ["SIGTERM", "SIGTERM"],
  ["SIGHUP", "the terminal closed (SIGHUP)"],
] as const)
  process.on(signal, () => void shutdown(reason, 0));
// A bug in the supervisor must not leave the services running unsupervised.
const crashed = (error: unknown) => {
  output.error(
    `\nthe supervisor failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  void shutdown("supervisor error", 1);
};
process.on("uncaughtException", crashed);
process.on("unhandledRejection", crashed);
recordState();

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
        log: (line) => output.log(`  ${line}`),
      }),
    );
  })();
  await startup;
} catch (error) {
  if (!stopping) {
    output.error(
      `\nLoupe did not start: ${error instanceof Error ? error.message : String(error)}`,
    );
    output.error(`Logs: ${config.logsDir}`);
    await shutdown("start failed", 1);
  }
  // Ctrl-C during start-up: shutdown() is finishing and exits the process.
  await new Promise(() => undefined);
}

const running = stack!;
recordState(running);
supervisor = superviseStack(running, {
  log: (line) => output.error(`\n${line}`),
  restarted: () => recordState(running),
  dataServiceDied: (service, detail) => {
    const logFile = path.join(
      config.logsDir,
      `${service === "PostgreSQL" ? "postgres" : "temporal"}.log`,
    );
    output.error(
      `\n${service} stopped unexpectedly: ${detail}\nLoupe cannot run without ${service}; stopping everything. Last lines of ${logFile}:\n${tailOf(logFile, 15)}`,
    );
    void shutdown(`${service} died`, 1);
  },
});
const seeded = running.seeded!;
output.log(`
Loupe is up at ${running.webUrl}
  sign in:   ${running.webUrl}/signin as ${seeded.admin.email}, password ${seeded.admin.password}
             (the administrator${seeded.admin.created ? ", created now" : ""}; the password is kept in ${config.home}/secrets.json)
  gallery:   ${running.webUrl}/gallery ${seeded.demoExperiments.length > 0 ? `(${seeded.demoExperiments.length} public example experiments with their results)` : "(no examples: the bundled model is not registered)"}
  sign-in links (email) are written to ${path.join(config.home, "outbox")}
  health:    ${running.webUrl}/health
  database:  ${running.databaseUrl}
  temporal:  ${running.temporalAddress}${config.temporal.kind === "managed" ? ` (web UI http://localhost:${config.temporal.port + 1000})` : ""}
  logs:      ${config.logsDir} (this supervisor's: supervisor.log)
  a worker or web app that dies is restarted; if PostgreSQL or Temporal dies, Loupe stops
Press Ctrl-C to stop.`);
