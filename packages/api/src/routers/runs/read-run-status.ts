import { isEndedRunStatus, isWaitingRunStatus } from "@loupe/graph";
import { queuePosition, streams, type Database } from "@loupe/db";
import { z } from "zod";
import type { Principal } from "../../auth/principal.ts";
import { readableRun } from "../../experiments/experiment-access.ts";
import { readProcedure } from "../../trpc.ts";
import { toRunView } from "./run-view.ts";

/** The longest a status long poll is held. */
const MAX_WAIT_MS = 20_000;

/**
 * `runs.status`: a run's status. A long poll with `waitMs` and
 * `unlessChanged` (the `changeKey` of the status the caller has): while the
 * run's key still equals it, the answer is held until the run's next event
 * or `waitMs`, so a client learns of a change as it happens without polling
 * on a timer. With `until: "ended"`, the answer is held until the run ends
 * (or `waitMs`), whatever changes on the way: a script that only wants the
 * result asks once, not once per step of the run's life.
 */
export const readRunStatus = readProcedure("runs:read")
  .input(
    z.object({
      runId: z.string().min(1).max(200),
      unlessChanged: z.string().max(100).optional(),
      until: z.enum(["changed", "ended"]).default("changed"),
      waitMs: z.number().int().min(0).max(MAX_WAIT_MS).optional(),
    }),
  )
  .query(async ({ ctx, input }) => {
    const { db, streamWaiter } = ctx.services;
    const read = () => readStatus(db, ctx.principal, input.runId);
    let status = await read();
    const deadline = Date.now() + (input.waitMs ?? 0);
    const waiting = () =>
      (input.until === "ended" || input.unlessChanged === status.changeKey) &&
      !isEndedRunStatus(status.status) &&
      Date.now() < deadline;
    while (waiting()) {
      // Watch, then read: an event between the last read and the watch is
      // seen by this read, so none is missed.
      const watch = await streamWaiter.watch(
        streams.run(status.runId),
        deadline - Date.now(),
      );
      try {
        if (input.until === "ended") {
          // An event that did not end it: watch again, then check again.
          if (!(await hasEnded(db, status.runId)) && (await watch.event))
            continue;
          status = await read();
          continue;
        }
        status = await read();
        if (waiting()) {
          await watch.event;
          status = await read();
        }
      } finally {
        watch.cancel();
      }
    }
    return status;
  });

/** A run's view, with its queue position while it waits. */
async function readStatus(
  db: Database,
  principal: Principal | null,
  runId: string,
) {
  const run = await readableRun(db, principal, runId);
  // Only a waiting run has a position (one query saved on every other).
  const position = isWaitingRunStatus(run.status)
    ? await queuePosition(db, run.id)
    : null;
  // The run left the queue between the two reads (a batch that starts at
  // once makes that common): read it again, so a waiting status always
  // comes with its position.
  if (position === null && isWaitingRunStatus(run.status))
    return toRunView(await readableRun(db, principal, runId), null);
  return toRunView(run, position);
}

/**
 * Whether a run has ended: what a wait for its end reads on each wake-up
 * (one small query); the full status is read once, to answer.
 */
async function hasEnded(db: Database, runId: string): Promise<boolean> {
  const [row] = await db.sql.$queryRaw<{ status: string }[]>`
    SELECT status FROM runs WHERE id = ${runId}`;
  return row !== undefined && isEndedRunStatus(row.status);
}
