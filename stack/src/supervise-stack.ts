import type { AppName, RunningStack } from "./bring-up.ts";
import {
  describeExit,
  isRunning,
  tailOf,
  type ManagedProcess,
} from "./services/managed-process.ts";
import {
  DEFAULT_RESTART_BACKOFF,
  nextRestart,
  type RestartBackoff,
} from "./restart-backoff.ts";

/** The data services whose death stops the stack. */
export type DataService = "PostgreSQL" | "Temporal";

/** What the supervisor tells its caller. */
export interface SupervisorHooks {
  /** A line for the supervisor's output: a death, a restart. */
  log(line: string): void;
  /** An app runs again as `process` (the caller records its pid). */
  restarted(name: AppName, process: ManagedProcess): void;
  /**
   * PostgreSQL or Temporal is gone (`detail`: its pid, and how it ended when
   * known). The supervisor has stopped watching; the caller stops the stack
   * and says which service died.
   */
  dataServiceDied(service: DataService, detail: string): void;
}

/** The parts of a running stack the supervisor watches and restarts. */
export type SupervisedStack = Pick<
  RunningStack,
  "processes" | "restartApp" | "postgresPid"
>;

/** A supervisor at work; `stop` ends its watching and any restart it had planned. */
export interface Supervisor {
  stop(): void;
}

/**
 * Watches a running stack. A worker or web app that exits is started again
 * after a backoff (1 s, doubling up to 30 s while it keeps dying; see
 * restart-backoff.ts), each death and restart logged with the last lines of its
 * log. PostgreSQL or Temporal dying is not repaired here: the apps would fail
 * against a half-restarted data service, and a data service that died usually
 * needs a person (a full disk, a corrupted store), so the caller is told and
 * stops everything, naming the service.
 *
 * @example
 * const supervisor = superviseStack(stack, {
 *   log: console.log,
 *   restarted: (name, p) => record(name, p.pid),
 *   dataServiceDied: (service) => void shutdown(`${service} died`),
 * });
 */
export function superviseStack(
  stack: SupervisedStack,
  hooks: SupervisorHooks,
  {
    backoff = DEFAULT_RESTART_BACKOFF,
    pollMs = 1000,
  }: { backoff?: RestartBackoff; pollMs?: number } = {},
): Supervisor {
  let stopped = false;
  // Planned restarts, and the PostgreSQL poll: all cleared by stop().
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, run: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      run();
    }, ms);
    timers.add(timer);
  };
  const stop = () => {
    stopped = true;
    for (const timer of timers) clearTimeout(timer); // also clears intervals
    timers.clear();
  };
  const dataServiceDied = (service: DataService, detail: string) => {
    if (stopped) return;
    stop();
    hooks.dataServiceDied(service, detail);
  };

  const restart = async (name: AppName, deathsInRow: number) => {
    if (stopped) return;
    try {
      const app = await stack.restartApp(name);
      if (stopped) return;
      hooks.log(`restarted the ${name} (pid ${app.pid})`);
      hooks.restarted(name, app);
      watchApp(name, app, deathsInRow);
    } catch (error) {
      if (stopped) return;
      const next = nextRestart(backoff, { deathsInRow, ranForMs: 0 });
      hooks.log(
        `could not restart the ${name}: ${error instanceof Error ? error.message : String(error)}; trying again in ${next.delayMs / 1000} s`,
      );
      later(next.delayMs, () => void restart(name, next.deathsInRow));
    }
  };
  const watchApp = (
    name: AppName,
    app: ManagedProcess,
    deathsInRow: number,
  ) => {
    const startedAt = Date.now();
    void describeExit(app).then((how) => {
      if (stopped) return;
      const ranForMs = Date.now() - startedAt;
      const next = nextRestart(backoff, { deathsInRow, ranForMs });
      hooks.log(
        `the ${name} exited unexpectedly (${how}) after ${(ranForMs / 1000).toFixed(0)} s; restarting it in ${next.delayMs / 1000} s (${ordinal(next.deathsInRow)} death in a row). Last lines of ${app.logFile}:\n${tailOf(app.logFile, 15)}`,
      );
      later(next.delayMs, () => void restart(name, next.deathsInRow));
    });
  };

  for (const name of ["worker", "web"] as const) {
    const app = stack.processes().get(name);
    if (app) watchApp(name, app, 0);
  }
  const temporal = stack.processes().get("temporal");
  if (temporal) {
    void describeExit(temporal).then((how) =>
      dataServiceDied(
        "Temporal",
        `the Temporal dev server (pid ${temporal.pid}) exited (${how})`,
      ),
    );
  }
  const postgresPid = stack.postgresPid;
  if (postgresPid !== undefined) {
    const poll = setInterval(() => {
      if (!isRunning(postgresPid))
        dataServiceDied(
          "PostgreSQL",
          `the PostgreSQL server (pid ${postgresPid}) is gone`,
        );
    }, pollMs);
    timers.add(poll);
  }
  return { stop };
}

function ordinal(n: number): string {
  const suffix =
    n % 100 >= 11 && n % 100 <= 13
      ? "th"
      : (["th", "st", "nd", "rd"][n % 10] ?? "th");
  return `${n}${suffix}`;
}
