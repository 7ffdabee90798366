import { router } from "../../trpc.ts";
import { cancelRun } from "./cancel-run.ts";
import { listMyRuns } from "./list-my-runs.ts";
import { readRunGraph } from "./read-run-graph.ts";
import { readRunStatus } from "./read-run-status.ts";
import { resolveRun } from "./resolve-run.ts";
import { submitGraph } from "./submit-graph.ts";

/**
 * Runs: submit a graph (ad hoc or an experiment version), follow it, cancel
 * it. One procedure per file, each documented where it is defined.
 */
export const runsRouter = router({
  submit: submitGraph,
  /** A run's status, as a long poll when asked (`waitMs`, `unlessChanged`, `until`). */
  status: readRunStatus,
  /** The graph a run ran (its stored document), for a reader of the run. */
  graph: readRunGraph,
  /** The caller's runs, newest first. */
  list: listMyRuns,
  /** Cancels a run that has not ended; returns how it ended. */
  cancel: cancelRun,
  /** The run a full or short id (a unique prefix) names, among those the caller may read. */
  resolve: resolveRun,
});
