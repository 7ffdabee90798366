import {
  recordWorkerHeartbeat,
  removeWorkerHeartbeat,
  type Database,
  type WorkerReport,
} from "@loupe/db";

/**
 * Reports the worker as alive every `intervalMs` until stopped, with what
 * `report` says then (the models it hosts change while it runs); stopping removes
 * its row, so a cleanly stopped worker does not show as dead on the health page.
 * A failed beat is logged and retried on the next tick (PostgreSQL may restart).
 */
export function startHeartbeat(
  db: Database,
  report: () => WorkerReport,
  intervalMs: number,
): { stop(): Promise<void> } {
  const id = report().id;
  const beat = () =>
    recordWorkerHeartbeat(db, report()).catch((error: unknown) => {
      console.error(
        `[worker] heartbeat failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
  void beat();
  const timer = setInterval(() => void beat(), intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await removeWorkerHeartbeat(db, id);
    },
  };
}
