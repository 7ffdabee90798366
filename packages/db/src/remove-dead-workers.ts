import type { Database } from "./create-database.ts";

/**
 * Removes the heartbeat rows of workers on `hostname` whose process is gone
 * (`isAlive(pid)` false): a worker killed without its clean shutdown leaves its
 * row behind, which would show as a dead worker until it ages out. Only rows of
 * this host are judged, since only its processes can be checked. Returns their ids.
 */
export async function removeDeadWorkers(
  db: Database,
  hostname: string,
  isAlive: (pid: number) => boolean,
): Promise<string[]> {
  const rows = await db.workerHeartbeat.findMany({
    where: { hostname },
    select: { id: true, pid: true },
  });
  const dead = rows.filter((r) => !isAlive(r.pid)).map((r) => r.id);
  if (dead.length > 0)
    await db.workerHeartbeat.deleteMany({ where: { id: { in: dead } } });
  return dead;
}
